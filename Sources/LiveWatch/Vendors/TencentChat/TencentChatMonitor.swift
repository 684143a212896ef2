import Foundation

/// How long a crawl waits before retrying a page the vendor refused for a retryable reason.
public struct TencentChatRetryPolicy: Sendable, Equatable {
    /// First wait after a "too frequent" (60007, 60011, 60018, 60019) or internal (100001) answer, in seconds.
    public var initialDelay: Double
    /// Each further retry of the same page waits twice as long, up to this.
    public var maximumDelay: Double
    /// The wait after 70050 ("retry after one minute").
    public var minuteDelay: Double

    /// The defaults: 1 s doubling up to 30 s, and one minute after 70050.
    public init(initialDelay: Double = 1, maximumDelay: Double = 30, minuteDelay: Double = 60) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.minuteDelay = minuteDelay
    }

    /// The wait before retry number `attempt` (1-based) after `handling`.
    func delay(for handling: TencentChatClient.ErrorHandling, attempt: Int) -> Double {
        if handling == .retryAfterMinute { return minuteDelay }
        return min(maximumDelay, initialDelay * pow(2, Double(max(0, attempt - 1))))
    }
}

/// The Tencent Cloud Chat live room list monitor: each poll crawls the whole
/// list, following `Next` until it is "", at the monitor's rate limit, and
/// returns it as one observation, or fails as a whole.
///
/// Create it once per configured monitor: its rate limiter and UserSig cache
/// live across polls, so a crawl right after another does not burst.
public struct TencentChatMonitor: Monitor {
    /// Builds and sends each page's request.
    public let client: TencentChatClient
    /// Holds every request of this monitor to `rate_limit`.
    public let limiter: RateLimiter
    let retry: TencentChatRetryPolicy
    let clock: @Sendable () -> Date

    /// - Parameters:
    ///   - clock: timestamps and UserSig issue times (the crawl budget is measured on a monotonic clock).
    ///   - userSigLifetime: validity of each generated UserSig, in seconds.
    public init(
        configuration: TencentChatMonitorConfiguration, transport: any HTTPTransport,
        clock: @escaping @Sendable () -> Date = Date.init, userSigLifetime: Int64 = TencentUserSigCache.defaultLifetime,
        retry: TencentChatRetryPolicy = TencentChatRetryPolicy(),
        random: @escaping @Sendable () -> UInt32 = { UInt32.random(in: .min ... .max) }
    ) {
        let userSigs = TencentUserSigCache(
            secretKey: configuration.secretKey, sdkAppID: configuration.sdkAppID, identifier: configuration.identifier,
            lifetime: userSigLifetime, clock: clock)
        self.client = TencentChatClient(configuration: configuration, transport: transport, userSigs: userSigs, random: random)
        self.limiter = RateLimiter(perSecond: Double(configuration.rateLimit))
        self.retry = retry
        self.clock = clock
    }

    /// The monitor's configured name.
    public var name: String { client.configuration.name }
    /// `tencent_chat`.
    public var vendor: String { "tencent_chat" }

    /// Crawls the whole list within `deadline` (and `crawl_budget`); never throws.
    public func poll(deadline: Double) async -> PollReport {
        let started = clock()
        var crawl = Crawl(budget: min(deadline, client.configuration.crawlBudget))
        let outcome = await run(&crawl)
        return PollReport(
            monitor: name, vendor: vendor, startedAt: started, finishedAt: clock(), requests: crawl.requests,
            httpStatus: crawl.httpStatus, requestID: crawl.requestID, outcome: outcome)
    }

    /// The state of one crawl.
    struct Crawl {
        let budget: Double
        let startedAt = ContinuousClock.now
        var requests = 0
        var pages = 0
        var httpStatus: Int?
        var requestID: String?
        /// Distinct rooms in the order first seen; a room seen again keeps its place and takes the new values.
        var rooms: [LiveRoom] = []
        var index: [String: Int] = [:]
        /// Every cursor followed, with the page that returned it.
        var cursors: [String: Int] = ["": 0]

