import Foundation
import SQLite
import Testing

@testable import LiveWatch

/// `livewatch silence add`'s checks, the `silences` table, and the matching of stored silences.
@Suite struct SilenceStoreTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000.4)

    static func request(
        monitor: String? = "polyv-main", rule: String? = nil, subject: String? = nil, duration: String? = "2h",
        until: String? = nil, comment: String? = "known issue", createdBy: String = "alice"
    ) throws(SilenceRequestError) -> SilenceRequest {
        try SilenceRequest.make(
            monitor: monitor, rule: rule, subject: subject, duration: duration, until: until, comment: comment,
            createdBy: createdBy, monitors: ["polyv-main", "tim-sg"], now: now)
    }

    /// Why `request` with these arguments is refused; nil when it is accepted.
    static func refusal(
        monitor: String? = "polyv-main", rule: String? = nil, subject: String? = nil, duration: String? = "2h",
        until: String? = nil, comment: String? = "known issue"
    ) -> String? {
        do {
            _ = try request(
                monitor: monitor, rule: rule, subject: subject, duration: duration, until: until, comment: comment)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func aRequestStartsNowAndEndsAfterItsDurationOrAtItsTime() throws {
        let two = try Self.request()
        #expect(two.startsAt.timeIntervalSince1970 == 1_800_000_000)
        #expect(two.endsAt.timeIntervalSince1970 == 1_800_007_200)
        #expect(two.rule == nil && two.subject == nil && two.createdBy == "alice")
        let until = try Self.request(duration: nil, until: "2027-01-15T18:00:00+08:00")
        #expect(until.endsAt == AlertLine.parseRFC3339("2027-01-15T10:00:00Z"))
        let rule = try Self.request(rule: "monitor_failing", subject: "tim-sg")
        #expect(rule.rule == .monitorFailing && rule.subject == "tim-sg")
    }

    @Test func badArgumentsAreRefusedWithOneLine() {
        let cases: [(String, String?)] = [
            ("--monitor is required", Self.refusal(monitor: nil)),
            ("no monitor named \"nope\"", Self.refusal(monitor: "nope")),
            ("unknown rule \"mr_exhausted\"", Self.refusal(rule: "mr_exhausted")),
            ("give exactly one of", Self.refusal(duration: nil)),
            ("give exactly one of", Self.refusal(until: "2027-01-15T10:00:00Z")),
            ("--for must be a duration", Self.refusal(duration: "soon")),
            ("--for must be a duration", Self.refusal(duration: "0s")),
            ("--for must be at most 90d", Self.refusal(duration: "91d")),
            ("--until must be an RFC 3339 time", Self.refusal(duration: nil, until: "tomorrow")),
            ("--until must be in the future", Self.refusal(duration: nil, until: "2020-01-01T00:00:00Z")),
            ("--until must be at most 90d ahead", Self.refusal(duration: nil, until: "2030-01-01T00:00:00Z")),
            ("--comment is required", Self.refusal(comment: nil)),
            ("--comment is required", Self.refusal(comment: " \u{1B}\n ")),
            ("--comment must be at most 500", Self.refusal(comment: String(repeating: "x", count: 501))),
            ("--subject must not be empty", Self.refusal(subject: "")),
            ("--subject must not hold control", Self.refusal(subject: "a\u{1B}[31m")),
            ("--subject must be at most 256", Self.refusal(subject: String(repeating: "s", count: 257))),
        ]
        for (expected, reason) in cases {
            #expect(reason?.contains(expected) == true, "\(expected): \(reason ?? "accepted")")
            #expect(reason?.contains("\n") == false)
        }
        #expect(Self.refusal() == nil)
    }
    @Test func controlCharactersNeverReachTheTable() throws {
        let request = try Self.request(
            comment: "deploy\u{1B}[2J\u{0}\nnext\u{202E}line\u{85}", createdBy: "eve\u{7}\u{1B}]0;x\u{7}")
        #expect(request.comment == "deploy [2J  next line")
        #expect(request.createdBy == "eve  ]0;x")
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("livewatch.db"))
        defer { store.close() }
        _ = try store.writeSynchronously { try SilenceStore.insert(request, at: Self.now, in: $0) }
        let text = try store.accessSynchronously { database in
            try database.query("SELECT comment || created_by || monitor AS text FROM silences").compactMap {
                $0.string("text")
            }
        }.joined()
        #expect(!text.isEmpty)
        #expect(!text.unicodeScalars.contains(where: DisplayText.isUnsafe))
    }

    @Test func theInvokingUserIsTheSudoUserOrTheEffectiveUser() {
        #expect(SilenceRequest.invokingUser(environment: ["SUDO_USER": "bob"]) == "bob")
        let effective = SilenceRequest.invokingUser(environment: [:])
        #expect(!effective.isEmpty && effective != "bob")
        if geteuid() == 0 { #expect(effective == "root") }
    }

    @Test func storedSilencesAreAddedListedExpiredAndMatchedLikeConfiguredOnes() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("livewatch.db"))
        defer { store.close() }
        #expect(try store.accessSynchronously { try $0.userVersion() } == 8)
        let any = try Self.request(monitor: "tim-sg", duration: "1h")
        let rule = try Self.request(rule: "mr_concurrency_exhausted", duration: "2h")
        let subject = try Self.request(rule: "monitor_failing", subject: "polyv-main", duration: "3h")
        let stored = try store.writeSynchronously { database in
            try [any, rule, subject].map { try SilenceStore.insert($0, at: Self.now, in: database) }
        }
        #expect(stored.map(\.id) == [1, 2, 3])
        #expect(stored[1].createdBy == "alice" && stored[1].comment == "known issue")

        func silenced(_ rule: AlertRule, _ monitor: String, _ subject: String, at offset: Double) throws -> [String] {
            let date = Self.now.addingTimeInterval(offset)
            return try store.accessSynchronously { try SilenceStore.active(at: date, in: $0) }
                .filter { $0.matches(rule: rule, monitor: monitor, subject: subject, at: date) }.map(\.name)
        }
        // rule and subject nil = any: the first silence covers every alert of tim-sg.
        #expect(try silenced(.monitorFailing, "tim-sg", "tim-sg", at: 10) == ["id 1"])
        #expect(try silenced(.mrConcurrencyExhausted, "tim-sg", "anything", at: 10) == ["id 1"])
        // A rule given must match; any subject.
        #expect(try silenced(.mrConcurrencyExhausted, "polyv-main", "polyv-main", at: 10) == ["id 2"])
        #expect(try silenced(.platformUnauthorized, "polyv-main", "p-1", at: 10) == [])
        // Rule and subject given must both match.
        #expect(try silenced(.monitorFailing, "polyv-main", "polyv-main", at: 10) == ["id 3"])
        #expect(try silenced(.monitorFailing, "polyv-main", "other", at: 10) == [])
        // Expiry: each ends at its end, as an absolute configured window does.
        #expect(try silenced(.monitorFailing, "tim-sg", "tim-sg", at: 3_599) == ["id 1"])
        #expect(try silenced(.monitorFailing, "tim-sg", "tim-sg", at: 3_600) == [])
        #expect(try silenced(.mrConcurrencyExhausted, "polyv-main", "x", at: 7_200) == [])

        // Expiring ends it at once; a second expire leaves it; an unknown id is said so.
        let expireAt = Self.now.addingTimeInterval(60)
        let outcome = try store.writeSynchronously { try SilenceStore.expire(id: 2, at: expireAt, in: $0) }
        guard case .expired(let expired) = outcome else {
            Issue.record("not expired: \(outcome)")
            return
        }
        #expect(expired.expiredAt == Date(timeIntervalSince1970: 1_800_000_060))
        #expect(try silenced(.mrConcurrencyExhausted, "polyv-main", "x", at: 60) == [])
        #expect(try silenced(.mrConcurrencyExhausted, "polyv-main", "x", at: 59) == ["id 2"])
        let again = try store.writeSynchronously { try SilenceStore.expire(id: 2, at: expireAt, in: $0) }
        #expect(again == .alreadyOver(expired))
        #expect(try store.writeSynchronously { try SilenceStore.expire(id: 9, at: expireAt, in: $0) } == .notFound)

        let listed = try store.accessSynchronously { try SilenceStore.list(includingOver: false, at: expireAt, in: $0) }
        #expect(listed.map(\.id) == [1, 3])
        let all = try store.accessSynchronously { try SilenceStore.list(includingOver: true, at: expireAt, in: $0) }
        #expect(all.map(\.id) == [1, 2, 3])
        #expect(all.map { $0.state(at: expireAt) } == [.active, .expired, .active])
    }

    @Test func theDaemonsQueryUsesTheEndIndex() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("livewatch.db"))
        defer { store.close() }
        let plan = try store.accessSynchronously { database in
            try database.query(
                "EXPLAIN QUERY PLAN SELECT \(SilenceStore.columns) FROM silences WHERE ends_at > ? AND starts_at <= ? AND (expired_at IS NULL OR expired_at > ?)",
                [1, 1, 1]
            ).compactMap { $0.string("detail") }
        }.joined(separator: "\n")
        #expect(plan.contains("silences_by_end"), "\(plan)")
    }

    @Test func aStoredSilenceMarksAlertsLikeAConfiguredOneAndSaysWhich() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("livewatch.db")
        let store = try Store(path: path)
        let now = Date()
        try store.writeSynchronously { database in
            _ = try AlertBook(repeatInterval: 3_600).apply(
                [
                    (
                        AlertKey(rule: .mrConcurrencyExhausted, monitor: "polyv-main", subject: "polyv-main"),
                        .firing(severity: .critical, message: "0 of 5 left", value: 0, threshold: 0)
                    ),
                    (
                        AlertKey(rule: .monitorFailing, monitor: "tim-sg", subject: "tim-sg"),
                        .firing(severity: .warning, message: "3 polls failed", value: 3, threshold: 3)
                    ),
                ], now: now.addingTimeInterval(-60), store: SQLiteAlertStateStore(database: database))
            let request = try SilenceRequest.make(
                monitor: "polyv-main", rule: "mr_concurrency_exhausted", subject: nil, duration: "1h", until: nil,
                comment: "vendor maintenance", createdBy: "alice", monitors: ["polyv-main"], now: now)
            _ = try SilenceStore.insert(request, at: now, in: database)
        }
        store.close()
        let history = try AlertHistory.load(
            databasePath: path, since: nil, monitors: [], silences: [], notifierNames: [], now: now)
        #expect(history.firing.map { "\($0.monitor) \($0.silencedBy ?? "-")" } == ["polyv-main id 1", "tim-sg -"])
        #expect(history.table.contains("firing (silenced by id 1)  critical"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(history.json.utf8)) as? [String: Any])
        let firing = try #require(json["firing"] as? [[String: Any]])
        #expect(firing.map { $0["silenced_by"] as? String } == ["id 1", nil])
    }
}
