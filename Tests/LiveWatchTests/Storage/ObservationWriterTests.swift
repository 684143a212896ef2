import Foundation
import SQLite
import Testing

@testable import LiveWatch

/// The writers' row references on a real SQLite file.
@Suite struct ObservationWriterTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func report(_ monitor: String, outcome: PollOutcome) -> PollReport {
        PollReport(
            monitor: monitor, vendor: "volcengine", startedAt: now, finishedAt: now, requests: 1, httpStatus: 200,
            requestID: nil, outcome: outcome)
    }

    static let observation = VolcengineObservation(
        restrictions: [
            ActivityViewingRestrictions(
                activityID: 7, mainButtonTitle: "Buy", subButtonTitle: nil,
                entries: [
                    ViewingRestriction(
                        type: 1, customApp: nil, customURL: "https://x.example.com", errorRedirectURL: nil,
                        secretFingerprint: nil)
                ])
        ],
        links: [
            LiveClientLink(
                activityID: 7, loginType: 1, userName: "guest", expireTime: 1_800_003_600, urlFingerprint: "f1",
                temporaryURLFingerprint: nil)
        ])

    /// Volcengine rows refer to the poll whose id the writer is given, not to the monitor's latest poll row.
    @Test func volcengineRowsReferToTheGivenPoll() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("livewatch.db"))
        defer { store.close() }
        let (given, later) = try store.writeSynchronously { database in
            let given = try ObservationWriter.insertPoll(
                Self.report("volc", outcome: .observed(.volcengine(Self.observation))), in: database)
            let later = try ObservationWriter.insertPoll(
                Self.report("volc", outcome: .observed(.volcengine(Self.observation))), in: database)
            try ObservationWriter.insertObservation(
                .volcengine(Self.observation), monitor: "volc", at: Self.now, pollID: given, in: database)
            return (given, later)
        }
        #expect(given != later)
        let references = try store.accessSynchronously { database in
            try database.query(
                "SELECT poll_id FROM viewing_restrictions UNION ALL SELECT poll_id FROM live_client_links"
            ).map { $0[0] }
        }
        #expect(references == [.integer(given), .integer(given)])
    }

    /// Without a poll id (tools storing an observation alone), the monitor's latest poll row is used, as before.
    @Test func volcengineRowsWithoutAGivenPollReferToTheMonitorsLatestPoll() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("livewatch.db"))
        defer { store.close() }
        let latest = try store.writeSynchronously { database in
            try ObservationWriter.insertPoll(
                Self.report("volc", outcome: .observed(.volcengine(Self.observation))), in: database)
            let latest = try ObservationWriter.insertPoll(
                Self.report("volc", outcome: .observed(.volcengine(Self.observation))), in: database)
            try ObservationWriter.insertPoll(
                Self.report("other", outcome: .observed(.volcengine(Self.observation))), in: database)
            try ObservationWriter.insertObservation(
                .volcengine(Self.observation), monitor: "volc", at: Self.now, in: database)
            return latest
        }
        let references = try store.accessSynchronously { database in
            try database.query("SELECT poll_id FROM live_client_links").map { $0[0] }
        }
        #expect(references == [.integer(latest)])
    }

    /// The recorder stores a failed poll's count of consecutive failures and reads it back in the same statement.
    @Test func consecutiveFailuresCountUpAndResetOnSuccess() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("livewatch.db"))
        defer { store.close() }
        let failed = Self.report(
            "volc", outcome: .failed(PollFailure(kind: .transport, code: "timeout", message: "slow")))
        let succeeded = Self.report("volc", outcome: .observed(.volcengine(Self.observation)))
        let counts = try store.writeSynchronously { database in
            [
                try ObservationWriter.updateMonitorState(failed, in: database),
                try ObservationWriter.updateMonitorState(failed, in: database),
                try ObservationWriter.updateMonitorState(succeeded, in: database),
                try ObservationWriter.updateMonitorState(failed, in: database),
            ]
        }
        #expect(counts == [1, 2, 0, 1])
    }
}