        var elapsed: Double {
            let duration = ContinuousClock.now - startedAt
            return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }

        var remaining: Double { budget - elapsed }

        mutating func merge(_ page: [LiveRoom]) {
            for room in page {
                if let position = index[room.roomID] {
                    rooms[position] = room
                } else {
                    index[room.roomID] = rooms.count
                    rooms.append(room)
                }
            }
        }
    }

    func run(_ crawl: inout Crawl) async -> PollOutcome {
        let configuration = client.configuration
        var cursor = ""
        var retries = 0
        var renewedUserSig = false
        while true {
            let pageNumber = crawl.pages + 1
            if crawl.pages >= configuration.maxPages {
                return .failed(PollFailure(
                    kind: .invalidResponse, code: "max_pages",
                    message: "the room list did not end within max_pages (\(configuration.maxPages)) pages; "
                        + "\(crawl.rooms.count) rooms so far, none stored"))
            }
            if let overrun = budgetFailure(crawl) { return overrun }
            do {
                try await limiter.acquire()
            } catch {
                return .failed(PollFailure(kind: .transport, code: "cancelled", message: "the crawl was cancelled"))
            }
            if let overrun = budgetFailure(crawl) { return overrun }
            crawl.requests += 1
            let exchange = await client.fetchPage(next: cursor, timeout: min(configuration.poll.timeout, crawl.remaining))
            await limiter.complete()
            crawl.httpStatus = exchange.httpStatus ?? crawl.httpStatus
            crawl.requestID = exchange.requestID
            switch exchange.answer {
            case .failure(var failure):
                // A request cut short because the budget ran out is the budget's failure, not the request's.
                if failure.code == "timeout", let overrun = budgetFailure(crawl) { return overrun }
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
                        return .failed(PollFailure(
                            kind: .authentication, code: String(code), message: summary + " (a renewed UserSig was refused too)"))
                    }
                    renewedUserSig = true
                    do {
                        try client.userSigs.renew()
                    } catch {
                        return .failed(PollFailure(kind: .local, code: "usersig", message: "\(error)"))
                    }
                case .retryAfterBackoff, .retryAfterMinute, .retryInternal:
                    retries += 1
                    let wait = retry.delay(for: handling, attempt: retries)
                    // Waiting only to retry with a few milliseconds left would end in a timeout, hiding the code.
                    let headroom = min(0.5, configuration.poll.timeout / 2)
                    guard wait + headroom < crawl.remaining else {
                        return .failed(PollFailure(
                            kind: handling == .retryInternal ? .vendor : .rateLimited, code: String(code),
                            message: summary + "; refused \(retries) time(s), no time left in the "
                                + "\(DurationParser.format(crawl.budget)) crawl budget to wait \(DurationParser.format(wait)) and retry",
                            retryAfter: handling == .retryAfterMinute ? retry.minuteDelay : nil))
                    }
                    await limiter.pause(for: wait)
                }
            case .page(let page):
                crawl.pages += 1
                retries = 0
                crawl.merge(page.rooms)
                if page.next.isEmpty {
                    return .observed(.liveRooms(LiveRoomList(rooms: crawl.rooms, pages: crawl.pages)))
                }
                if let earlier = crawl.cursors[page.next] {
                    let origin = earlier == 0 ? "the first request's" : "page \(earlier)'s"
                    return .failed(PollFailure(
                        kind: .invalidResponse, code: "cursor_repeated",
                        message: "page \(pageNumber) returned \(origin) cursor again: the room list would never end; none stored"))
                }
                crawl.cursors[page.next] = crawl.pages
                cursor = page.next
            }
        }
    }

    func budgetFailure(_ crawl: Crawl) -> PollOutcome? {
        guard crawl.remaining <= 0 else { return nil }
        return .failed(PollFailure(
            kind: .transport, code: "crawl_budget",
            message: "the crawl did not finish within its \(DurationParser.format(crawl.budget)) crawl budget "
                + "(\(crawl.pages) pages, \(crawl.rooms.count) rooms so far, none stored)"))
    }
}
