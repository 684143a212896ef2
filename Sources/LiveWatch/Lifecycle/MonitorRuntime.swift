import Foundation

/// A configured monitor ready to run: the vendor monitor, its alert evaluator and its settings.
public struct MonitorRuntime: Sendable {
    /// The monitor's configuration.
    public let configuration: MonitorConfiguration
    /// The vendor monitor that polls.
    public let monitor: any Monitor
    /// What its polls mean for alerts.
    public let evaluator: any AlertEvaluator

    /// A runtime from its parts.
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
                    monitor: polyv.name, residualWarning: polyv.residualWarning,
                    residualCritical: polyv.residualCritical,
                    forecast: polyv.forecastHorizon > 0
                        ? ConcurrencyForecast(horizon: polyv.forecastHorizon, window: polyv.forecastWindow) : nil))
        case .tencentChat(let tencent):
            // One monitor per configured monitor: its rate limiter and UserSig cache live across polls.
            return MonitorRuntime(
                configuration: configuration,
                monitor: TencentChatMonitor(configuration: tencent, transport: transport, clock: clock),
                evaluator: NoAlerts())
        case .volcengine(let volcengine):
            // The limiters are made here, once per monitor, so they hold across polls and activities.
            return MonitorRuntime(
                configuration: configuration,
                monitor: VolcengineMonitor(
                    configuration: volcengine, transport: transport, limiters: VolcengineRateLimiters(), clock: clock),
                evaluator: VolcengineEvaluator(
                    monitor: volcengine.name, linkExpiryWarning: volcengine.linkExpiryWarning))
        case .metaStudio(let metaStudio):
            return MonitorRuntime(
                configuration: configuration,
                monitor: MetaStudioMonitor(configuration: metaStudio, transport: transport, clock: clock),
                evaluator: MetaStudioEvaluator(
                    monitor: metaStudio.name, expiryWarning: metaStudio.expiryWarning,
                    expiryCritical: metaStudio.expiryCritical))
        }
    }
}

/// An evaluator with no rules (the Tencent Chat room list only feeds history and reports).
struct NoAlerts: AlertEvaluator {
    var comparesWithPrevious: Bool { false }
    var rulesResolvingVanishedSubjects: [AlertRule] { [] }
    func evaluate(_ report: PollReport, previous: Observation?, openSubjects: [AlertRule: [String]]) -> AlertEvaluation
    {
        AlertEvaluation()
    }
}
