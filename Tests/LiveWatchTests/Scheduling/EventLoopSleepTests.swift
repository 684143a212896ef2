import Foundation
import Testing

@testable import LiveWatch

@Suite struct EventLoopSleepTests {
    @Test func cancellingTheTaskEndsALongSleepWithCancellationError() async throws {
        let sleeper = Task { () -> (any Error)? in
            do {
                try await EventLoopSleep.sleep(3_600)
                return nil
            } catch {
                return error
            }
        }
        sleeper.cancel()
        let error = await sleeper.value
        #expect(error is CancellationError)
    }

    @Test func aTaskCancelledBeforeItSleepsDoesNotSleep() async throws {
        let sleeper = Task { () -> (any Error)? in
            withUnsafeCurrentTask { $0?.cancel() }
            do {
                try await EventLoopSleep.sleep(3_600)
                return nil
            } catch {
                return error
            }
        }
        #expect(await sleeper.value is CancellationError)
    }

    @Test func itNeverEndsBeforeTheTimeAsked() async throws {
        for wait in [0.0, 0.001, 0.02] {
            let started = ContinuousClock.now
            try await EventLoopSleep.sleep(wait)
            #expect(ContinuousClock.now - started >= .nanoseconds(Int64(wait * 1e9)))
        }
    }
}
