import Foundation
import Logging
import Synchronization

/// Something the notification sender did (for tests, the demo and the logs).
public enum NotificationEvent: Sendable, Equatable {
    /// A queued notification was delivered.
    case delivered(notifier: String, state: AlertLine.State, rule: AlertRule, subject: String, attempts: Int)
    /// An attempt failed; the notification is retried `retryIn` seconds later.
    case failed(notifier: String, attempts: Int, error: String, retryIn: Double)
    /// The service answered "too fast": the message's `lines` go again `retryIn` seconds later, the
    /// attempt not counted (no retry burnt, never given up for it).
    case throttled(notifier: String, lines: Int, retryIn: Double)
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
/// notifier's rows go out oldest first. A chat robot's lines wait `group_wait` from the oldest
/// and go out together as one message (most severe first, split only at the service's size
/// limit), no faster than the service's documented rate (`ChatRateLimiter`); its "too fast"
/// answer is a wait, not a failure. A failed attempt is retried with
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
        var limiters: [String: ChatRateLimiter] = [:]
    }

    /// What one claim is to send: the rows that cannot be read (given up), and one message.
    struct Plan: Sendable {
        var unreadable: [Int64] = []
        /// The rows the message lists, in the order listed, with their notifications.
        var lines: [(id: Int64, notification: AlertNotification)] = []
        var request: OutgoingRequest?
    }

    /// The most rows one chat message is planned from (the rest wait for the next message).
    static let groupRows = 500

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
    /// pass (then cancels them; undelivered rows stay for the next start). The last pass does not
    /// wait for `group_wait` (lines waiting to be grouped go out now, within the services' rates).
    /// `lastPass: false` skips it (a test standing in for a crash). Call it before the database closes.
    public func stop(deadline: Double, lastPass: Bool = true) async {
        let (pass, timer) = state.withLock { state in
            state.stopping = true
            return (state.pass, state.timer)
        }
        timer?.cancel()
        let limit = Date().addingTimeInterval(deadline)
        if let pass { await Self.finish(pass, within: deadline) }
        guard lastPass, !policy.current.notifiers.isEmpty else { return }
        let last = Task { [self] in await self.runPass(flush: true) }
        await Self.finish(last, within: max(0.1, limit.timeIntervalSinceNow))
    }

    /// One pass now, outside the timer (`livewatch poll`), not waiting for `group_wait`; returns when it is over.
    @discardableResult
    public func drainOnce() async -> Double? {
        await runPass(flush: true)
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
    /// `flush`: lines waiting for `group_wait` go out now.
    func runPass(flush: Bool = false) async -> Double? {
        let policy = self.policy.current
        guard !policy.notifiers.isEmpty else { return nil }
        await dropRowsOfRemovedNotifiers(policy)
        var wake = idleInterval
        await withTaskGroup(of: Double?.self) { group in
            for configuration in policy.notifiers {
                group.addTask { await self.drain(configuration, policy: policy, flush: flush) }
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
    func drain(_ configuration: NotifierConfiguration, policy: AlertPolicy, flush: Bool = false) async -> Double? {
        let notifier = configuration.makeNotifier()
        let chat = notifier as? any ChatNotifier
        let name = configuration.name
        let groupWait = configuration.effectiveGroupWait
        while !Task.isCancelled {
            let now = clock.now()
            let oldest: NotificationOutbox.Oldest?
            do {
                oldest = try await outbox.oldest(notifier: name)
            } catch {
                logger.error("cannot read the notification outbox: \(error)", metadata: ["notifier": "\(name)"])
                return firstRetry
            }
            guard let oldest else { return await resendIfDue(notifier, policy: policy) }
            // Compared in unix seconds, as stored: a round trip through Date could miss the due time by an ulp.
            let notDue = oldest.nextAttemptAt - now.timeIntervalSince1970
            if notDue > 0 { return notDue }
            let groupReady = Double(oldest.createdAt) + groupWait - now.timeIntervalSince1970
            if !flush, groupReady > 0 { return groupReady }
            if let chat {
                let wait = limiterWait(name, rates: type(of: chat).limits.rates, now: now)
                if wait > 0 { return wait }
            }
            let claimed: (rows: [NotificationOutbox.Row], plan: Plan)?
            do {
                claimed = try await outbox.claim(
                    notifier: name, now: now, lease: configuration.timeout + 5, limit: chat == nil ? 1 : Self.groupRows
                ) { candidates in Self.plan(candidates, notifier: notifier, chat: chat, now: now) }
            } catch {
                logger.error("cannot read the notification outbox: \(error)", metadata: ["notifier": "\(name)"])
                return firstRetry
            }
            guard let (rows, plan) = claimed else { continue }
            let unreadable = rows.filter { plan.unreadable.contains($0.id) }
            if !unreadable.isEmpty {
                await giveUp(unreadable.map { ($0, nil) }, error: "the queued line cannot be read")
            }
            let lines: [(row: NotificationOutbox.Row, notification: AlertNotification)] = plan.lines.compactMap {
                line in rows.first { $0.id == line.id }.map { ($0, line.notification) }
            }
            guard let request = plan.request, !lines.isEmpty else { continue }
            if let wait = await send(request, lines: lines, notifier: notifier, configuration: configuration) {
                return wait
            }
        }
        return nil
    }

    /// Plans one message from the due `candidates`: a chat robot's first grouped message, else the oldest row alone.
    static func plan(
        _ candidates: [NotificationOutbox.Row], notifier: any Notifier, chat: (any ChatNotifier)?, now: Date
    ) -> (ids: [Int64], plan: Plan) {
        var plan = Plan()
        var readable: [(id: Int64, notification: AlertNotification)] = []
        for row in candidates {
            if let notification = row.notification {
                readable.append((row.id, notification))
            } else {
                plan.unreadable.append(row.id)
            }
        }
        if let chat {
            if let (message, request) = chat.firstMessage(of: readable.map(\.notification), now: now) {
                plan.lines = message.lines.map { readable[$0] }
                plan.request = request
            }
        } else if let first = candidates.first, let line = readable.first, line.id == first.id {
            plan.lines = [line]
            plan.request = notifier.request(for: line.notification, now: now)
        }
        return (plan.unreadable + plan.lines.map(\.id), plan)
    }

    /// Sends one message holding `lines` and settles their rows; returns when the notifier wants to run again
    /// (a backoff or a "too fast" wait), or nil to go on draining.
    private func send(
        _ request: OutgoingRequest, lines: [(row: NotificationOutbox.Row, notification: AlertNotification)],
        notifier: any Notifier, configuration: NotifierConfiguration
    ) async -> Double? {
        let name = configuration.name
        let rows = lines.map(\.row)
        let attempts = rows.map(\.attempts).max() ?? 1
        let failure: NotifierError?
        do {
            try await notifier.deliver(request, transport: transport)
            failure = nil
        } catch {
            failure = error
        }
        let after = clock.now()
        if case .transport(.cancelled)? = failure {
            try? await outbox.release(rows, until: after, at: after)
            return nil
        }
        if notifier is any ChatNotifier { recordSent(name, at: after) }
        switch failure {
        case nil:
            do {
                try await outbox.markDelivered(rows, at: after)
            } catch {
                logger.error("cannot update the notification outbox: \(error)", metadata: ["notifier": "\(name)"])
                return firstRetry
            }
            logger.info("notification sent", metadata: metadata(name, lines, attempts: attempts))
            for (row, notification) in lines {
                observer(
                    .delivered(
                        notifier: name, state: notification.line.state, rule: notification.line.rule,
                        subject: notification.line.subject, attempts: row.attempts))
            }
            return nil
        case .throttled(let stated, _)?:
            // Not a failure: the attempt is not counted and the rows wait for the service, never given up for it.
            let wait = min(max(stated, 1), 3_600)
            let until = after.addingTimeInterval(wait)
            blockSending(name, until: until)
            do {
                try await outbox.release(rows, until: until, at: after)
            } catch {
                logger.error("cannot update the notification outbox: \(error)", metadata: ["notifier": "\(name)"])
            }
            logger.warning(
                "notification throttled by the service; will retry",
                metadata: metadata(name, lines, attempts: attempts).merging(
                    ["retry_in": "\(DurationParser.format(wait))"], uniquingKeysWith: { $1 }))
            observer(.throttled(notifier: name, lines: lines.count, retryIn: wait))
            return wait
        case let error?:
            let message = String(error.description.prefix(300))
            let expired = lines.filter {
                !error.isRetryable
                    || after.timeIntervalSince1970 - Double($0.row.createdAt) >= configuration.giveUpAfter
            }
            if !expired.isEmpty { await giveUp(expired.map { ($0.row, $0.notification) }, error: message) }
            let retry = lines.filter { line in !expired.contains { $0.row.id == line.row.id } }
            guard !retry.isEmpty else { return nil }
            let retryAttempts = retry.map(\.row.attempts).max() ?? 1
            let delay = backoff(attempts: retryAttempts, maximum: configuration.maxBackoff)
            do {
                try await outbox.markFailed(
                    retry.map(\.row), error: message, retryAt: after.addingTimeInterval(delay), at: after)
            } catch {
                logger.error("cannot update the notification outbox: \(error)", metadata: ["notifier": "\(name)"])
            }
            logger.warning(
                "notification not delivered; will retry",
                metadata: metadata(name, retry, attempts: retryAttempts).merging(
                    ["error": "\(message)", "retry_in": "\(DurationParser.format(delay))"], uniquingKeysWith: { $1 }))
            for line in retry {
                observer(.failed(notifier: name, attempts: line.row.attempts, error: message, retryIn: delay))
            }
            return delay
        }
    }

    /// Seconds until `name` may send at `now` under `rates` (0: now).
    private func limiterWait(_ name: String, rates: [ChatServiceLimits.Rate], now: Date) -> Double {
        state.withLock { state in
            if state.limiters[name]?.rates != rates { state.limiters[name] = ChatRateLimiter(rates: rates) }
            return state.limiters[name]?.wait(at: now) ?? 0
        }
    }

    private func recordSent(_ name: String, at time: Date) {
        state.withLock { $0.limiters[name]?.record(time) }
    }

    private func blockSending(_ name: String, until time: Date) {
        state.withLock { $0.limiters[name]?.block(until: time) }
    }

    /// Gives `rows` up: they leave the outbox, counted, each logged as an error with its line.
    private func giveUp(_ rows: [(row: NotificationOutbox.Row, notification: AlertNotification?)], error: String) async
    {
        guard let notifierName = rows.first?.row.notifier else { return }
        let now = clock.now()
        do {
            try await outbox.giveUp(rows.map(\.row), error: error, at: now)
        } catch {
            logger.error("cannot update the notification outbox: \(error)", metadata: ["notifier": "\(notifierName)"])
        }
        for (row, notification) in rows {
            var details: Logger.Metadata = [
                "notifier": "\(row.notifier)", "attempts": "\(row.attempts)", "error": "\(error)",
            ]
            if let notification {
                details.merge(
                    metadata(row.notifier, [(row, notification)], attempts: row.attempts),
                    uniquingKeysWith: { first, _ in first })
            }
            logger.error("notification given up", metadata: details)
            observer(.gaveUp(notifier: row.notifier, attempts: row.attempts, error: error))
        }
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
            // Stored silences (`livewatch silence add`) count as configured ones.
            let silences = AlertPolicy(silences: policy.silences + (try await outbox.store.activeSilences(at: now)))
            let firing = try await outbox.firing(toldTo: name)
                .filter {
                    !silences.isSilenced(
                        rule: $0.line.rule, monitor: $0.line.monitor, subject: $0.line.subject, at: now)
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

    /// The log fields of a message: its line's rule, monitor and subject, or how many lines it holds.
    private func metadata(
        _ notifier: String, _ lines: [(row: NotificationOutbox.Row, notification: AlertNotification)], attempts: Int
    ) -> Logger.Metadata {
        guard lines.count == 1, let line = lines.first?.notification.line else {
            return ["notifier": "\(notifier)", "lines": "\(lines.count)", "attempts": "\(attempts)"]
        }
        return [
            "notifier": "\(notifier)", "state": "\(line.state.rawValue)", "rule": "\(line.rule.rawValue)",
            "monitor": "\(line.monitor)", "subject": "\(line.subject)", "attempts": "\(attempts)",
        ]
    }
}
