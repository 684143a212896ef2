import Foundation
import Synchronization

/// The result of one scheduled poll, as the scheduler needs it.
public struct JobResult: Sendable, Equatable {
    public var succeeded: Bool
    /// The least wait before the next attempt (Retry-After, an AK lockout), if any.
    public var retryAfter: Double?

    public init(succeeded: Bool, retryAfter: Double? = nil) {
        self.succeeded = succeeded
        self.retryAfter = retryAfter
    }
}

/// One monitor's place in the schedule.
public struct ScheduledJob: Sendable {
    public var name: String
    public var policy: BackoffPolicy
    /// Polls once; gets the poll's deadline in seconds.
    public var run: @Sendable (_ deadline: Double) async -> JobResult
    /// Deadline of one poll, in seconds.
    public var timeout: Double

    public init(
        name: String, policy: BackoffPolicy, timeout: Double, run: @escaping @Sendable (Double) async -> JobResult
    ) {
        self.name = name
        self.policy = policy
        self.timeout = timeout
        self.run = run
    }
}

/// Something that happened in the scheduler (for tests, the demo and the watchdog).
public enum SchedulerEvent: Sendable, Equatable {
    /// A poll of the job began.
    case pollStarted(job: String, at: Date)
    /// A poll of the job ended; its next poll is `nextDelay` seconds away.
    case pollFinished(job: String, succeeded: Bool, nextDelay: Double)
    /// A poll of a job that was replaced or removed while it ran has ended; its result schedules nothing.
    case pollSuperseded(job: String, succeeded: Bool)
}

/// Polls every job on its own timer: first poll at start (staggered),
/// never two polls of one job at once, backoff after failures.
///
/// "Never two polls at once" holds per job name across replacements: a poll
/// belongs to the job state (generation) that started it, and stays registered
/// as busy for its name until it ends, even when `add` replaced that job or
/// `remove` dropped it meanwhile. A replacement whose timer fires while the old
/// poll runs is skipped and re-armed to fire as soon as the old poll ends.
public final class MonitorScheduler: Sendable {
    private struct JobState {
        var job: ScheduledJob
        var timer: (any SchedulerTimer)?
        /// Tells this state apart from earlier and later states of the same name.
        var generation: Int
        var consecutiveFailures = 0
        var skippedOverlaps = 0
        /// The timer fired while another poll of this name was in flight: fire as soon as it ends.
        var waitingForPoll = false
    }

    /// A poll in flight, registered by name until it ends, whatever happens to its job meanwhile.
    private struct RunningPoll {
        /// The generation of the job state that started it.
        var generation: Int
        var since: Date
        var timeout: Double
        var task: Task<Void, Never>?
    }

    private struct State {
        var jobs: [String: JobState] = [:]
        var polls: [String: RunningPoll] = [:]
        var nextGeneration = 0
        var stopping = false
        var lastActivity: Date
    }

    let clock: any SchedulerClock
    let jobs: [ScheduledJob]
    let random: @Sendable () -> Double
    let observer: @Sendable (SchedulerEvent) -> Void
    private let state: Mutex<State>

    /// - Parameters:
    ///   - random: a source in -1...1 for jitter (tests pass a constant).
    ///   - observer: told of each poll's start and finish.
    public init(
        clock: any SchedulerClock, jobs: [ScheduledJob],
        random: @escaping @Sendable () -> Double = { Double.random(in: -1...1) },
        observer: @escaping @Sendable (SchedulerEvent) -> Void = { _ in }
    ) {
        self.clock = clock
        self.jobs = jobs
        self.random = random
        self.observer = observer
        self.state = Mutex(State(lastActivity: clock.now()))
    }

    /// The stagger of the first polls: job `index` starts `index × step` seconds after start.
    public static func staggerStep(jobs: [ScheduledJob]) -> Double {
        guard jobs.count > 1, let shortest = jobs.map(\.policy.interval).min() else { return 0 }
        return min(1.0, shortest / Double(jobs.count))
    }

    /// Arms every job's timer; the first polls begin at once, staggered.
    public func start() {
        let step = Self.staggerStep(jobs: jobs)
        for (index, job) in jobs.enumerated() {
            add(job, firstPollAfter: Double(index) * step)
        }
    }

    /// Adds a job (or replaces one of the same name, keeping no state of the old one's timer);
    /// its first poll comes `firstPollAfter` seconds from now, or, if a poll of that name is
    /// still in flight then, as soon as that poll ends.
    public func add(_ job: ScheduledJob, firstPollAfter delay: Double) {
        let (added, replaced): (JobState?, JobState?) = state.withLock { state in
            guard !state.stopping else { return (nil, nil) }
            let replaced = state.jobs.removeValue(forKey: job.name)
            state.nextGeneration += 1
            let generation = state.nextGeneration
            let timer = clock.makeTimer(label: job.name) { [weak self] in
                self?.fire(job.name, generation: generation)
            }
            let added = JobState(job: job, timer: timer, generation: generation)
            state.jobs[job.name] = added
            return (added, replaced)
        }
        replaced?.timer?.cancel()
        added?.timer?.schedule(after: delay)
    }

