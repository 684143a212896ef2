import Foundation

/// Fetches one fresh start link outside the daemon (`livewatch link`): its own transport, the
/// account's link rate limit, and a deadline of three request timeouts.
public struct StartLinkFetcher: Sendable {
    /// The account to ask.
    public let configuration: VolcengineMonitorConfiguration

    /// A fetcher for the account of `configuration`.
    public init(configuration: VolcengineMonitorConfiguration) {
        self.configuration = configuration
    }

    /// The link of `kind` for `activityID`, or why there is none; the transport is shut down before it returns.
    public func fetch(activityID: Int64, kind: StartLinkKind) async -> Result<StartLink, PollFailure> {
        let transport = AsyncHTTPTransport()
        let client = VolcengineClient(configuration: configuration, transport: transport)
        let timeout = configuration.poll.timeout
        let call = await client.fetchStartLink(
            activityID: activityID, kind: kind,
            limiter: RateLimiter(perSecond: VolcengineRateLimiters.linksPerSecond),
            until: ContinuousClock.now.advanced(by: .milliseconds(Seconds.milliseconds(timeout * 3))),
            requestTimeout: timeout, now: Date.init)
        await transport.shutdown()
        return call.result
    }
}
