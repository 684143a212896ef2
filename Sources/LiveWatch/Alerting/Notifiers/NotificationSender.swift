import Foundation
import Logging
import Synchronization

/// Something the notification sender did (for tests, the demo and the logs).
public enum NotificationEvent: Sendable, Equatable {
    /// A queued notification was delivered.
    case delivered(notifier: String, state: AlertLine.State, rule: AlertRule, subject: String, attempts: Int)
    /// An attempt failed; the notification is retried `retryIn` seconds later.
    case failed(notifier: String, attempts: Int, error: String, retryIn: Double)
    /// A notification was given up (too old, or refused for good), logged and counted.
    case gaveUp(notifier: String, attempts: Int, error: String)
    /// Alertmanager was sent the still-firing alerts again.
    case resent(notifier: String, alerts: Int)
    /// A pass over every notifier began (on the timer).
    case passStarted
    /// A pass over every notifier ended; the next one comes `nextWake` seconds later (nil: when woken).
    case passFinished(nextWake: Double?)
}

/// Drains `notification_outbox` on its own timer, apart from polling: each
/// notifier's rows go out oldest first; a failed attempt is retried with
/// exponential backoff (`first_retry` doubling up to the notifier's `max_backoff`)
/// and the rows behind it wait, so a receiver that comes back gets everything once
/// and in order. A row older than `give_up_after` that still fails is given up,
/// logged and counted in `notifier_stats`. Notifiers drain concurrently; each
/// database step is a short transaction of its own, so polls never wait on a receiver.
public final class NotificationSender: Sendable {
    private struct State {
        var timer: (any SchedulerTimer)?
        var pass: Task<Double?, Never>?
        var again = false
        var stopping = false
        var lastResend: [String: Date] = [:]
        var knownNotifiers: Set<String>?
    }

    let outbox: NotificationOutboxStore
    let transport: any HTTPTransport
    let clock: any SchedulerClock
    let policy: AlertPolicyBox
    let logger: Logger
    let observer: @Sendable (NotificationEvent) -> Void
    /// Seconds between passes when nothing is due (rows queued by `livewatch poll` are picked up then).
    let idleInterval: Double
    /// The wait after a first failed attempt, in seconds; it doubles with each further failure.
    let firstRetry: Double
    /// Told how many notifications wait after each pass (with `daemon.listen`).
    let metrics: LiveWatchMetrics?
    private let state = Mutex(State())

    /// A sender draining the notification outbox of `store`; call `start()` to begin.
    public init(
        store: Store, transport: any HTTPTransport, clock: any SchedulerClock, policy: AlertPolicyBox, logger: Logger,
        idleInterval: Double = 30, firstRetry: Double = 2,
        observer: @escaping @Sendable (NotificationEvent) -> Void = { _ in }, metrics: LiveWatchMetrics? = nil
    ) {
        self.metrics = metrics
        self.outbox = NotificationOutboxStore(store: store)
        self.transport = transport
        self.clock = clock
        self.policy = policy
        self.logger = logger
        self.idleInterval = idleInterval
        self.firstRetry = firstRetry
        self.observer = observer
    }

    /// Creates the timer; the first pass comes at once when notifiers are configured.
    public func start() {
        let timer = clock.makeTimer(label: "notifications") { [weak self] in self?.fire() }
        state.withLock { $0.timer = timer }
        wake()
    }

    /// Asks for a pass now (new lines were queued, or the configuration changed). Never blocks.
    public func wake() {
        guard !policy.current.notifiers.isEmpty else { return }
        let timer = state.withLock { $0.stopping ? nil : $0.timer }
        timer?.schedule(after: 0)
    }

    /// True while no pass is running.
    public var isIdle: Bool { state.withLock { $0.pass == nil } }

    /// Stops the timer, waits up to `deadline` seconds for the pass in flight and one last
    /// pass (then cancels them; undelivered rows stay for the next start). Call it before
    /// the database closes.
    public func stop(deadline: Double) async {
        let (pass, timer) = state.withLock { state in
            state.stopping = true
            return (state.pass, state.timer)
        }
        timer?.cancel()
        let limit = Date().addingTimeInterval(deadline)
        if let pass { await Self.finish(pass, within: deadline) }
        guard !policy.current.notifiers.isEmpty else { return }
        let last = Task { [self] in await self.runPass() }
        await Self.finish(last, within: max(0.1, limit.timeIntervalSinceNow))
    }

