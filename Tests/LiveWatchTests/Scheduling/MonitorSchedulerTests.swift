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
        concurrent.withLock {
            $0.now += 1
            $0.maximum = max($0.maximum, $0.now)
        }
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

/// Polls that stay in flight until the test releases them, counting how many
/// polls of one name run at once, whichever job (generation) started them.
final class GatedPolls: Sendable {
    private struct State {
        var parked: [CheckedContinuation<Void, Never>] = []
        var running = 0
        var maximum = 0
        var started: [String] = []
    }

    private let state = Mutex(State())

    /// A job named `name` whose every poll parks until `releaseAll()`; `tag` marks its polls in `started`.
    func job(_ name: String, tag: String, interval: Double = 30) -> ScheduledJob {
        ScheduledJob(name: name, policy: BackoffPolicy(interval: interval, jitter: 0, maximumBackoff: 300), timeout: 5)
        { _ in
            await withCheckedContinuation { continuation in
                self.state.withLock { state in
                    state.started.append(tag)
                    state.running += 1
                    state.maximum = max(state.maximum, state.running)
                    state.parked.append(continuation)
                }
            }
            return JobResult(succeeded: true)
        }
    }

    /// Lets every parked poll finish.
    func releaseAll() {
        let parked = state.withLock { state in
            defer { state.parked = [] }
            state.running -= state.parked.count
            return state.parked
        }
        for continuation in parked { continuation.resume() }
    }

    /// Polls parked now.
    var parked: Int { state.withLock { $0.parked.count } }
    /// The most polls of this name that ever ran at once.
    var maximumConcurrent: Int { state.withLock { $0.maximum } }
    /// The tags of the jobs whose polls started, in order.
    var started: [String] { state.withLock { $0.started } }

    /// Waits (up to 10 real seconds) until `count` polls are parked.
    func waitUntilParked(_ count: Int) async throws {
        try await waitUntil(every: 0.001) { parked >= count }
    }
}

@Suite struct MonitorSchedulerTests {
    /// A scheduler of `jobs` on a manual clock, no jitter, its events recorded: started.
    static func startScheduler(_ jobs: [ScheduledJob]) -> (ManualClock, EventRecorder, MonitorScheduler) {
        let clock = ManualClock()
        let events = EventRecorder()
        let scheduler = MonitorScheduler(clock: clock, jobs: jobs, random: { 0 }, observer: events.observer)
        scheduler.start()
        return (clock, events, scheduler)
    }

    /// One job `name` whose first poll starts and stays in flight until its script is released.
    func startHoldingFirstPoll(_ name: String) async throws -> (
        ScriptedJob, ManualClock, EventRecorder, MonitorScheduler
    ) {
        let script = ScriptedJob([])
        script.holdNextPoll()
        let (clock, events, scheduler) = Self.startScheduler([makeJob(name, script)])
        clock.advance(by: 0)
        try await events.wait { $0.count == 1 }
        return (script, clock, events, scheduler)
    }

    func makeJob(_ name: String, _ script: ScriptedJob, interval: Double = 30) -> ScheduledJob {
        ScheduledJob(
            name: name, policy: BackoffPolicy(interval: interval, jitter: 0.1, maximumBackoff: 300), timeout: 5
        ) {
            await script.run($0)
        }
    }

