import Foundation
import SQLite
import Testing

@testable import LiveWatch

/// `daemon.outbox_limit`: a notifier that never delivers, or an alert log that cannot be written,
/// keeps its outbox at the limit: the oldest rows dropped (resolutions last), counted, and one
/// critical line in the alert log when dropping starts. A real SQLite file, a real alert log.
@Suite struct OutboxLimitTests {
    static let limit = 5
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let notifier = NotifierConfiguration(name: "ops", kind: .webhook, url: Secret("http://127.0.0.1:9/never"))

    struct Harness {
        let folder: TemporaryFolder
        let store: Store
        let policy: AlertPolicy
        let recorder: PollRecorder
        let log = CapturedLog()

        init(notifiers: [NotifierConfiguration] = [OutboxLimitTests.notifier], alertLog: String = "alerts.log") throws {
            folder = try TemporaryFolder()
            store = try Store(path: folder.file("livewatch.db"))
            policy = AlertPolicy(notifiers: notifiers, outboxLimit: OutboxLimitTests.limit)
            recorder = PollRecorder(
                store: store, alertLog: AlertLog(path: folder.file(alertLog)), repeatInterval: 3_600,
                failureThreshold: 3,
                logger: log.logger, policy: AlertPolicyBox(policy))
        }

        var alertLogPath: String { folder.file("alerts.log") }

        static func notice(_ message: String, at offset: Double = 0) -> AlertLine {
            AlertLine(
                time: OutboxLimitTests.start.addingTimeInterval(offset), state: .notice, severity: .warning,
                rule: .viewingRestrictionChanged, monitor: "volc", subject: "7", message: message)
        }

        /// Queues `lines` in a transaction of their own, as a poll does, and writes the alert log.
        func queue(_ lines: [AlertLine]) async throws {
            let policy = self.policy
            try store.writeSynchronously { database in
                try PollRecorder.enqueue(
                    lines, at: lines.first?.time ?? OutboxLimitTests.start, policy: policy, in: database)
            }
            await recorder.flushAlertLog()
        }

        /// The `ops` notifier's queue, oldest first, as (state, message).
        func notifications() throws -> [String] {
            try store.accessSynchronously { database in
                try database.query("SELECT line FROM notification_outbox WHERE notifier = 'ops' ORDER BY id").compactMap
                { row in
                    row.string("line").flatMap(AlertLine.init(json:)).map { "\($0.state.rawValue) \($0.message)" }
                }
            }
        }

        func dropped(_ queue: OutboxLimit.Queue) throws -> Int {
            try store.accessSynchronously { try OutboxTrimmer.dropped(queue, in: $0) }
        }

        /// The critical lines about dropping in the alert log.
        func dropNotices() -> [[String: Any]] {
            alertLogLines(alertLogPath).filter { $0["monitor"] as? String == "livewatch" }
        }

        func finish() {
            store.close()
            folder.remove()
        }
    }

    @Test func aNotifierThatNeverDeliversKeepsItsNewestRowsCountsTheDroppedAndSaysSoOnce() async throws {
        let harness = try Harness()
        defer { harness.finish() }
        for index in 1...12 {
            try await harness.queue([Harness.notice("n\(index)", at: Double(index))])
        }
        #expect(try harness.notifications() == (8...12).map { "notice n\($0)" }, "the newest kept, the oldest dropped")
        #expect(try harness.dropped(.notifier("ops")) == 7)
        #expect(try harness.dropped(.alertLog) == 0)
        // The alert log has every line, and one critical line when dropping started (after the sixth line).
        let lines = alertLogLines(harness.alertLogPath)
        #expect(lines.count == 13)
        let notices = harness.dropNotices()
        #expect(notices.count == 1)
        #expect(notices.first?["severity"] as? String == "critical")
        #expect(notices.first?["rule"] as? String == "monitor_failing")
        #expect(notices.first?["state"] as? String == "notice")
        #expect(notices.first?["subject"] as? String == "notification_outbox/ops")
        #expect(
            (notices.first?["message"] as? String)?.hasPrefix(
                "notifier ops cannot deliver and its outbox reached its limit of 5") == true)
        #expect(lines.firstIndex { $0["monitor"] as? String == "livewatch" } == 6)

