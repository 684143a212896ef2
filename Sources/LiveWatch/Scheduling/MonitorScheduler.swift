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

    public init(name: String, policy: BackoffPolicy, timeout: Double, run: @escaping @Sendable (Double) async -> JobResult) {
        self.name = name
        self.policy = policy
        self.timeout = timeout
        self.run = run
    }
}

/// Something that happened in the scheduler (for tests, the demo and the watchdog).
public enum SchedulerEvent: Sendable, Equatable {
    case pollStarted(job: String, at: Date)
    case pollFinished(job: String, succeeded: Bool, nextDelay: Double)
}

/// Polls every job on its own timer: first poll at start (staggered),
/// never two polls of one job at once, backoff after failures.
public final class MonitorScheduler: Sendable {
    private struct JobState {
        var job: ScheduledJob
        var timer: (any SchedulerTimer)?
        var inFlight: Task<Void, Never>?
        var inFlightSince: Date?
        var consecutiveFailures = 0
        var skippedOverlaps = 0
    }

    private struct State {
        var jobs: [String: JobState] = [:]
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
    /// its first poll comes `firstPollAfter` seconds from now.
    public func add(_ job: ScheduledJob, firstPollAfter delay: Double) {
        remove(job.name)
        let timer = clock.makeTimer(label: job.name) { [weak self] in
            self?.fire(job.name)
        }
        let added = state.withLock { state in
            guard !state.stopping else { return false }
            state.jobs[job.name] = JobState(job: job, timer: timer)
            return true
        }
        if added { timer.schedule(after: delay) } else { timer.cancel() }
    }

    /// Removes a job: its timer stops; a poll in flight finishes but is not rescheduled.
    public func remove(_ name: String) {
        let removed = state.withLock { $0.jobs.removeValue(forKey: name) }
        removed?.timer?.cancel()
    }

    /// The names of the scheduled jobs.
    public var jobNames: [String] { state.withLock { $0.jobs.keys.sorted() } }

    /// True unless a poll has been in flight longer than its deadline plus `grace` seconds:
    /// what the systemd watchdog is fed from.
    public func isHealthy(now: Date, grace: Double = 30) -> Bool {
        state.withLock { state in
            state.jobs.values.allSatisfy { job in
                guard let since = job.inFlightSince else { return true }
                return now.timeIntervalSince(since) <= job.job.timeout + grace
            }
        }
    }

    /// When the scheduler last started or finished a poll (for a watchdog).
    public var lastActivity: Date { state.withLock { $0.lastActivity } }

    /// Consecutive failures of a job so far.
    public func consecutiveFailures(of job: String) -> Int {
        state.withLock { $0.jobs[job]?.consecutiveFailures ?? 0 }
    }

    private func fire(_ name: String) {
        let now = clock.now()
        let job: ScheduledJob? = state.withLock { state in
            guard !state.stopping, let jobState = state.jobs[name] else { return nil }
            if jobState.inFlight != nil {
                state.jobs[name]?.skippedOverlaps += 1
                return nil
            }
            state.lastActivity = now
            state.jobs[name]?.inFlightSince = now
            return jobState.job
        }
        guard let job else { return }
        observer(.pollStarted(job: job.name, at: now))
        // The task is registered under the lock before it can finish, so the
        // completion below always finds it.
        state.withLock { state in
            let task = Task { [weak self] in
                let result = await job.run(job.timeout)
                self?.finish(job, result: result)
            }
            if state.jobs[job.name] != nil { state.jobs[job.name]?.inFlight = task }
        }
    }

    private func finish(_ job: ScheduledJob, result: JobResult) {
        let jitter = random()
        let (timer, delay): ((any SchedulerTimer)?, Double?) = state.withLock { state in
            // A job removed or replaced while polling is not rescheduled.
            guard var jobState = state.jobs[job.name], jobState.inFlight != nil else { return (nil, nil) }
            jobState.inFlight = nil
            jobState.inFlightSince = nil
            jobState.consecutiveFailures = result.succeeded ? 0 : jobState.consecutiveFailures + 1
            state.jobs[job.name] = jobState
            state.lastActivity = clock.now()
            guard !state.stopping else { return (nil, nil) }
            let delay = job.policy.delay(
                consecutiveFailures: jobState.consecutiveFailures, retryAfter: result.retryAfter, random: jitter)
            return (jobState.timer, delay)
        }
        guard let timer, let delay else { return }
        timer.schedule(after: delay)
        observer(.pollFinished(job: job.name, succeeded: result.succeeded, nextDelay: delay))
    }

    /// Stops the timers, then waits up to `deadline` seconds for in-flight
    /// polls; those still running are cancelled. Returns the names abandoned.
    @discardableResult
    public func stop(deadline: Double) async -> [String] {
        let running: [(String, Task<Void, Never>)] = state.withLock { state in
            state.stopping = true
            var running: [(String, Task<Void, Never>)] = []
            for (name, job) in state.jobs {
                job.timer?.cancel()
                if let task = job.inFlight { running.append((name, task)) }
            }
            return running
        }
        guard !running.isEmpty else { return [] }
        let finishedInTime = await Self.race(deadline: deadline) {
            for (_, task) in running { await task.value }
        }
        if finishedInTime { return [] }
        let abandoned = state.withLock { state in state.jobs.compactMap { $0.value.inFlight != nil ? $0.key : nil } }
        for (_, task) in running { task.cancel() }
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
