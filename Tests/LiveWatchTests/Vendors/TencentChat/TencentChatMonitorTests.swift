import Foundation
import Testing
import VendorSigning
import VendorSimulator

@testable import LiveWatch

/// The crawl against the simulator: cursor, duplicates, caps, budget, retries, UserSig renewal.
@Suite struct TencentChatMonitorTests {
    func rooms(_ report: PollReport) -> LiveRoomList? {
        if case .observed(.liveRooms(let list)) = report.outcome { return list }
        return nil
    }

    @Test func crawlsTheWholeMovingListAndCountsARoomSeenTwiceOnce() async throws {
        try await withFixture({ try await TencentChatFixture.start(rooms: 237, rateLimit: 100) }) { fixture in
            let report = await fixture.monitor().poll(deadline: 30)
            let list = try #require(rooms(report), "\(String(describing: report.failure))")
            #expect(list.rooms.count == 237)
            #expect(Set(list.rooms.map(\.roomID)) == Set((0..<237).map { "room_\($0)" }))
            // Rooms fell behind the cursor while we paged: more pages than 237 rooms need, and some served twice.
            #expect(list.pages > 12)
            #expect(report.requests == list.pages)
            #expect(report.items == 237)
            // Each room's values are the last ones served in this crawl.
            let served = fixture.tencent.lastCrawl
            #expect(served.count == 237)
            for room in list.rooms where served[room.roomID] != room.viewCount {
                Issue.record(
                    "\(room.roomID): stored \(String(describing: room.viewCount)), served last \(String(describing: served[room.roomID]))"
                )
            }
            #expect(report.requestID?.hasPrefix("Id-") == true)
            #expect(fixture.tencent.counters.rateLimitViolations == 0)
            #expect(fixture.tencent.counters.completedCrawls == 1)
        }
    }

    @Test func anEmptyListIsOneRequestAndZeroRooms() async throws {
        try await withFixture({ try await TencentChatFixture.start(rooms: 0) }) { fixture in
            let report = await fixture.monitor().poll(deadline: 30)
            #expect(rooms(report) == LiveRoomList(rooms: [], pages: 1))
            #expect(report.requests == 1)
        }
    }