    /// One pass now, outside the timer (`livewatch poll`); returns when it is over.
    @discardableResult
    public func drainOnce() async -> Double? {
        await runPass()
    }

    static func finish(_ task: Task<Double?, Never>, within seconds: Double) async {
        let finished = await MonitorScheduler.race(deadline: seconds) { _ = await task.value }
        if !finished {
            task.cancel()
            _ = await task.value
        }
    }

    private func fire() {
        let started = state.withLock { state in
            guard !state.stopping else { return false }
            if state.pass != nil {
                state.again = true
                return false
            }
            state.pass = Task { [self] in
                let next = await self.runPass()
                self.passFinished(nextWake: next)
                return next
            }
            return true
        }
        if started { observer(.passStarted) }
    }

    private func passFinished(nextWake: Double?) {
        let (timer, delay): ((any SchedulerTimer)?, Double?) = state.withLock { state in
            state.pass = nil
            guard !state.stopping else { return (nil, nil) }
            let delay = state.again ? 0 : nextWake
            state.again = false
            return (state.timer, delay)
        }
        if let timer, let delay { timer.schedule(after: delay) }
        observer(.passFinished(nextWake: delay))
    }

    /// Drains every notifier once; returns the seconds until the next pass is wanted (nil: none configured).
    func runPass() async -> Double? {
        let policy = self.policy.current
        guard !policy.notifiers.isEmpty else { return nil }
        await dropRowsOfRemovedNotifiers(policy)
        var wake = idleInterval
        await withTaskGroup(of: Double?.self) { group in
            for configuration in policy.notifiers {
                group.addTask { await self.drain(configuration, policy: policy) }
            }
            for await next in group {
                if let next { wake = min(wake, next) }
            }
        }
        if let metrics, let queued = try? await outbox.queued() { metrics.notificationsQueued(queued) }
        return max(0, wake)
    }

    private func dropRowsOfRemovedNotifiers(_ policy: AlertPolicy) async {
        let names = Set(policy.notifiers.map(\.name))
        let changed = state.withLock { state in
            defer { state.knownNotifiers = names }
            return state.knownNotifiers != names
        }
        guard changed else { return }
        let now = clock.now()
        do {
            let dropped = try await outbox.dropRows(notConfigured: names, at: now)
            for (name, count) in dropped.sorted(by: { $0.key < $1.key }) {
                logger.warning(
                    "notifications given up: their notifier is no longer configured",
                    metadata: ["notifier": "\(name)", "count": "\(count)"])
            }
        } catch {
            logger.error("cannot clean the notification outbox: \(error)")
        }
    }

