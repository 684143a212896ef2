import Foundation

/// How a crawl retries a page the vendor refused for a retryable reason.
///
/// Retries are bounded per page: at most `maximumRetries`, and the waits of
/// one page add up to no more than the poll's `timeout`; a page still refused
/// then fails the poll with the vendor's code. Only the whole crawl gets the
/// (much longer) `crawl_budget`.
public struct TencentChatRetryPolicy: Sendable, Equatable {
    /// First wait after a "too frequent" (60007, 60011, 60018, 60019) or internal (100001) answer, in seconds.
    public var initialDelay: Double
    /// Each further retry of the same page waits twice as long, up to this.
    public var maximumDelay: Double
    /// After 70050 ("retry after one minute") the poll fails at once and asks the scheduler to wait this long.
    public var minuteDelay: Double
    /// Retries of one page at most (so requests of one page at most this plus one).
    public var maximumRetries: Int

    /// The defaults: 1 s doubling up to 30 s, at most 3 retries of a page, and a minute after 70050.
    public init(initialDelay: Double = 1, maximumDelay: Double = 30, minuteDelay: Double = 60, maximumRetries: Int = 3)
    {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.minuteDelay = minuteDelay
        self.maximumRetries = maximumRetries
    }

    /// The wait before retry number `attempt` (1-based) of one page.
    func delay(attempt: Int) -> Double {
        min(maximumDelay, initialDelay * pow(2, Double(max(0, attempt - 1))))
    }
}

/// The Tencent Cloud Chat live room list monitor: each poll crawls the whole
/// list, following `Next` until it is "", at the monitor's rate limit, and
/// returns it as one observation, or fails as a whole.
///
/// Create it once per configured monitor: its rate limiter and UserSig cache
/// live across polls, so a crawl right after another does not burst.
public struct TencentChatMonitor: VendorMonitor {
    /// Builds and sends each page's request.
    public let client: TencentChatClient
    /// Holds every request of this monitor to `rate_limit`.
    public let limiter: RateLimiter
    let retry: TencentChatRetryPolicy
    let clock: @Sendable () -> Date
    let pacing: PacingClock

    /// - Parameters:
    ///   - clock: timestamps and UserSig issue times.
    ///   - userSigLifetime: validity of each generated UserSig, in seconds.
    ///   - pacing: the monotonic clock of the crawl budget, the rate limit and the retry waits
    ///     (tests pass a virtual one, so nothing waits for real).
    public init(
        configuration: TencentChatMonitorConfiguration, transport: any HTTPTransport,
        clock: @escaping @Sendable () -> Date = Date.init, userSigLifetime: Int64 = TencentUserSigCache.defaultLifetime,
        retry: TencentChatRetryPolicy = TencentChatRetryPolicy(),
        random: @escaping @Sendable () -> UInt32 = { UInt32.random(in: .min ... .max) },
        pacing: PacingClock = .system
    ) {
        let userSigs = TencentUserSigCache(
            secretKey: configuration.secretKey, sdkAppID: configuration.sdkAppID, identifier: configuration.identifier,
            lifetime: userSigLifetime, clock: clock)
        self.client = TencentChatClient(
            configuration: configuration, transport: transport, userSigs: userSigs, random: random)
        self.limiter = pacing.rateLimiter(perSecond: Double(configuration.rateLimit))
        self.retry = retry
        self.clock = clock
        self.pacing = pacing
    }

    /// The monitor's configuration (its name, vendor and settings).
    public var configuration: TencentChatMonitorConfiguration { client.configuration }

    /// Crawls the whole list within `deadline` (and `crawl_budget`); never throws.
    public func poll(deadline: Double) async -> PollReport {
        let started = clock()
        var crawl = Crawl(budget: min(deadline, configuration.crawlBudget), now: pacing.now)
        let outcome = await run(&crawl)
        return PollReport(
            monitor: name, vendor: vendor, startedAt: started, finishedAt: clock(), requests: crawl.requests,
            httpStatus: crawl.httpStatus, requestID: crawl.requestID, outcome: outcome)
    }

    /// The state of one crawl.
    struct Crawl {
        let budget: Double
        /// The pacing clock's reading.
        let now: @Sendable () -> Double
        let startedAt: Double
        var requests = 0
        var pages = 0
        var httpStatus: Int?
        var requestID: String?
        /// Distinct rooms in the order first seen; a room seen again keeps its place and takes the new values.
        var rooms = DistinctListing<LiveRoom> { $0.roomID }
        /// Every cursor followed, with the page that returned it.
        var cursors: [String: Int] = ["": 0]

        init(budget: Double, now: @escaping @Sendable () -> Double) {
            self.budget = budget
            self.now = now
            self.startedAt = now()
        }

        var elapsed: Double { now() - startedAt }

        var remaining: Double { budget - elapsed }

    }

