import Foundation

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
        }
    }
}
