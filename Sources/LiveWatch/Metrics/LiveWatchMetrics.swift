import Foundation
import Prometheus
import Synchronization

/// The daemon's Prometheus metrics: one registry per daemon (never the process-wide `MetricsSystem`,
/// so several daemons in one process keep theirs apart), fed by the poll pipeline, the recorder and
/// the notification sender, and read by the listener's `/metrics`.
///
/// Updating a metric is an atomic or a short lock; a scrape renders the registry in memory and
/// never touches the database. A daemon without `daemon.listen` has no `LiveWatchMetrics` at all.
public final class LiveWatchMetrics: Sendable {
    /// Where every family lives; `/metrics` renders it.
    public let registry = PrometheusCollectorRegistry()
    /// The most series one monitor's platforms or links may hold: a hostile listing cannot grow the page without end.
    static let maximumSeriesPerMonitor = 10_000
    /// Label values taken from a vendor's answer are cut to this many characters.
    static let maximumLabelLength = 128
    /// `livewatch_poll_duration_seconds`' buckets.
    static let durationBuckets: [Duration] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120].map {
        .milliseconds(Int64($0 * 1_000))
    }

    private struct State {
        /// Vendor of each monitor seen (configured or polled).
        var vendors: [String: String] = [:]
        /// The platform and link gauges of each monitor, by label value, to drop those that disappear.
        var platforms: [String: [String: PlatformSeries]] = [:]
        var links: [String: [String: Gauge]] = [:]
        /// Every (rule, severity) reported firing once: set to 0 when none fires any more.
        var firing: Set<[String]> = []
        var notifiers: Set<String> = []
    }

    private struct PlatformSeries {
        var authorized: Gauge
        var expiry: Gauge?
    }

    private let state = Mutex(State())
    private let ready = Atomic<Bool>(false)

    /// Registers the families with the configured monitors and notifiers (their series start at 0).
    public init(version: String = LiveWatchVersion.current, monitors: [MonitorConfiguration], notifiers: [String]) {
        registry.makeGauge(descriptor: MetricFamily.buildInfo.descriptor, labels: [("version", version)]).set(Int64(1))
        for monitor in monitors {
            registerMonitor(monitor.name, vendor: monitor.vendor)
        }
        for notifier in notifiers { registerNotifier(notifier) }
    }

    // MARK: Readiness

    /// True once the database is open and every monitor is scheduled, false again while stopping.
    public var isReady: Bool { ready.load(ordering: .acquiring) }

    func setReady(_ value: Bool) { ready.store(value, ordering: .releasing) }

    // MARK: Polls

    /// A poll ended (stored, or failed to be): counters, duration, and for a stored observation the
    /// last-success time and the observation gauges.
    public func pollFinished(_ report: PollReport) {
        let vendor = registerMonitor(report.monitor, vendor: report.vendor)
        let labels = [("monitor", report.monitor), ("vendor", vendor)]
        registry.makeCounter(
            descriptor: MetricFamily.polls.descriptor,
            labels: labels + [("outcome", report.succeeded ? "ok" : "failed")]
        )
        .increment()
        registry.makeCounter(descriptor: MetricFamily.vendorRequests.descriptor, labels: labels).increment(
            by: Int64(report.requests))
        let duration = max(0, report.finishedAt.timeIntervalSince(report.startedAt))
        registry.makeDurationHistogram(
            descriptor: MetricFamily.pollDuration.descriptor, labels: labels, buckets: Self.durationBuckets
        )
        .record(.milliseconds(Int64((duration * 1_000).rounded())))
        guard case .observed(let observation) = report.outcome else { return }
        registry.makeGauge(descriptor: MetricFamily.lastSuccess.descriptor, labels: labels)
            .set(report.finishedAt.timeIntervalSince1970.rounded(.down))
        observed(observation, monitor: report.monitor)
    }

    /// Sets the gauges of one stored observation.
    func observed(_ observation: Observation, monitor: String) {
        switch observation {
        case .mrConcurrency(let concurrency):
            concurrencyGauges(concurrency, monitor: monitor)
        case .liveRooms(let list):
            registry.makeGauge(descriptor: MetricFamily.liveRooms.descriptor, labels: [("monitor", monitor)]).set(
                Int64(list.rooms.count))
        case .livePlatforms(let listing):
            platforms(
                listing.platforms.map {
                    MetricsSnapshot.Platform(
                        platformID: $0.platformID, authorized: $0.authorizeState == "AUTHORIZED",
                        expiresAt: $0.expireTime.date)
                }, monitor: monitor)
        case .volcengine(let volcengine):
            // Without `live_client_links` the observation says nothing of links: their series stay.
            guard let links = volcengine.links else { return }
            self.links(
                links.compactMap { link in
                    link.expireTime.map {
                        MetricsSnapshot.Link(subject: link.subject, expiresAt: Date(timeIntervalSince1970: Double($0)))
                    }
                }, monitor: monitor)
        }
    }

    private func concurrencyGauges(_ concurrency: MRConcurrency, monitor: String) {
        let labels = [("monitor", monitor)]
        registry.makeGauge(descriptor: MetricFamily.concurrencyTotal.descriptor, labels: labels).set(
            Int64(concurrency.total))
        registry.makeGauge(descriptor: MetricFamily.concurrencyUsed.descriptor, labels: labels).set(
            Int64(concurrency.used))
        registry.makeGauge(descriptor: MetricFamily.concurrencyResidual.descriptor, labels: labels).set(
            Int64(concurrency.residual))
    }

    /// The platforms of a monitor's last listing; the series of platforms no longer listed are dropped.
    private func platforms(_ platforms: [MetricsSnapshot.Platform], monitor: String) {
        state.withLock { state in
            var previous = state.platforms[monitor] ?? [:]
            var current: [String: PlatformSeries] = [:]
            for platform in platforms.prefix(Self.maximumSeriesPerMonitor) {
                let id = Self.label(platform.platformID)
                guard current[id] == nil else { continue }
                let labels = [("monitor", monitor), ("platform_id", id)]
                var series =
                    previous.removeValue(forKey: id)
                    ?? PlatformSeries(
                        authorized: registry.makeGauge(
                            descriptor: MetricFamily.platformAuthorized.descriptor, labels: labels),
                        expiry: nil)
                series.authorized.set(Int64(platform.authorized ? 1 : 0))
                if let expiresAt = platform.expiresAt {
                    let expiry =
                        series.expiry
                        ?? registry.makeGauge(descriptor: MetricFamily.platformExpiry.descriptor, labels: labels)
                    expiry.set(expiresAt.timeIntervalSince1970.rounded(.down))
                    series.expiry = expiry
                } else if let expiry = series.expiry {
                    registry.unregisterGauge(expiry)
                    series.expiry = nil
                }
                current[id] = series
            }
            for series in previous.values {
                registry.unregisterGauge(series.authorized)
                if let expiry = series.expiry { registry.unregisterGauge(expiry) }
            }
            state.platforms[monitor] = current
        }
    }

    /// The expiring links of a monitor's last observation; the series of links gone are dropped.
    private func links(_ links: [MetricsSnapshot.Link], monitor: String) {
        state.withLock { state in
            var previous = state.links[monitor] ?? [:]
            var current: [String: Gauge] = [:]
            for link in links.prefix(Self.maximumSeriesPerMonitor) {
                let subject = Self.label(link.subject)
                let gauge =
                    previous.removeValue(forKey: subject) ?? current[subject]
                    ?? registry.makeGauge(
                        descriptor: MetricFamily.linkExpiry.descriptor,
                        labels: [("monitor", monitor), ("subject", subject)])
                gauge.set(link.expiresAt.timeIntervalSince1970.rounded(.down))
                current[subject] = gauge
            }
            for gauge in previous.values { registry.unregisterGauge(gauge) }
            state.links[monitor] = current
        }
    }

    // MARK: Alerts and notifications

    /// The open alert episodes now (every one of them: a pair missing from `counts` has none).
    public func alertsFiring(_ counts: [FiringAlerts]) {
        state.withLock { state in
            var zero = state.firing
            for count in counts {
                let key = [Self.label(count.rule), Self.label(count.severity)]
                zero.remove(key)
                state.firing.insert(key)
                registry.makeGauge(
                    descriptor: MetricFamily.alertsFiring.descriptor, labels: [("rule", key[0]), ("severity", key[1])]
                )
                .set(Int64(count.count))
            }
            for key in zero {
                registry.makeGauge(
                    descriptor: MetricFamily.alertsFiring.descriptor, labels: [("rule", key[0]), ("severity", key[1])]
                )
                .set(Int64(0))
            }
        }
    }

    /// The notifications waiting now, by notifier (a configured notifier missing from `counts` has none).
    public func notificationsQueued(_ counts: [String: Int]) {
        let known = state.withLock { $0.notifiers }
        for notifier in known.union(counts.keys) {
            registry.makeGauge(
                descriptor: MetricFamily.notificationsQueued.descriptor, labels: [("notifier", Self.label(notifier))]
            )
            .set(Int64(counts[notifier] ?? 0))
        }
    }

    /// Counts a delivery, a failed attempt or a notification given up.
    public func notification(_ event: NotificationEvent) {
        let notifier: String
        let outcome: String
        switch event {
        case .delivered(let name, _, _, _, _):
            notifier = name
            outcome = "sent"
        case .failed(let name, _, _, _):
            notifier = name
            outcome = "failed"
        case .gaveUp(let name, _, _):
            notifier = name
            outcome = "given_up"
        case .throttled, .resent, .passStarted, .passFinished:
            // A "too fast" answer is neither sent nor failed: its lines go again after the service's wait.
            return
        }
        registry.makeCounter(
            descriptor: MetricFamily.notifications.descriptor,
            labels: [("notifier", Self.label(notifier)), ("outcome", outcome)]
        ).increment()
    }

    // MARK: Restore

    /// Sets the gauges from what the database holds (at start, before the first poll).
    public func restore(_ snapshot: MetricsSnapshot) {
        for (monitor, stored) in snapshot.monitors {
            let vendor = state.withLock { $0.vendors[monitor] }
            if let lastSuccess = stored.lastSuccess, let vendor {
                registry.makeGauge(
                    descriptor: MetricFamily.lastSuccess.descriptor, labels: [("monitor", monitor), ("vendor", vendor)]
                )
                .set(lastSuccess.timeIntervalSince1970.rounded(.down))
            }
            if let concurrency = stored.concurrency { concurrencyGauges(concurrency, monitor: monitor) }
            if let rooms = stored.liveRooms {
                registry.makeGauge(descriptor: MetricFamily.liveRooms.descriptor, labels: [("monitor", monitor)]).set(
                    Int64(rooms))
            }
            if let platforms = stored.platforms { self.platforms(platforms, monitor: monitor) }
            if let links = stored.links { self.links(links, monitor: monitor) }
        }
        alertsFiring(snapshot.firing)
        notificationsQueued(snapshot.queued)
    }

    /// The exposition page (text format 0.0.4).
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }

    // MARK: Series

    /// Creates a monitor's counters and histogram at 0 (so `rate()` sees the first poll); returns its vendor.
    @discardableResult
    private func registerMonitor(_ monitor: String, vendor: String) -> String {
        let known = state.withLock { state -> String? in
            if let known = state.vendors[monitor] { return known }
            state.vendors[monitor] = vendor
            return nil
        }
        if let known { return known }
        let labels = [("monitor", monitor), ("vendor", vendor)]
        for outcome in ["ok", "failed"] {
            _ = registry.makeCounter(descriptor: MetricFamily.polls.descriptor, labels: labels + [("outcome", outcome)])
        }
        _ = registry.makeCounter(descriptor: MetricFamily.vendorRequests.descriptor, labels: labels)
        _ = registry.makeDurationHistogram(
            descriptor: MetricFamily.pollDuration.descriptor, labels: labels, buckets: Self.durationBuckets)
        return vendor
    }

    private func registerNotifier(_ notifier: String) {
        let name = Self.label(notifier)
        state.withLock { _ = $0.notifiers.insert(notifier) }
        registry.makeGauge(descriptor: MetricFamily.notificationsQueued.descriptor, labels: [("notifier", name)]).set(
            Int64(0))
        for outcome in ["sent", "failed", "given_up"] {
            _ = registry.makeCounter(
                descriptor: MetricFamily.notifications.descriptor, labels: [("notifier", name), ("outcome", outcome)])
        }
    }

    /// A label value from outside (a vendor's id): cut to `maximumLabelLength` characters.
    static func label(_ value: String) -> String {
        value.count <= maximumLabelLength ? value : String(value.prefix(maximumLabelLength))
    }
}

