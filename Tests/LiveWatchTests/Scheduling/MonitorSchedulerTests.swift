import Foundation
import Synchronization
import Testing
@testable import LiveWatch

/// A scripted job body: returns the scripted results in order and can hold a poll open.
final class ScriptedJob: Sendable {
    private let results: Mutex<[JobResult]>
    private let gate = Mutex<CheckedContinuation<Void, Never>?>(nil)
    private let holdNext = Mutex(false)
    let runs = Mutex(0)
    let concurrent = Mutex((now: 0, maximum: 0))

    init(_ results: [JobResult]) {
        self.results = Mutex(results)
    }

    /// The next poll stays in flight until `release()`.
    func holdNextPoll() { holdNext.withLock { $0 = true } }

    func release() {
        gate.withLock { continuation in
            continuation?.resume()
            continuation = nil
        }
    }

    var isHeld: Bool { gate.withLock { $0 != nil } }

    func run(_ deadline: Double) async -> JobResult {
        runs.withLock { $0 += 1 }
        concurrent.withLock { $0.now += 1; $0.maximum = max($0.maximum, $0.now) }
        let hold = holdNext.withLock { (held: inout Bool) -> Bool in
            defer { held = false }
            return held
        }
        if hold {
            await withCheckedContinuation { continuation in gate.withLock { $0 = continuation } }
        }
        concurrent.withLock { $0.now -= 1 }
        return results.withLock { $0.isEmpty ? JobResult(succeeded: true) : $0.removeFirst() }
    }
}

@Suite struct MonitorSchedulerTests {
    func makeJob(_ name: String, _ script: ScriptedJob, interval: Double = 30) -> ScheduledJob {
        ScheduledJob(name: name, policy: BackoffPolicy(interval: interval, jitter: 0.1, maximumBackoff: 300), timeout: 5) {
            await script.run($0)
        }
    }

    @Test func firstPollsStartAtOnceStaggeredThenFollowTheInterval() async throws {
        let clock = ManualClock()
        let events = EventRecorder()
        let a = ScriptedJob([]), b = ScriptedJob([])
        let scheduler = MonitorScheduler(
            clock: clock, jobs: [makeJob("a", a), makeJob("b", b)], random: { 0 }, observer: events.observer)
        scheduler.start()
        #expect(clock.pendingDelays == [0, 1])
        clock.advance(by: 0)
        try await events.waitForFinishedPolls(1)
        #expect(a.runs.withLock { $0 } == 1)
        #expect(b.runs.withLock { $0 } == 0)
        clock.advance(by: 1)
        try await events.waitForFinishedPolls(2)
        #expect(b.runs.withLock { $0 } == 1)
        // Both re-armed at the interval, not earlier.
        clock.advance(by: 28)
        #expect(a.runs.withLock { $0 } == 1)
        clock.advance(by: 1)
        try await events.waitForFinishedPolls(3)
        #expect(a.runs.withLock { $0 } == 2)
        await scheduler.stop(deadline: 1)
    }

    @Test func backsOffAfterFailuresHonoursRetryAfterAndRecovers() async throws {
        let clock = ManualClock()
        let events = EventRecorder()
        let script = ScriptedJob([
            JobResult(succeeded: false), JobResult(succeeded: false), JobResult(succeeded: false, retryAfter: 500),
            JobResult(succeeded: true),
        ])
        let scheduler = MonitorScheduler(clock: clock, jobs: [makeJob("m", script)], random: { 0 }, observer: events.observer)
        scheduler.start()
        var delays: [Double] = []
        for round in 1...4 {
            clock.advance(by: delays.last ?? 0)
            try await events.waitForFinishedPolls(round)
            delays.append(events.finished[round - 1].2)
        }
        #expect(delays == [30, 60, 500, 30])
        #expect(scheduler.consecutiveFailures(of: "m") == 0)
        await scheduler.stop(deadline: 1)
    }

    @Test func aPollNeverOverlapsThePreviousOneOfTheSameMonitor() async throws {
        let clock = ManualClock()
        let events = EventRecorder()
        let script = ScriptedJob([])
        script.holdNextPoll()
        let scheduler = MonitorScheduler(clock: clock, jobs: [makeJob("m", script)], random: { 0 }, observer: events.observer)
        scheduler.start()
        clock.advance(by: 0)
        try await events.wait { $0.count == 1 }
        // Wait until the poll is actually parked, then let a lot of time pass.
        let deadline = Date().addingTimeInterval(10)
        while !script.isHeld, Date() < deadline { try await Task.sleep(nanoseconds: 1_000_000) }
        clock.advance(by: 3_600)
        #expect(script.runs.withLock { $0 } == 1)
        #expect(clock.pendingDelays.isEmpty)
        script.release()
        try await events.waitForFinishedPolls(1)
        clock.advance(by: 30)
        try await events.waitForFinishedPolls(2)
        #expect(script.concurrent.withLock { $0.maximum } == 1)
        await scheduler.stop(deadline: 1)
    }

    @Test func stopAbandonsAPollThatOutlivesTheDeadline() async throws {
        let clock = ManualClock()
        let events = EventRecorder()
        let script = ScriptedJob([])
        script.holdNextPoll()
        let scheduler = MonitorScheduler(clock: clock, jobs: [makeJob("stuck", script)], random: { 0 }, observer: events.observer)
        scheduler.start()
        clock.advance(by: 0)
        try await events.wait { $0.count == 1 }
        let abandoned = await scheduler.stop(deadline: 0.05)
        #expect(abandoned == ["stuck"])
        #expect(clock.pendingDelays.isEmpty)
        script.release()
    }

    @Test func theStaggerStepSpreadsFirstPollsWithinOneSecond() {
        let jobs = (0..<4).map { makeJob("j\($0)", ScriptedJob([]), interval: 2) }
        #expect(MonitorScheduler.staggerStep(jobs: jobs) == 0.5)
        #expect(MonitorScheduler.staggerStep(jobs: Array(jobs.prefix(1))) == 0)
    }
}
