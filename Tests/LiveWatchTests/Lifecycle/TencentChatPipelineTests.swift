import Foundation
import SQLite
import Testing
import VendorSimulator

@testable import LiveWatch

/// The Tencent Chat monitor end to end: the real client against the simulator,
/// a real SQLite file and the real alert log.
@Suite struct TencentChatPipelineTests {
    typealias Harness = PipelineHarness<TencentChatFixture>

    @Test func onePollStoresExactlyEveryRoomAtTheDocumentedRateLimit() async throws {
        try await withFixture({
            try await TencentChatFixture.start(rooms: 1_234, rateLimit: 10, crawlBudget: 60, timeout: 10)
        }) {
            fixture in
            let folder = try TemporaryFolder()
            defer { folder.remove() }
            let (reports, database) = try await pollOnce(
                .tencentChat(fixture.configuration), in: folder, transport: fixture.transport)
            let report = try #require(reports.first)
            #expect(report.succeeded, "\(String(describing: report.failure))")
            let store = try Store(path: database)
            defer { store.close() }
            let stored = try store.accessSynchronously { database in
                try database.query("SELECT room_id, view_count FROM live_rooms WHERE monitor = 'tim-main'").map {
                    ($0.string("room_id") ?? "", $0.int64("view_count"))
                }
            }
            #expect(stored.count == 1_234)
            let served = fixture.tencent.lastCrawl
            #expect(served.count == 1_234)
            let mismatches = stored.filter { served[$0.0] != $0.1 }
            #expect(
                mismatches.isEmpty,
                "\(mismatches.count) rooms differ from what the simulator served, e.g. \(mismatches.prefix(3))")
            #expect(
                try store.accessSynchronously { try $0.scalarInt64("SELECT count(*) FROM live_room_samples") } == 1_234)
            let poll = try store.accessSynchronously {
                try $0.first("SELECT ok, items, requests, request_id, vendor FROM polls")
            }
            #expect(poll?.int64("ok") == 1)
            #expect(poll?.int64("items") == 1_234)
            #expect(poll?.int64("requests") == Int64(fixture.tencent.counters.pages))
            #expect(poll?.string("request_id")?.hasPrefix("Id-") == true)
            #expect(poll?.string("vendor") == "tencent_chat")
            // 62 pages would be enough for a still list; the moving one needed more, all at <= 10 per second.
            #expect(fixture.tencent.counters.pages > 62)
            #expect(fixture.tencent.counters.rateLimitViolations == 0)
            #expect(fixture.tencent.counters.requests == fixture.tencent.counters.pages)
        }
    }

    @Test func failedCrawlsStoreOnlyTheirPollsRowAndLeaveThePreviousSnapshotIntact() async throws {
        // Generous real-time limits (120 s a crawl, 5 s a page): a crawl of 40 pages runs at once with the rest of
        // a parallel test run on two loaded cores; the failures below come from the simulator, not from the clock.
        let fixture = try await TencentChatFixture.start(
            rooms: 120, rateLimit: 100, pageSize: 4, maxPages: 80, crawlBudget: 120, timeout: 5)
        // One room in four falls behind the cursor after each page of four: about 40 pages a crawl.
        fixture.tencent.setDrift(roomsPerPage: 1)
        try await withHarness({ try Harness.make(fixture: fixture) }) { harness async throws in
            let first = await harness.poll()
            #expect(first.succeeded, "\(String(describing: first.failure))")
            let before = try harness.snapshot()
            #expect(try harness.values("SELECT count(*) FROM live_rooms") == [[.integer(120)]])

            // A cursor that never ends.
            harness.tencent.setCursorBehaviour(.endless)
            #expect(await harness.poll().failure?.code == "max_pages")
            #expect(try harness.snapshot() == before)
            var poll = try harness.lastPoll()
            #expect(poll[0] == .integer(0) && poll[1] == .text("max_pages") && poll[5] == .integer(0))
            #expect(
                poll[2] == .text("the room list did not end within max_pages (80) pages; 120 rooms so far, none stored")
            )
            #expect(poll[4] == .integer(80))
            harness.tencent.clearFaults()

            // A 60007 storm from page 5 on.
            harness.tencent.inject(.http(.slow(seconds: 0)), count: 4)
            harness.tencent.setStanding(.error(code: 60007, info: "REST API call frequency over limit"))
            #expect(await harness.poll().failure?.code == "60007")
            #expect(try harness.snapshot() == before)
            poll = try harness.lastPoll()
            #expect(poll[0] == .integer(0) && poll[1] == .text("60007"))
            #expect(
                poll[2].textValue?.hasPrefix(
                    "Tencent Chat error 60007 on page 5: REST API call frequency over limit; refused ") == true)
            #expect(poll[3].textValue?.hasPrefix("Id-") == true)
            harness.tencent.clearFaults()

            // Truncated JSON on page 30.
            harness.tencent.inject(.http(.truncatedJSON), onPage: 30)
            #expect(await harness.poll().failure?.code == "invalid_response")
            #expect(try harness.snapshot() == before)
            poll = try harness.lastPoll()
            #expect(poll[0] == .integer(0) && poll[1] == .text("invalid_response") && poll[4] == .integer(30))
            #expect(poll[2] == .text("page 30: Tencent Chat sent a body that is not Tencent JSON"))

            // The rooms moved meanwhile: the next good crawl does change the snapshot.
            let last = await harness.poll()
            #expect(last.succeeded, "\(String(describing: last.failure))")
            #expect(try harness.snapshot() != before)
            #expect(try harness.values("SELECT count(*) FROM live_room_crawls") == [[.integer(2)]])
            #expect(try harness.values("SELECT count(*), sum(ok) FROM polls") == [[.integer(5), .integer(2)]])
            #expect(harness.tencent.counters.rateLimitViolations == 0)
        }
    }

    @Test func noSecretKeyOrUserSigReachesTheDatabaseTheAlertLogOrTheLogs() async throws {
        let fixture = try await TencentChatFixture.start(rooms: 45, rateLimit: 100, timeout: 3)
        let clock = SettableClock()
        try await withHarness({ try Harness.make(fixture: fixture, failureThreshold: 1, monitorClock: clock.now) }) {
            harness async throws in
            let tencent = harness.tencent
            #expect(await harness.poll().succeeded)
            let faults: [TencentChatSimulation.Fault] = [
                .errorEchoingUserSig(code: 70003), .error(code: 70001, info: "UserSig expired"), .http(.truncatedJSON),
                .http(.serverError), .http(.connectionReset), .error(code: 100002, info: "invalid parameter"),
            ]
            for fault in faults {
                clock.advance(by: 7 * 3_600) // a new UserSig now and then
                tencent.inject(fault, onPage: 2)
                await harness.poll()
            }
            // A UserSig expired at the vendor, twice (renewed once, refused again), and a key rotated under us.
            tencent.setStanding(.error(code: 70001, info: "UserSig expired"))
            #expect(await harness.poll().failure?.code == "70001")
            tencent.clearFaults()
            tencent.addApplication(
                sdkAppID: TencentChatFixture.sdkAppID, secretKey: "rotated-by-someone-else",
                administrator: "administrator")
            #expect(await harness.poll().failure?.code == "70009")
            let userSigs = tencent.userSigsSeen
            #expect(userSigs.count >= 4)
            // Tencent's RequestId is kept for every answer that had one (all but the truncated body, the 500 and the reset).
            #expect(
                try harness.values("SELECT count(*) FROM polls WHERE request_id LIKE 'Id-%-O-Seq-%'") == [[.integer(6)]]
            )
            #expect(try harness.values("SELECT count(*) FROM polls WHERE request_id IS NULL") == [[.integer(3)]])
            harness.store.close()
            let haystacks = harness.writtenText()
            #expect(haystacks["alerts.log"]?.contains("monitor_failing") == true)
            #expect(haystacks["log"]?.contains("<redacted>") == true)
            for (name, text) in haystacks {
                #expect(!text.contains(TencentChatFixture.secretKey), "the secret key is in \(name)")
                for userSig in userSigs {
                    #expect(!text.contains(userSig), "a UserSig is in \(name)")
                    #expect(!text.contains(userSig.prefix(40)), "the start of a UserSig is in \(name)")
                }
            }
        }
    }
}