        // Still failing: more drops, no second line.
        for index in 13...15 {
            try await harness.queue([Harness.notice("n\(index)", at: Double(index))])
        }
        #expect(try harness.notifications() == (11...15).map { "notice n\($0)" })
        #expect(try harness.dropped(.notifier("ops")) == 10)
        #expect(harness.dropNotices().count == 1)

        // `livewatch alerts` shows the count.
        let history = try AlertHistory.load(
            databasePath: harness.folder.file("livewatch.db"), since: nil, monitors: [], silences: [],
            notifierNames: ["ops"],
            now: Self.start)
        #expect(history.notifiers.first?.dropped == 10)
        #expect(history.table.contains("DROPPED"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(history.json.utf8)) as? [String: Any])
        #expect((json["notifiers"] as? [[String: Any]])?.first?["dropped"] as? Int == 10)

        // The notifier recovers and drains its queue; a later outage is a new episode with its own line.
        try harness.store.writeSynchronously { database in
            let later = Self.start.addingTimeInterval(3_600)
            while case .claimed(let row) = try NotificationOutbox.claimHead(
                notifier: "ops", now: later, lease: 60, in: database)
            {
                try NotificationOutbox.markDelivered(row, at: later, in: database)
            }
        }
        #expect(try harness.notifications().isEmpty)
        try await harness.queue([Harness.notice("n16", at: 16)])
        #expect(harness.dropNotices().count == 1)
        for index in 17...21 {
            try await harness.queue([Harness.notice("n\(index)", at: Double(index))])
        }
        #expect(try harness.notifications() == (17...21).map { "notice n\($0)" })
        #expect(try harness.dropped(.notifier("ops")) == 11)
        #expect(harness.dropNotices().count == 2)
    }

    /// The notifier was told of a firing; while it is down the alert resolves and its queue overflows:
    /// the resolution is kept although it is the oldest row, so a resolution still follows its firing.
    @Test func aResolutionStillFollowsADeliveredFiringWhenTheQueueOverflows() async throws {
        let harness = try Harness()
        defer { harness.finish() }
        let key = AlertKey(rule: .mrConcurrencyExhausted, monitor: "polyv-main", subject: "polyv-main")
        let book = AlertBook(repeatInterval: 6 * 3_600)
        let policy = harness.policy
        func apply(_ condition: AlertCondition, at offset: Double) throws {
            try harness.store.writeSynchronously { database in
                let now = Self.start.addingTimeInterval(offset)
                let lines = try book.apply(
                    [(key, condition)], now: now, store: SQLiteAlertStateStore(database: database))
                try PollRecorder.enqueue(lines, at: now, policy: policy, in: database)
            }
        }
        try apply(.firing(severity: .critical, message: "0 of 5 left", value: 0, threshold: 0), at: 0)
        // Delivered.
        try harness.store.writeSynchronously { database in
            guard
                case .claimed(let row) = try NotificationOutbox.claimHead(
                    notifier: "ops", now: Self.start, lease: 60, in: database)
            else { throw RequireError(message: "nothing to deliver") }
            try NotificationOutbox.markDelivered(row, at: Self.start, in: database)
        }
        // The receiver goes down; the alert resolves, then notices pile up.
        try apply(.clear(message: "3 of 5 left", value: 3), at: 60)
        for index in 1...7 {
            try await harness.queue([Harness.notice("n\(index)", at: 60 + Double(index))])
        }
        let queue = try harness.notifications()
        #expect(queue.count == Self.limit)
        #expect(queue.first?.hasPrefix("resolved ") == true, "\(queue)")
        #expect(Array(queue.dropFirst()) == (4...7).map { "notice n\($0)" })
        #expect(try harness.dropped(.notifier("ops")) == 3)
    }

    /// The alert log cannot be written for a long time: its outbox keeps the newest lines and the
    /// critical line about dropping (which is dropped last), the journal says it once, and once the
    /// log can be written again it gets exactly those lines.
    @Test func anAlertLogThatCannotBeWrittenKeepsItsOutboxAtTheLimitAndSaysSoOnce() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        // The log's folder is a file: nothing can be written until it is removed.
        let blocker = folder.file("logs")
        #expect(FileManager.default.createFile(atPath: blocker, contents: Data()))
        let store = try Store(path: folder.file("livewatch.db"))
        defer { store.close() }
        let log = CapturedLog()
        let recorder = PollRecorder(
            store: store, alertLog: AlertLog(path: folder.file("logs/alerts.log")), repeatInterval: 3_600,
            failureThreshold: 3,
            logger: log.logger, policy: AlertPolicyBox(AlertPolicy(outboxLimit: Self.limit)))
        // Real polls of a Volcengine activity whose CustomApp changes every time: one notice each.
        let evaluator = VolcengineEvaluator(monitor: "volc", linkExpiryWarning: 3_600)
        let polls = 14
        for index in 0..<polls {
            let at = Self.start.addingTimeInterval(Double(index) * 60)
            let restriction = ViewingRestriction(
                type: 1, customApp: "app-\(index)", customURL: nil, errorRedirectURL: nil, secretFingerprint: nil)
            let report = PollReport(
                monitor: "volc", vendor: "volcengine", startedAt: at, finishedAt: at, requests: 1, httpStatus: 200,
                requestID: nil,
                outcome: .observed(
                    .volcengine(
                        VolcengineObservation(
                            restrictions: [
                                ActivityViewingRestrictions(
                                    activityID: 7, mainButtonTitle: nil, subButtonTitle: nil, entries: [restriction])
                            ],
                            links: nil))))
            _ = try await recorder.record(report, evaluator: evaluator)
        }
        let notices = polls - 1 // the first observation is no change
        let queued = try store.accessSynchronously { database in
            try database.query("SELECT line FROM alert_log_outbox ORDER BY id").compactMap {
                $0.string("line").flatMap(AlertLine.init(json:))
            }
        }
        #expect(queued.count == Self.limit)
        #expect(queued.filter { $0.monitor == "livewatch" }.count == 1, "the line about dropping is kept")
        #expect(
            queued.filter { $0.monitor == "volc" }.map(\.time)
                == (polls - 4..<polls).map { Self.start.addingTimeInterval(Double($0) * 60) })
        // Every notice and the dropping line itself went through the outbox; the limit stayed.
        #expect(
            try store.accessSynchronously { try OutboxTrimmer.dropped(.alertLog, in: $0) } == notices + 1 - Self.limit)
        // Said once in the journal too, at critical priority (<2>): the alert log itself cannot say it yet.
        let journal =
            log.text.components(separatedBy: "<2>the alert log cannot be written and its outbox reached its limit")
            .count - 1
        #expect(journal == 1)
        let history = try AlertHistory.load(
            databasePath: folder.file("livewatch.db"), since: nil, monitors: [], silences: [], notifierNames: [],
            now: Self.start)
        #expect(
            history.alertLogOutbox
                == AlertHistory.AlertLogOutboxStatus(queued: Self.limit, dropped: notices + 1 - Self.limit))
        #expect(
            history.table.contains(
                "Alert log outbox: 5 line(s) waiting to be written, \(notices + 1 - Self.limit) dropped"))

        // The folder comes back: the log gets exactly the kept lines, in order.
        try FileManager.default.removeItem(atPath: blocker)
        await recorder.flushAlertLog()
        let written = alertLogLines(folder.file("logs/alerts.log"))
        #expect(written.count == Self.limit)
        #expect(written.filter { $0["monitor"] as? String == "livewatch" }.count == 1)
        #expect(written.compactMap { $0["severity"] as? String }.filter { $0 == "critical" }.count == 1)
        #expect(try store.accessSynchronously { try $0.scalarInt64("SELECT count(*) FROM alert_log_outbox") } == 0)
    }
}