/// The metric families, named and explained once.
enum MetricFamily {
    /// A family's name and help text.
    struct Named: Sendable {
        let name: String
        let help: String

        /// What the registry takes.
        var descriptor: MetricNameDescriptor { MetricNameDescriptor(metricName: name, unitName: "", helpText: help) }
    }

    static func named(_ name: String, _ help: String) -> Named { Named(name: name, help: help) }

    static let buildInfo = named("livewatch_build_info", "The running livewatch version (always 1).")
    static let polls = named("livewatch_polls_total", "Polls finished, by outcome (ok: observed and stored).")
    static let pollDuration = named("livewatch_poll_duration_seconds", "How long whole polls took.")
    static let vendorRequests = named(
        "livewatch_vendor_requests_total", "HTTP requests sent to the vendor, retries included.")
    static let lastSuccess = named(
        "livewatch_last_success_timestamp_seconds", "When the monitor's last successful poll finished (unix time).")
    static let concurrencyTotal = named("livewatch_mr_concurrency_total", "Polyv MR concurrency: total, last observed.")
    static let concurrencyUsed = named("livewatch_mr_concurrency_used", "Polyv MR concurrency: used, last observed.")
    static let concurrencyResidual = named(
        "livewatch_mr_concurrency_residual", "Polyv MR concurrency: residual, last observed.")
    static let liveRooms = named(
        "livewatch_live_rooms", "Tencent Cloud Chat: rooms in the last complete crawl of the live room list.")
    static let platformExpiry = named(
        "livewatch_platform_authorization_expiry_timestamp_seconds",
        "MetaStudio: when a live platform's authorization expires (unix time), as last listed.")
    static let platformAuthorized = named(
        "livewatch_platform_authorized", "MetaStudio: 1 when a live platform is AUTHORIZED in the last listing, else 0."
    )
    static let linkExpiry = named(
        "livewatch_live_client_link_expiry_timestamp_seconds",
        "Volcengine: when a start link's temporary URL expires (unix time), as last observed.")
    static let alertsFiring = named("livewatch_alerts_firing", "Alert episodes firing now.")
    static let notificationsQueued = named(
        "livewatch_notifications_queued", "Notifications waiting in the outbox for their notifier.")
    static let notifications = named(
        "livewatch_notifications_total", "Notification attempts by outcome (sent, failed and retried, given up).")
}
