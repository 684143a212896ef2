import Foundation
import Synchronization
import Testing

@testable import LiveWatch

@Suite struct RateLimiterTests {
    /// Virtual time: sleeping advances it, so the test runs instantly.
    final class VirtualTime: Sendable {
        let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var now: @Sendable () -> Date { { self.current.withLock { $0 } } }
        var sleep: @Sendable (Double) async throws -> Void { { seconds in self.current.withLock { $0 += seconds } } }
    }

    @Test func spreadsStartsEvenlyAndNeverExceedsTheRateInAnyWindow() async throws {
        let time = VirtualTime()
        let limiter = RateLimiter(perSecond: 10, now: time.now, sleep: time.sleep)
        var starts: [Double] = []
        for _ in 0..<50 {
            try await limiter.acquire()
            starts.append(time.now().timeIntervalSince1970 - 1_800_000_000)
        }
        for (index, start) in starts.enumerated() {
            let inWindow = starts[index...].prefix { $0 < start + 1 }.count
            #expect(inWindow <= 10, "window at \(start) holds \(inWindow) starts")
        }
        // Evenly: 50 starts take ~4.9 s plus the 0.5 % margin, not a burst then a wait.
        #expect(abs((starts.last ?? 0) - 49 * 0.1005) < 0.001)
    }

    @Test func anOversleepIsMadeUpByTheNextStartButNeverBunchesStarts() async throws {
        // Every sleep ends 30 ms late (a loaded machine): the steps still average the spacing, so a crawl is not
        // stretched, and no two starts come closer than half of it.
        let time = VirtualTime()
        let late: @Sendable (Double) async throws -> Void = { seconds in try await time.sleep(seconds + 0.03) }
        let limiter = RateLimiter(perSecond: 10, now: time.now, sleep: late)
        var starts: [Double] = []
        for _ in 0..<50 {
            try await limiter.acquire()
            starts.append(time.now().timeIntervalSince1970 - 1_800_000_000)
        }
        #expect(abs((starts.last ?? 0) - (49 * 0.1005 + 0.03)) < 0.001)
        for index in starts.indices.dropFirst() {
            #expect(starts[index] - starts[index - 1] >= 0.1005 / 2 - 1e-9)
        }
        // An oversleep longer than half a step re-anchors the steps there instead.
        let later = VirtualTime()
        let veryLate: @Sendable (Double) async throws -> Void = { seconds in try await later.sleep(seconds + 0.2) }
        let anchored = RateLimiter(perSecond: 10, now: later.now, sleep: veryLate)
        var previous = -1.0
        for _ in 0..<10 {
            try await anchored.acquire()
            let start = later.now().timeIntervalSince1970 - 1_800_000_000
            if previous >= 0 { #expect(start - previous >= 0.1005 / 2 - 1e-9) }
            previous = start
        }
    }

    @Test func aPausePushesTheNextStart() async throws {
        let time = VirtualTime()
        let limiter = RateLimiter(perSecond: 10, now: time.now, sleep: time.sleep)
        try await limiter.acquire()
        limiter.pause(for: 60)
        try await limiter.acquire()
        #expect(time.now().timeIntervalSince1970 - 1_800_000_000 == 60)
    }
}

@Suite struct RateLimiterWindowTests {
    @Test func aStartWaitsASecondAfterTheAnswerToTheRequestRateTimesEarlier() async throws {
        let time = RateLimiterTests.VirtualTime()
        let limiter = RateLimiter(perSecond: 10, now: time.now, sleep: time.sleep)
        var starts: [Double] = []
        for _ in 0..<30 {
            try await limiter.acquire()
            starts.append(time.now().timeIntervalSince1970 - 1_800_000_000)
            try await time.sleep(0.05) // a slow answer: 50 ms
            limiter.complete()
        }
        // Spacing alone (100.5 ms) would put start 10 at 1.005 s; the answer to start 0 came at 0.05 s, so start 10
        // waits until 1.051 s: whatever the latency, the server cannot see 11 starts within one second.
        #expect(abs(starts[10] - 1.051) < 1e-6)
        for index in 10..<starts.count {
            #expect(starts[index] - (starts[index - 10] + 0.05) >= 1.001 - 1e-6)
        }
    }

    @Test func withoutCompletionsOnlyTheSpacingApplies() async throws {
        let time = RateLimiterTests.VirtualTime()
        let limiter = RateLimiter(perSecond: 10, now: time.now, sleep: time.sleep)
        for _ in 0..<11 { try await limiter.acquire() }
        #expect(abs(time.now().timeIntervalSince1970 - 1_800_000_000 - 10 * 0.1005) < 1e-6)
    }
}
