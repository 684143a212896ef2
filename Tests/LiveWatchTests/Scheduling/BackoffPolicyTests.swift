import Testing

@testable import LiveWatch

@Suite struct BackoffPolicyTests {
    let policy = BackoffPolicy(interval: 30, jitter: 0.1, maximumBackoff: 300)

    @Test func usesTheIntervalAfterASuccess() {
        #expect(policy.delay(consecutiveFailures: 0, retryAfter: nil, random: 0) == 30)
    }

    @Test func jitterSpreadsTheWaitWithinItsFraction() {
        #expect(policy.delay(consecutiveFailures: 0, retryAfter: nil, random: 1) == 33)
        #expect(policy.delay(consecutiveFailures: 0, retryAfter: nil, random: -1) == 27)
    }

    @Test func doublesAfterEachFailureUpToTheCap() {
        let delays = (1...7).map { policy.delay(consecutiveFailures: $0, retryAfter: nil, random: 0) }
        #expect(delays == [30, 60, 120, 240, 300, 300, 300])
    }

    @Test func neverRetriesSoonerThanRetryAfter() {
        #expect(policy.delay(consecutiveFailures: 1, retryAfter: 90, random: 0) == 90)
        #expect(policy.delay(consecutiveFailures: 3, retryAfter: 10, random: 0) == 120)
    }

    @Test func theCapIsNeverBelowTheInterval() {
        let slow = BackoffPolicy(interval: 3_600, jitter: 0, maximumBackoff: 300)
        #expect(slow.delay(consecutiveFailures: 4, retryAfter: nil, random: 0) == 3_600)
    }
}