    /// Removes a job: its timer stops; a poll in flight finishes but is not rescheduled, and
    /// a job added again under that name does not poll before it ends.
    public func remove(_ name: String) {
        let removed = state.withLock { $0.jobs.removeValue(forKey: name) }
        removed?.timer?.cancel()
    }

    /// The names of the scheduled jobs.
    public var jobNames: [String] { state.withLock { $0.jobs.keys.sorted() } }

    /// True unless a poll (of a current, replaced or removed job) has been in flight longer
    /// than its deadline plus `grace` seconds: what the systemd watchdog is fed from.
    public func isHealthy(now: Date, grace: Double = 30) -> Bool {
        state.withLock { state in
            state.polls.values.allSatisfy { poll in now.timeIntervalSince(poll.since) <= poll.timeout + grace }
        }
    }

    /// When the scheduler last started or finished a poll (for a watchdog).
    public var lastActivity: Date { state.withLock { $0.lastActivity } }

    /// Consecutive failures of a job so far.
    public func consecutiveFailures(of job: String) -> Int {
        state.withLock { $0.jobs[job]?.consecutiveFailures ?? 0 }
    }

    private func fire(_ name: String, generation: Int) {
        let now = clock.now()
        let job: ScheduledJob? = state.withLock { state in
            guard !state.stopping, let jobState = state.jobs[name], jobState.generation == generation else {
                return nil
            }
            if state.polls[name] != nil {
                // A poll of this name is in flight (this job's, or the one it replaced): fire when it ends.
                state.jobs[name]?.skippedOverlaps += 1
                state.jobs[name]?.waitingForPoll = true
                return nil
            }
            state.lastActivity = now
            state.jobs[name]?.waitingForPoll = false
            state.polls[name] = RunningPoll(generation: generation, since: now, timeout: jobState.job.timeout)
            return jobState.job
        }
        guard let job else { return }
        observer(.pollStarted(job: job.name, at: now))
        // The task is registered under the lock before it can finish, so the
        // completion below always finds it.
        state.withLock { state in
            let task = Task(executorPreference: ProcessThreads.taskExecutor) { [weak self] in
                let result = await job.run(job.timeout)
                self?.finish(job.name, generation: generation, result: result)
            }
            state.polls[job.name]?.task = task
        }
    }

    private func finish(_ name: String, generation: Int, result: JobResult) {
        let jitter = random()
        let (timer, delay, current): ((any SchedulerTimer)?, Double?, Bool) = state.withLock { state in
            if state.polls[name]?.generation == generation { state.polls[name] = nil }
            state.lastActivity = clock.now()
            guard var jobState = state.jobs[name] else { return (nil, nil, false) }
            guard jobState.generation == generation else {
                // The job was replaced while this poll ran: its result is not the replacement's, but a
                // replacement that wanted to poll meanwhile may now.
                guard !state.stopping, jobState.waitingForPoll else { return (nil, nil, false) }
                return (jobState.timer, 0, false)
            }
            jobState.consecutiveFailures = result.succeeded ? 0 : jobState.consecutiveFailures + 1
            jobState.waitingForPoll = false
            state.jobs[name] = jobState
            guard !state.stopping else { return (nil, nil, true) }
            let delay = jobState.job.policy.delay(
                consecutiveFailures: jobState.consecutiveFailures, retryAfter: result.retryAfter, random: jitter)
            return (jobState.timer, delay, true)
        }
        if let timer, let delay { timer.schedule(after: delay) }
        if current {
            if let delay { observer(.pollFinished(job: name, succeeded: result.succeeded, nextDelay: delay)) }
        } else {
            observer(.pollSuperseded(job: name, succeeded: result.succeeded))
        }
    }

    /// Stops the timers, then waits up to `deadline` seconds for in-flight
    /// polls (those of replaced or removed jobs too); those still running are
    /// cancelled. Returns the names abandoned.
    @discardableResult
    public func stop(deadline: Double) async -> [String] {
        let running: [Task<Void, Never>] = state.withLock { state in
            state.stopping = true
            for job in state.jobs.values { job.timer?.cancel() }
            return state.polls.values.compactMap(\.task)
        }
        guard !running.isEmpty else { return [] }
        let finishedInTime = await Self.race(deadline: deadline) {
            for task in running { await task.value }
        }
        if finishedInTime { return [] }
        let abandoned = state.withLock { state in Array(state.polls.keys) }
        for task in running { task.cancel() }
        return abandoned.sorted()
    }

    /// True if `work` finished within `deadline` seconds; false as soon as the deadline passes (work goes on).
    static func race(deadline: Double, _ work: @escaping @Sendable () async -> Void) async -> Bool {
        let once = OnceFlag()
        return await withCheckedContinuation { continuation in
            Task {
                await work()
                if once.claim() { continuation.resume(returning: true) }
            }
            Task {
                try? await Task.sleep(nanoseconds: Seconds.nanoseconds(deadline))
                if once.claim() { continuation.resume(returning: false) }
            }
        }
    }
}

/// A flag that can be claimed exactly once, from any thread.
final class OnceFlag: Sendable {
    private let claimed = Mutex(false)

    /// True for the first caller only.
    func claim() -> Bool {
        claimed.withLock { wasClaimed in
            defer { wasClaimed = true }
            return !wasClaimed
        }
    }
}