    func run(_ crawl: inout Crawl) async -> PollOutcome {
        let configuration = client.configuration
        var cursor = ""
        /// Retries of the current page so far, and the seconds they waited.
        var retries = 0
        var waited = 0.0
        var renewedUserSig = false
        while true {
            let pageNumber = crawl.pages + 1
            if crawl.pages >= configuration.maxPages {
                return .failed(
                    PollFailure(
                        kind: .invalidResponse, code: "max_pages",
                        message: "the room list did not end within max_pages (\(configuration.maxPages)) pages; "
                            + "\(crawl.rooms.entries.count) rooms so far, none stored"))
            }
            if let overrun = budgetFailure(crawl) { return overrun }
            do {
                try await limiter.acquire()
            } catch {
                return .failed(PollFailure(kind: .transport, code: "cancelled", message: "the crawl was cancelled"))
            }
            if let overrun = budgetFailure(crawl) { return overrun }
            crawl.requests += 1
            // With less of the budget left than a request's timeout, the rest of the budget is its timeout.
            let cutByBudget = crawl.remaining < configuration.poll.timeout
            let exchange = await client.fetchPage(
                next: cursor, timeout: min(configuration.poll.timeout, crawl.remaining))
            limiter.complete()
            crawl.httpStatus = exchange.httpStatus ?? crawl.httpStatus
            crawl.requestID = exchange.requestID
            switch exchange.answer {
            case .failure(var failure):
                // A request cut short because the budget ran out is the budget's failure, not the request's.
                if failure.code == "timeout", let overrun = budgetFailure(crawl, exhausted: cutByBudget) {
                    return overrun
                }
                failure.message = "page \(pageNumber): " + failure.message
                return .failed(failure)
            case .vendorError(let code, let info):
                let handling = TencentChatClient.handling(of: code)
                let summary = "Tencent Chat error \(code) on page \(pageNumber)" + (info.isEmpty ? "" : ": \(info)")
                switch handling {
                case .fail(let kind):
                    return .failed(PollFailure(kind: kind, code: String(code), message: summary))
                case .renewUserSig:
                    guard !renewedUserSig else {
                        return .failed(
                            PollFailure(
                                kind: .authentication, code: String(code),
                                message: summary + " (a renewed UserSig was refused too)"))
                    }
                    renewedUserSig = true
                    do {
                        try client.userSigs.renew()
                    } catch {
                        return .failed(PollFailure(kind: .local, code: "usersig", message: "\(error)"))
                    }
                case .retryAfterMinute:
                    // Waiting a minute inside one page would hold the crawl (and `livewatch poll`) silent for it:
                    // the poll fails now, and the scheduler waits the minute before the next one.
                    return .failed(
                        PollFailure(
                            kind: .rateLimited, code: String(code),
                            message: summary
                                + "; the next poll waits at least \(DurationParser.format(retry.minuteDelay))",
                            retryAfter: retry.minuteDelay))
                case .retryAfterBackoff, .retryInternal:
                    let wait = retry.delay(attempt: retries + 1)
                    let kind: PollFailure.Kind = handling == .retryInternal ? .vendor : .rateLimited
                    let refused = "; refused \(retries + 1) time(s)"
                    // One page gets a few retries within about the poll's timeout; only the crawl gets the budget.
                    guard retries < retry.maximumRetries, waited + wait <= configuration.poll.timeout else {
                        return .failed(
                            PollFailure(
                                kind: kind, code: String(code),
                                message: summary + refused + ", giving up on the page after \(retries) "
                                    + (retries == 1 ? "retry" : "retries")
                                    + " (at most \(retry.maximumRetries), waiting at most the "
                                    + "\(DurationParser.format(configuration.poll.timeout)) timeout)"))
                    }
                    // Waiting only to retry with a few milliseconds left would end in a timeout, hiding the code.
                    let headroom = min(0.5, configuration.poll.timeout / 2)
                    guard wait + headroom < crawl.remaining else {
                        return .failed(
                            PollFailure(
                                kind: kind, code: String(code),
                                message: summary + refused + ", no time left in the "
                                    + "\(DurationParser.format(crawl.budget)) crawl budget to wait \(DurationParser.format(wait)) and retry"
                            ))
                    }
                    retries += 1
                    waited += wait
                    do {
                        try await pacing.sleep(wait)
                    } catch {
                        return .failed(
                            PollFailure(kind: .transport, code: "cancelled", message: "the crawl was cancelled"))
                    }
                }
            case .page(let page):
                crawl.pages += 1
                retries = 0
                waited = 0
                crawl.rooms.merge(page.rooms)
                if page.next.isEmpty {
                    return .observed(.liveRooms(LiveRoomList(rooms: crawl.rooms.entries, pages: crawl.pages)))
                }
                if let earlier = crawl.cursors[page.next] {
                    let origin = earlier == 0 ? "the first request's" : "page \(earlier)'s"
                    return .failed(
                        PollFailure(
                            kind: .invalidResponse, code: "cursor_repeated",
                            message:
                                "page \(pageNumber) returned \(origin) cursor again: the room list would never end; none stored"
                        ))
                }
                crawl.cursors[page.next] = crawl.pages
                cursor = page.next
            }
        }
    }

    /// The crawl-budget failure, when the budget is spent (or `exhausted`: a request given the rest of it timed out).
    func budgetFailure(_ crawl: Crawl, exhausted: Bool = false) -> PollOutcome? {
        guard exhausted || crawl.remaining <= 0 else { return nil }
        return .failed(
            PollFailure(
                kind: .transport, code: "crawl_budget",
                message: "the crawl did not finish within its \(DurationParser.format(crawl.budget)) crawl budget "
                    + "(\(crawl.pages) pages, \(crawl.rooms.entries.count) rooms so far, none stored)"))
    }
}