    @Test func aCursorThatRepeatsFailsThePoll() async throws {
        try await withFixture({ try await TencentChatFixture.start(rooms: 70, rateLimit: 100) }) { fixture in
            fixture.tencent.setCursorBehaviour(.repeating)
            let report = await fixture.monitor().poll(deadline: 30)
            let failure = try #require(report.failure)
            #expect(failure.code == "cursor_repeated")
            #expect(failure.kind == .invalidResponse)
            #expect(
                failure.message.hasSuffix("returned page 1's cursor again: the room list would never end; none stored"))
            #expect(report.items == 0)
        }
    }

    @Test func aCursorThatNeverEndsStopsAtMaxPages() async throws {
        try await withFixture({ try await TencentChatFixture.start(rooms: 30, rateLimit: 100, maxPages: 12) }) {
            fixture in
            fixture.tencent.setCursorBehaviour(.endless)
            let report = await fixture.monitor().poll(deadline: 30)
            let failure = try #require(report.failure)
            #expect(failure.code == "max_pages")
            #expect(
                failure.message == "the room list did not end within max_pages (12) pages; 30 rooms so far, none stored"
            )
            #expect(report.requests == 12)
            #expect(fixture.tencent.counters.pages == 12)
        }
    }

    @Test func aCursorThatNeverEndsStopsAtTheCrawlBudget() async throws {
        try await withFixture({
            try await TencentChatFixture.start(rooms: 30, rateLimit: 2, simulatorRateLimit: 1_000, crawlBudget: 1)
        }) { fixture in
            fixture.tencent.setCursorBehaviour(.endless)
            // The budget and the rate limit run on a virtual clock: only the limiter's waits move it. What is left
            // of the budget is also each request's timeout, in real time (0.49 s for the second one): the transport
            // gives each at least 30 s, so a loaded machine cannot end the crawl before the budget does.
            let pacing = VirtualPacing()
            let monitor = TencentChatMonitor(
                configuration: fixture.configuration, transport: AtLeastTimeout(fixture.transport, seconds: 30),
                retry: TencentChatFixture.fastRetry, pacing: pacing.clock)
            let report = await monitor.poll(deadline: 1)
            let failure = try #require(report.failure)
            #expect(failure.code == "crawl_budget", "\(failure)")
            #expect(
                failure.message.hasPrefix(
                    "the crawl did not finish within its 1s crawl budget (2 pages, 30 rooms so far"))
            // At 2/s (one start every 0.51 s) exactly 2 starts fit in the 1 s budget: 0 and 0.51.
            #expect(report.requests == 2)
            #expect(fixture.tencent.counters.pages == 2)
        }
    }

    @Test func aFewTooFrequentAnswersAreRetriedOnTheSamePage() async throws {
        try await withFixture({ try await TencentChatFixture.start(rooms: 50, rateLimit: 100) }) { fixture in
            fixture.tencent.setDrift(roomsPerPage: 0)
            fixture.tencent.inject(.error(code: 60007, info: "REST API call frequency over limit"), count: 2)
            fixture.tencent.inject(.error(code: 100001, info: "Internal server error, please retry"), onPage: 2)
            fixture.tencent.inject(.error(code: 60019, info: "too frequent"), onPage: 3)
            let report = await fixture.monitor().poll(deadline: 30)
            let list = try #require(rooms(report), "\(String(describing: report.failure))")
            #expect(list.rooms.count == 50)
            #expect(list.pages == 3)
            #expect(report.requests == 7)
            #expect(fixture.tencent.counters.injectedErrors == 4)
        }
    }

    @Test func a60007StormFailsThePageAfterThreeRetries() async throws {
        try await withFixture({
            try await TencentChatFixture.start(rooms: 100, rateLimit: 100, crawlBudget: 600, timeout: 10)
        }) { fixture in
            let pacing = VirtualPacing()
            // The production waits (1 s doubling), on a virtual clock.
            let monitor = fixture.monitor(retry: TencentChatRetryPolicy(), pacing: pacing.clock)
            // Page 1 passes (a queued no-op fault goes first); from page 2 on, every answer is 60007.
            fixture.tencent.setStanding(.error(code: 60007, info: "REST API call frequency over limit"))
            fixture.tencent.inject(.http(.slow(seconds: 0)))
            let report = await monitor.poll(deadline: 600)
            let failure = try #require(report.failure)
            #expect(failure.kind == .rateLimited)
            #expect(failure.code == "60007")
            #expect(
                failure.message
                    == "Tencent Chat error 60007 on page 2: REST API call frequency over limit; refused 4 time(s), "
                    + "giving up on the page after 3 retries (at most 3, waiting at most the 10s timeout)")
            #expect(failure.retryAfter == nil)
            #expect(report.requestID?.hasPrefix("Id-") == true)
            // Page 1, then page 2 and its three retries: not a crawl budget's worth of hammering.
            #expect(report.requests == 5)
            #expect(pacing.sleeps(longerThan: 0.5) == [1, 2, 4])
        }
    }

    /// The waits are virtual, but each request also has the case's timeout in real time: where the case needs
    /// a short timeout against the 1 s first wait, the policy's waits are ten times longer instead, so a loaded
    /// machine (a parallel run on two cores) still answers every request within its timeout.
    static let outageCases: [(timeout: Double, initialDelay: Double, requests: Int, waits: [Double])] = [
        (10, 1, 4, [1, 2, 4]), // three retries, 7 s of waits
        (5, 1, 3, [1, 2]), // a third retry would wait past the 5 s timeout
        (10, 10, 2, [10]), // a second retry would wait 20 s, past the 10 s timeout
        (9, 10, 1, []), // a first retry would wait 10 s, past the 9 s timeout
    ]

    /// HTTP 500 with ErrorCode 100001 on every page: the first page is retried a few times within the poll's
    /// timeout, then the poll fails with the vendor's code, long before the 600 s crawl budget.
    @Test(arguments: 0..<outageCases.count)
    func anOutageFailsThePollAfterAFewRetriesOfThePage(index: Int) async throws {
        let (timeout, initialDelay, requests, waits) = Self.outageCases[index]
        try await withFixture({
            try await TencentChatFixture.start(rooms: 50, rateLimit: 100, crawlBudget: 600, timeout: timeout)
        }) { fixture in
            fixture.tencent.setStanding(.errorWithStatus(status: 500, code: 100001, info: "internal error"))
            let pacing = VirtualPacing()
            let retry = TencentChatRetryPolicy(initialDelay: initialDelay, maximumDelay: 30 * initialDelay)
            let report = await fixture.monitor(retry: retry, pacing: pacing.clock).poll(deadline: 600)
            let failure = try #require(report.failure)
            #expect(failure.kind == .vendor)
            #expect(failure.code == "100001")
            #expect(
                failure.message.hasPrefix(
                    "Tencent Chat error 100001 on page 1: internal error; refused \(requests) time(s), giving up"))
            #expect(report.httpStatus == 500)
            #expect(report.requests == requests)
            #expect(fixture.tencent.counters.requests == requests)
            #expect(pacing.sleeps == waits)
        }
    }

    @Test func a70050FailsAtOnceAskingTheSchedulerToWaitAMinute() async throws {
        try await withFixture({ try await TencentChatFixture.start(rooms: 10, rateLimit: 100, crawlBudget: 600) }) {
            fixture in
            fixture.tencent.inject(.error(code: 70050, info: "UserSig verification rate-limited, retry after 1 minute"))
            let pacing = VirtualPacing()
            let report = await fixture.monitor(retry: TencentChatRetryPolicy(), pacing: pacing.clock).poll(
                deadline: 600)
            let failure = try #require(report.failure)
            #expect(failure.code == "70050")
            #expect(failure.kind == .rateLimited)
            #expect(failure.retryAfter == 60)
            #expect(
                failure.message
                    == "Tencent Chat error 70050 on page 1: UserSig verification rate-limited, retry after 1 minute; "
                    + "the next poll waits at least 1m")
            #expect(report.requests == 1)
            #expect(pacing.sleeps.isEmpty, "no minute is waited inside the poll")
            // The minute has passed: the next poll works.
            let next = await fixture.monitor(pacing: pacing.clock).poll(deadline: 600)
            #expect(next.succeeded, "\(String(describing: next.failure))")
        }
    }

    @Test func otherCodesFailThePollWithTheCodeAndErrorInfo() async throws {
        try await withFixture({ try await TencentChatFixture.start(rooms: 10, secretKey: "a-wrong-key-for-this-app") })
        { fixture in
            let report = await fixture.monitor().poll(deadline: 30)
            let failure = try #require(report.failure)
            #expect(
                failure
                    == PollFailure(
                        kind: .authentication, code: "70009",
                        message: "Tencent Chat error 70009 on page 1: UserSig verification failed"))
            #expect(report.requests == 1)
            #expect(report.httpStatus == 200)
            #expect(report.requestID?.hasPrefix("Id-") == true)
        }
    }

    @Test func anExpiredUserSigIsRenewedOnceAndTheCrawlGoesOn() async throws {
        try await withFixture({ try await TencentChatFixture.start(rooms: 30, rateLimit: 100) }) { fixture in
            let clock = SettableClock()
            let monitor = fixture.monitor(clock: clock.now)
            #expect(await monitor.poll(deadline: 30).succeeded)
            let first = try #require(monitor.client.userSigs.cached)
            clock.advance(by: 10)
            fixture.tencent.inject(.error(code: 70001, info: "UserSig expired"), onPage: 2)
            let report = await monitor.poll(deadline: 30)
            #expect(report.succeeded, "\(String(describing: report.failure))")
            #expect(report.requests == 3)
            let renewed = try #require(monitor.client.userSigs.cached)
            #expect(renewed != first)
            #expect(monitor.client.userSigs.generations == 2)
            #expect(fixture.tencent.userSigsSeen == [first, renewed])
        }
    }

    @Test func aUserSigRefusedAgainAfterRenewalFailsThePoll() async throws {
        try await withFixture({ try await TencentChatFixture.start(rooms: 30) }) { fixture in
            // Our clock is two days behind the vendor's: every UserSig we make is already expired there.
            let monitor = fixture.monitor(clock: { Date().addingTimeInterval(-2 * 86_400) })
            let report = await monitor.poll(deadline: 30)
            let failure = try #require(report.failure)
            #expect(failure.kind == .authentication)
            #expect(failure.code == "70001")
            #expect(failure.message.hasSuffix("(a renewed UserSig was refused too)"))
            #expect(report.requests == 2)
            #expect(fixture.tencent.counters.expiredUserSig == 2)
            #expect(monitor.client.userSigs.generations == 2)
        }
    }

    @Test func theUserSigIsReusedAcrossPollsAndRenewedPastHalfItsLife() async throws {
        try await withFixture({ try await TencentChatFixture.start(rooms: 5) }) { fixture in
            let clock = SettableClock()
            let monitor = fixture.monitor(clock: clock.now)
            #expect(await monitor.poll(deadline: 30).succeeded)
            clock.advance(by: 3_600)
            #expect(await monitor.poll(deadline: 30).succeeded)
            #expect(fixture.tencent.userSigsSeen.count == 1)
            clock.advance(by: 12 * 3_600)
            #expect(await monitor.poll(deadline: 30).succeeded)
            #expect(fixture.tencent.userSigsSeen.count == 2)
        }
    }

    @Test func crawlsRightAfterOneAnotherDoNotBurst() async throws {
        try await withFixture({ try await TencentChatFixture.start(rooms: 300, rateLimit: 25) }) { fixture in
            fixture.tencent.setDrift(roomsPerPage: 0)
            let monitor = fixture.monitor()
            for _ in 1...2 {
                let report = await monitor.poll(deadline: 30)
                #expect(report.succeeded, "\(String(describing: report.failure))")
            }
            // 30 requests at 25/s, spread evenly: 29 gaps of 40 ms, and no window at the server held more than 25.
            // Pacing is real time by nature: it is read from the server's own arrival times, not a stopwatch. The
            // first request also opens the connection, so the span is taken from the second: 28 gaps, less one
            // gap of slack for requests that spent different times in transit on a loaded machine.
            let arrivals = fixture.tencent.requestArrivals
            #expect(arrivals.count == 30)
            if let second = arrivals.dropFirst().first, let last = arrivals.last {
                #expect(Double(last - second) / 1e9 >= 27 * 0.04)
            }
            #expect(fixture.tencent.counters.requests == 30)
            #expect(fixture.tencent.counters.rateLimitViolations == 0)
        }
    }

    static let faults = HostileAnswer.all(rateLimitCode: nil)

    @Test(arguments: faults)
    func aFaultOnAnyPageFailsTheWholeCrawl(answer: HostileAnswer) async throws {
        // Generous deadlines: these cases run at once with the rest of a parallel test run, and pages 1 and 2
        // must be answered within the page timeout.
        try await withFixture({ try await TencentChatFixture.start(rooms: 100, rateLimit: 100, timeout: 5) }) {
            fixture in
            fixture.tencent.inject(.http(answer.fault), onPage: 3)
            let monitor = fixture.monitor()
            let report = await monitor.poll(deadline: 30)
            let failure = try answer.expectFailure(of: report)
            #expect(failure.message.hasPrefix("page 3: "), "\(answer.fault): \(failure)")
            #expect(report.requests == 3)
            #expect(report.items == 0)
            // The next poll, without the fault, works: nothing is left broken.
            let next = await monitor.poll(deadline: 30)
            answer.expectRecovery(in: next)
            #expect(next.items == 100)
        }
    }
}