    /// Sends `configuration`'s due rows in order; returns when it wants to run again (nil: nothing queued).
    func drain(_ configuration: NotifierConfiguration, policy: AlertPolicy) async -> Double? {
        let notifier = configuration.makeNotifier()
        let name = configuration.name
        while !Task.isCancelled {
            let now = clock.now()
            let head: NotificationOutbox.Head
            do {
                head = try await outbox.claimHead(notifier: name, now: now, lease: configuration.timeout + 5)
            } catch {
                logger.error("cannot read the notification outbox: \(error)", metadata: ["notifier": "\(name)"])
                return firstRetry
            }
            let row: NotificationOutbox.Row
            switch head {
            case .empty: return await resendIfDue(notifier, policy: policy)
            case .notDue(let date): return max(0, date.timeIntervalSince(now))
            case .claimed(let claimed): row = claimed
            }
            guard let notification = row.notification else {
                await giveUp(row, error: "the queued line cannot be read", notification: nil)
                continue
            }
            do {
                try await notifier.send(notification, now: clock.now(), transport: transport)
            } catch {
                if case .transport(.cancelled) = error {
                    let now = clock.now()
                    try? await outbox.release(row, at: now)
                    return nil
                }
                let after = clock.now()
                let message = String(error.description.prefix(300))
                let age = after.timeIntervalSince1970 - Double(row.createdAt)
                if !error.isRetryable || age >= configuration.giveUpAfter {
                    await giveUp(row, error: message, notification: notification)
                    continue
                }
                let delay = backoff(attempts: row.attempts, maximum: configuration.maxBackoff)
                do {
                    try await outbox.markFailed(
                        row, error: message, retryAt: after.addingTimeInterval(delay), at: after)
                } catch {
                    logger.error("cannot update the notification outbox: \(error)", metadata: ["notifier": "\(name)"])
                }
                logger.warning(
                    "notification not delivered; will retry",
                    metadata: metadata(name, notification, attempts: row.attempts).merging(
                        ["error": "\(message)", "retry_in": "\(DurationParser.format(delay))"], uniquingKeysWith: { $1 }
                    ))
                observer(.failed(notifier: name, attempts: row.attempts, error: message, retryIn: delay))
                return delay
            }
            let delivered = clock.now()
            do {
                try await outbox.markDelivered(row, at: delivered)
            } catch {
                logger.error("cannot update the notification outbox: \(error)", metadata: ["notifier": "\(name)"])
                return firstRetry
            }
            logger.info("notification sent", metadata: metadata(name, notification, attempts: row.attempts))
            observer(
                .delivered(
                    notifier: name, state: notification.line.state, rule: notification.line.rule,
                    subject: notification.line.subject, attempts: row.attempts))
        }
        return nil
    }

    private func giveUp(_ row: NotificationOutbox.Row, error: String, notification: AlertNotification?) async {
        let now = clock.now()
        do {
            try await outbox.giveUp(row, error: error, at: now)
        } catch {
            logger.error("cannot update the notification outbox: \(error)", metadata: ["notifier": "\(row.notifier)"])
        }
        var details: Logger.Metadata = [
            "notifier": "\(row.notifier)", "attempts": "\(row.attempts)", "error": "\(error)",
        ]
        if let notification {
            details.merge(
                metadata(row.notifier, notification, attempts: row.attempts), uniquingKeysWith: { first, _ in first })
        }
        logger.error("notification given up", metadata: details)
        observer(.gaveUp(notifier: row.notifier, attempts: row.attempts, error: error))
    }

    /// Alertmanager: sends the firing alerts it was told of again, every `resend_interval`.
    private func resendIfDue(_ notifier: any Notifier, policy: AlertPolicy) async -> Double? {
        guard let interval = notifier.resendInterval else { return nil }
        let now = clock.now()
        let name = notifier.name
        let wait: Double? = state.withLock { state in
            if let last = state.lastResend[name], now.timeIntervalSince(last) < interval {
                return interval - now.timeIntervalSince(last)
            }
            state.lastResend[name] = now
            return nil
        }
        if let wait { return wait }
        do {
            let firing = try await outbox.firing(toldTo: name)
                .filter {
                    !policy.isSilenced(rule: $0.line.rule, monitor: $0.line.monitor, subject: $0.line.subject, at: now)
                }
            if let request = notifier.resendRequest(firing: firing, now: now) {
                try await notifier.deliver(request, transport: transport)
                observer(.resent(notifier: name, alerts: firing.count))
            }
        } catch {
            logger.warning(
                "re-sending firing alerts failed; next try in \(DurationParser.format(interval))",
                metadata: ["notifier": "\(name)", "error": "\(String(describing: error).prefix(300))"])
        }
        return interval
    }

    /// The wait after `attempts` failed attempts: `firstRetry` × 2^(attempts-1), at most `maximum`.
    func backoff(attempts: Int, maximum: Double) -> Double {
        var delay = firstRetry
        for _ in 1..<max(1, min(attempts, 40)) where delay < maximum { delay *= 2 }
        return min(delay, max(maximum, firstRetry))
    }

    private func metadata(_ notifier: String, _ notification: AlertNotification, attempts: Int) -> Logger.Metadata {
        [
            "notifier": "\(notifier)", "state": "\(notification.line.state.rawValue)",
            "rule": "\(notification.line.rule.rawValue)",
            "monitor": "\(notification.line.monitor)", "subject": "\(notification.line.subject)",
            "attempts": "\(attempts)",
        ]
    }
}
