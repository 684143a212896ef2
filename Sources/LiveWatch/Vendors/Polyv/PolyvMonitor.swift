import Foundation

/// The Polyv MR concurrency monitor.
public struct PolyvMonitor: VendorMonitor {
    public let client: PolyvClient
    let clock: @Sendable () -> Date

    public init(
        configuration: PolyvMonitorConfiguration, transport: any HTTPTransport,
        clock: @escaping @Sendable () -> Date = Date.init
    ) {
        self.client = PolyvClient(configuration: configuration, transport: transport)
        self.clock = clock
    }

    /// The monitor's configuration (its name, vendor and settings).
    public var configuration: PolyvMonitorConfiguration { client.configuration }

    public func poll(deadline: Double) async -> PollReport {
        let started = clock()
        let (response, result) = await client.fetchConcurrency(now: started, timeout: deadline)
        var report = PollReport(
            monitor: name, vendor: vendor, startedAt: started, finishedAt: clock(), requests: 1,
            httpStatus: response?.status, requestID: nil, outcome: .failed(PollFailure(kind: .local, message: "")))
        switch result {
        case .success(let (concurrency, requestID)):
            report.requestID = requestID
            report.outcome = .observed(.mrConcurrency(concurrency))
        case .failure(let failure):
            if let response, let body = try? JSONDecoder().decode(PolyvEnvelope.self, from: Data(response.body)) {
                report.requestID = body.requestId
            }
            report.outcome = .failed(failure)
        }
        return report
    }
}