    @Test func firstPollsStartAtOnceStaggeredThenFollowTheInterval() async throws {
        let a = ScriptedJob([])
        let b = ScriptedJob([])
        let (clock, events, scheduler) = Self.startScheduler([makeJob("a", a), makeJob("b", b)])
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
        let script = ScriptedJob([
            JobResult(succeeded: false), JobResult(succeeded: false), JobResult(succeeded: false, retryAfter: 500),
            JobResult(succeeded: true),
        ])
        let (clock, events, scheduler) = Self.startScheduler([makeJob("m", script)])
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
        let (script, clock, events, scheduler) = try await startHoldingFirstPoll("m")
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

    /// A reload replaces a job while its poll is in flight, again and again: the replacements never poll
    /// beside it, the old poll's end neither clears their in-flight mark nor re-arms them twice, and the
    /// last replacement polls once the old poll has ended.
    @Test func replacingAJobMidPollNeverRunsTwoPollsOfItAtOnce() async throws {
        let polls = GatedPolls()
        let (clock, events, scheduler) = Self.startScheduler([polls.job("m", tag: "v0")])
        clock.advance(by: 0)
        let started = clock.now()
        try await polls.waitUntilParked(1)
        for version in 1...5 {
            scheduler.add(polls.job("m", tag: "v\(version)"), firstPollAfter: 0)
            clock.advance(by: 0)
            clock.advance(by: 60)
            #expect(polls.started == ["v0"], "replacement \(version) polled beside the old poll")
        }
        #expect(events.pollsStarted == 1)
        // The old poll still counts for the watchdog: 5 minutes in flight is past its 5 s deadline and the grace.
        #expect(scheduler.isHealthy(now: started.addingTimeInterval(10)))
        #expect(!scheduler.isHealthy(now: clock.now()))

        // The old poll ends: the waiting replacement is armed at once, and polls when its timer fires.
        polls.releaseAll()
        try await events.wait { $0.contains(.pollSuperseded(job: "m", succeeded: true)) }
        #expect(clock.pendingTimers.map(\.label) == ["m"])
        #expect(clock.pendingDelays == [0])
        clock.advance(by: 0)
        try await polls.waitUntilParked(1)
        #expect(polls.started == ["v0", "v5"])
        // While the replacement's own poll runs, its timer is not armed: nothing more starts.
        clock.advance(by: 3_600)
        #expect(polls.started == ["v0", "v5"])
        polls.releaseAll()
        try await events.waitForFinishedPolls(1)
        #expect(events.finished.map(\.0) == ["m"])
        #expect(clock.pendingDelays == [30])
        clock.advance(by: 30)
        try await polls.waitUntilParked(1)
        #expect(polls.started == ["v0", "v5", "v5"])
        #expect(polls.maximumConcurrent == 1)
        polls.releaseAll()
        try await events.waitForFinishedPolls(2)
        await scheduler.stop(deadline: 1)
    }

    /// A job removed mid-poll and added again waits for the removed job's poll; shutdown waits for a removed job's poll too.
    @Test func aJobRemovedMidPollAndAddedAgainWaitsForTheOldPoll() async throws {
        let polls = GatedPolls()
        let (clock, events, scheduler) = Self.startScheduler([polls.job("m", tag: "old")])
        clock.advance(by: 0)
        try await polls.waitUntilParked(1)
        scheduler.remove("m")
        #expect(scheduler.jobNames.isEmpty)
        scheduler.add(polls.job("m", tag: "new"), firstPollAfter: 0)
        clock.advance(by: 0)
        #expect(events.pollsStarted == 1)
        #expect(polls.started == ["old"])
        polls.releaseAll()
        try await events.wait { $0.contains(.pollSuperseded(job: "m", succeeded: true)) }
        #expect(clock.pendingDelays == [0])
        clock.advance(by: 0)
        try await polls.waitUntilParked(1)
        #expect(polls.started == ["old", "new"])
        #expect(polls.maximumConcurrent == 1)

        // Removed while polling, then stopped: the removed job's poll is still in flight, and the deadline abandons it.
        scheduler.remove("m")
        let abandoned = await scheduler.stop(deadline: 0.05)
        #expect(abandoned == ["m"])
        polls.releaseAll()
        try await events.wait { $0.filter { $0 == .pollSuperseded(job: "m", succeeded: true) }.count == 2 }
        #expect(clock.pendingDelays.isEmpty)
    }

    @Test func stopAbandonsAPollThatOutlivesTheDeadline() async throws {
        let (script, clock, _, scheduler) = try await startHoldingFirstPoll("stuck")
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
