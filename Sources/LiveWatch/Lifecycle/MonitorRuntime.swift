import Foundation
import SQLite

/// A configured monitor ready to run: the vendor monitor, its alert evaluator and its settings.
public struct MonitorRuntime: Sendable {
    public let configuration: MonitorConfiguration
    public let monitor: any Monitor
    public let evaluator: any AlertEvaluator

    public init(configuration: MonitorConfiguration, monitor: any Monitor, evaluator: any AlertEvaluator) {
        self.configuration = configuration
        self.monitor = monitor
        self.evaluator = evaluator
    }

    /// Builds the runtime for a configured monitor.
    public static func make(
        _ configuration: MonitorConfiguration, transport: any HTTPTransport,
        clock: @escaping @Sendable () -> Date = Date.init
    ) -> MonitorRuntime {
        switch configuration {
        case .polyv(let polyv):
            return MonitorRuntime(
                configuration: configuration,
                monitor: PolyvMonitor(configuration: polyv, transport: transport, clock: clock),
                evaluator: MRConcurrencyEvaluator(
                    monitor: polyv.name, residualWarning: polyv.residualWarning, residualCritical: polyv.residualCritical))
        case .metaStudio(let metaStudio):
            return MonitorRuntime(
                configuration: configuration,
                monitor: MetaStudioMonitor(configuration: metaStudio, transport: transport, clock: clock),
                evaluator: MetaStudioEvaluator(
                    monitor: metaStudio.name, expiryWarning: metaStudio.expiryWarning,
                    expiryCritical: metaStudio.expiryCritical))
        case .tencentChat, .volcengine:
            // Replaced vendor by vendor as their monitors land.
            return MonitorRuntime(
                configuration: configuration, monitor: PendingVendorMonitor(name: configuration.name, vendor: configuration.vendor, clock: clock),
                evaluator: NoAlerts())
        }
    }
}

/// TEMPORARY: a vendor whose monitor has not landed yet; every poll fails saying so.
struct PendingVendorMonitor: Monitor {
    let name: String
    let vendor: String
    let clock: @Sendable () -> Date

    func poll(deadline: Double) async -> PollReport {
        let now = clock()
        return PollReport(
            monitor: name, vendor: vendor, startedAt: now, finishedAt: now, requests: 0, httpStatus: nil, requestID: nil,
            outcome: .failed(PollFailure(kind: .local, code: "unsupported", message: "\(vendor) monitors are not implemented yet")))
    }
}

/// An evaluator with no rules.
struct NoAlerts: AlertEvaluator {
    func evaluate(_ report: PollReport, in database: Database) throws -> AlertEvaluation { AlertEvaluation() }
}
