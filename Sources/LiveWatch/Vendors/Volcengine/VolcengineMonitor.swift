import Foundation

/// The two request-rate limiters of one Volcengine monitor, one per API,
/// created once per monitor so they hold across its polls and activities.
public struct VolcengineRateLimiters: Sendable {
    /// `GetCustomViewingRestrictionInfoAPI`: 120 requests per minute per user.
    public static let restrictionsPerSecond = 120.0 / 60
    /// `GetDownloadLiveClient`: 10 requests per second per user.
    public static let linksPerSecond = 10.0

    /// The limiter of `GetCustomViewingRestrictionInfoAPI` requests.
    public let restrictions: RateLimiter
    /// The limiter of `GetDownloadLiveClient` requests.
    public let links: RateLimiter

    /// Limiters at the documented rates (or the given ones).
    public init(
        restrictions: RateLimiter = RateLimiter(perSecond: VolcengineRateLimiters.restrictionsPerSecond),
        links: RateLimiter = RateLimiter(perSecond: VolcengineRateLimiters.linksPerSecond)
    ) {
        self.restrictions = restrictions
        self.links = links
    }
}

/// The Volcengine livesaas monitor: each watched activity's viewing
/// restrictions and start links (host, then each guest).
///
/// The two APIs are polled side by side, each through its own limiter, one
/// activity after another. Any failed request fails the whole poll (and stores
/// nothing but the `polls` row), so a snapshot is always complete.
public struct VolcengineMonitor: VendorMonitor {
    /// The client that signs, sends and parses.
    public let client: VolcengineClient
    /// The monitor's limiters, shared by all its polls.
    public let limiters: VolcengineRateLimiters
    let clock: @Sendable () -> Date

    /// Creates the monitor; `limiters` default to the documented rates.
    public init(
        configuration: VolcengineMonitorConfiguration, transport: any HTTPTransport,
        limiters: VolcengineRateLimiters = VolcengineRateLimiters(), clock: @escaping @Sendable () -> Date = Date.init
    ) {
        self.client = VolcengineClient(configuration: configuration, transport: transport)
        self.limiters = limiters
        self.clock = clock
    }

    /// The monitor's configuration (its name, vendor and settings).
    public var configuration: VolcengineMonitorConfiguration { client.configuration }

    /// What one API's lane of requests produced.
    struct Lane: Sendable {
        var requests = 0
        var httpStatus: Int?
        var requestID: String?
        var restrictions: [ActivityViewingRestrictions]?
        var links: [LiveClientLink]?
        var failure: PollFailure?

        mutating func absorb<Value>(_ call: VolcengineClient.Call<Value>) {
            requests += call.requests
            if let status = call.httpStatus { httpStatus = status }
            if let id = call.requestID { requestID = id }
        }
    }

    /// Polls every watched activity once; never throws.
    public func poll(deadline: Double) async -> PollReport {
        let started = clock()
        let end = ContinuousClock.now.advanced(by: .milliseconds(Seconds.milliseconds(deadline)))
        let configuration = client.configuration
        var lanes: [Lane] = []
        await withTaskGroup(of: Lane.self) { group in
            if configuration.viewingRestrictions {
                group.addTask { await restrictionLane(until: end) }
            }
            if configuration.liveClientLinks {
                group.addTask { await linkLane(until: end) }
            }
            for await lane in group {
                lanes.append(lane)
                // The first failure decides the poll: stop spending the other API's quota.
                if lane.failure != nil { group.cancelAll() }
            }
        }
        var report = PollReport(
            monitor: name, vendor: vendor, startedAt: started, finishedAt: clock(),
            requests: lanes.reduce(0) { $0 + $1.requests }, httpStatus: nil, requestID: nil,
            outcome: .failed(PollFailure(kind: .local, code: "nothing_watched", message: "nothing to watch")))
        if let failed = lanes.first(where: { $0.failure != nil }), let failure = failed.failure {
            report.httpStatus = failed.httpStatus
            report.requestID = failed.requestID
            report.outcome = .failed(failure)
            return report
        }
        guard !lanes.isEmpty else { return report }
        report.httpStatus = lanes.last?.httpStatus
        report.requestID = lanes.last?.requestID
        report.outcome = .observed(
            .volcengine(
                VolcengineObservation(
                    restrictions: lanes.compactMap(\.restrictions).first, links: lanes.compactMap(\.links).first)))
        return report
    }

    func restrictionLane(until end: ContinuousClock.Instant) async -> Lane {
        var lane = Lane()
        var observed: [ActivityViewingRestrictions] = []
        for activityID in client.configuration.activityIDs {
            let call = await client.fetchRestrictions(
                activityID: activityID, limiter: limiters.restrictions, until: end,
                requestTimeout: client.configuration.poll.timeout, now: clock)
            lane.absorb(call)
            switch call.result {
            case .success(let restrictions): observed.append(restrictions)
            case .failure(let failure):
                lane.failure = failure
                return lane
            }
        }
        lane.restrictions = observed
        return lane
    }

    func linkLane(until end: ContinuousClock.Instant) async -> Lane {
        var lane = Lane()
        var observed: [LiveClientLink] = []
        let kinds = [StartLinkKind.host] + client.configuration.guestNames.map(StartLinkKind.guest)
        for activityID in client.configuration.activityIDs {
            for kind in kinds {
                let call = await client.fetchStartLink(
                    activityID: activityID, kind: kind, limiter: limiters.links, until: end,
                    requestTimeout: client.configuration.poll.timeout, now: clock)
                lane.absorb(call)
                switch call.result {
                case .success(let link):
                    observed.append(
                        LiveClientLink(
                            activityID: activityID, loginType: kind.loginType, userName: kind.userName,
                            expireTime: link.expireTime, urlFingerprint: link.url.fingerprint,
                            temporaryURLFingerprint: link.temporaryURL?.fingerprint))
                case .failure(let failure):
                    lane.failure = failure
                    return lane
                }
            }
        }
        lane.links = observed
        return lane
    }
}
