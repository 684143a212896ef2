import Foundation
import Logging

/// The Huawei MetaStudio live platform monitor: each poll lists every live
/// platform of the project, page by page (`offset`/`limit` 100, no total:
/// until a short page), and returns the complete listing or a failure.
public struct MetaStudioMonitor: VendorMonitor {
    /// Throttled (HTTP 429 / `APIG.0308`) requests retried within one poll before it fails.
    public static let throttleRetries = 2

    /// Builds, sends and reads each page's request.
    public let client: MetaStudioClient
    let clock: @Sendable () -> Date
    let sleep: @Sendable (Double) async throws -> Void
    let logger: Logger

    /// - Parameters:
    ///   - clock: the time of each request's `X-Sdk-Date` and of the report.
    ///   - sleep: the pause before retrying a throttled page (injectable for tests).
    ///   - logger: where unreadable times and skipped entries are reported (never a secret).
    public init(
        configuration: MetaStudioMonitorConfiguration, transport: any HTTPTransport,
        clock: @escaping @Sendable () -> Date = Date.init,
        sleep: @escaping @Sendable (Double) async throws -> Void = { seconds in try await EventLoopSleep.sleep(seconds)
        },
        logger: Logger = Logger(label: "livewatch")
    ) {
        self.client = MetaStudioClient(configuration: configuration, transport: transport)
        self.clock = clock
        self.sleep = sleep
        self.logger = logger
    }

    /// The monitor's configuration (its name, vendor and settings).
    public var configuration: MetaStudioMonitorConfiguration { client.configuration }

    /// Lists every page within `deadline` seconds; the report holds the whole listing or the failure.
    public func poll(deadline: Double) async -> PollReport {
        let started = clock()
        var report = PollReport(
            monitor: name, vendor: vendor, startedAt: started, finishedAt: started, requests: 0, httpStatus: nil,
            requestID: nil, outcome: .failed(PollFailure(kind: .local, message: "no request was made")))
        func finish(_ outcome: PollOutcome) -> PollReport {
            report.outcome = outcome
            report.finishedAt = clock()
            return report
        }
        // A platform listed twice (the listing shifted while paging) is kept once, with the later entry.
        var platforms = DistinctListing<LivePlatform> { $0.platformID }
        var warnings: [String] = []
        var offset = 0
        var throttled = 0
        var page = 0
        while page < configuration.maxPages {
            let remaining = deadline - clock().timeIntervalSince(started)
            guard remaining > 0 else {
                return finish(
                    .failed(
                        PollFailure(
                            kind: .transport, code: "timeout",
                            message: "the listing did not finish within its \(DurationParser.format(deadline)) deadline"
                                + " (\(page) page(s) read)")))
            }
            let exchange = await client.fetchPage(
                offset: offset, now: clock(), timeout: min(configuration.poll.timeout, remaining))
            report.requests += 1
            report.httpStatus = exchange.status ?? report.httpStatus
            report.requestID = exchange.requestID ?? report.requestID
            let result: MetaStudioPage
            switch exchange.result {
            case .success(let value):
                result = value
            case .failure(let failure):
                if failure.kind == .rateLimited, throttled < Self.throttleRetries {
                    throttled += 1
                    // Huawei's throttling window is one second; wait longer if told to.
                    let pause = max(1, failure.retryAfter ?? 1) * Double(throttled)
                    if deadline - clock().timeIntervalSince(started) > pause + 0.5 {
                        do {
                            try await sleep(pause)
                        } catch {
                            return finish(
                                .failed(
                                    PollFailure(kind: .transport, code: "cancelled", message: "the poll was cancelled"))
                            )
                        }
                        continue
                    }
                }
                // The failing request's id (none for a transport failure), not an earlier page's.
                report.requestID = exchange.requestID
                return finish(.failed(failure))
            }
            warnings += result.warnings
            let newPlatforms = result.platforms.filter { !platforms.contains($0) }.count
            if page > 0, result.count >= MetaStudioClient.pageSize, !result.platforms.isEmpty, newPlatforms == 0 {
                return finish(
                    .failed(
                        PollFailure(
                            kind: .invalidResponse, code: "listing_repeats",
                            message:
                                "page \(page + 1) of the listing (offset \(offset)) repeats platforms already listed;"
                                + " the listing would never end, nothing was stored")))
            }
            platforms.merge(result.platforms)
            page += 1
            if result.count < MetaStudioClient.pageSize {
                for warning in warnings {
                    logger.warning("\(name): \(warning)", metadata: ["monitor": "\(name)"])
                }
                return finish(.observed(.livePlatforms(LivePlatformListing(platforms: platforms.entries))))
            }
            offset += result.count
        }
        return finish(
            .failed(
                PollFailure(
                    kind: .invalidResponse, code: "too_many_pages",
                    message: "the listing still had full pages after \(configuration.maxPages) page(s) of"
                        + " \(MetaStudioClient.pageSize) (max_pages); nothing was stored")))
    }
}