extension SQLiteValue {
    var textValue: String? {
        if case .text(let text) = self { return text }
        return nil
    }
}

extension PipelineHarness where Fixture == TencentChatFixture {
    var tencent: TencentChatSimulation { fixture.tencent }

    static func make(
        fixture: TencentChatFixture, failureThreshold: Int = 3, monitorClock: (@Sendable () -> Date)? = nil
    ) throws -> Self {
        try Self(fixture, failureThreshold: failureThreshold) { fixture, _ in
            let configuration = MonitorConfiguration.tencentChat(fixture.configuration)
            let runtime = MonitorRuntime.make(configuration, transport: fixture.transport)
            guard let monitorClock else { return runtime }
            return MonitorRuntime(
                configuration: configuration,
                monitor: TencentChatMonitor(
                    configuration: fixture.configuration, transport: fixture.transport, clock: monitorClock),
                evaluator: runtime.evaluator)
        }
    }

    func values(_ sql: String) throws -> [[SQLiteValue]] {
        try rows(sql).map(\.values)
    }

    /// Everything a report would read about the rooms.
    func snapshot() throws -> [[SQLiteValue]] {
        try values("SELECT * FROM live_rooms ORDER BY room_key")
            + values("SELECT * FROM live_room_samples ORDER BY observed_at, room_id")
            + values("SELECT * FROM live_room_crawls ORDER BY crawl")
    }

    func lastPoll() throws -> [SQLiteValue] {
        try values(
            "SELECT ok, error_code, error_message, request_id, requests, items FROM polls ORDER BY id DESC LIMIT 1"
        ).first ?? []
    }
}
