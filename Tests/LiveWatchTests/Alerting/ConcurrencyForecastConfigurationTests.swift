import Foundation
import Testing

@testable import LiveWatch

/// `forecast_horizon` and `forecast_window`: their defaults, `0s`, and a window too short for 5 polls
/// (an error when the forecast keys are written, a warning turning the forecast off when they are not).
@Suite struct ConcurrencyForecastConfigurationTests {
    static let environment = ["S": "polyv-secret-for-forecast-tests"]

    static func polyv(_ extra: String = "") throws(ConfigurationError) -> (PolyvMonitorConfiguration, [String]) {
        let configuration = try ConfigurationLoader(environment: environment).parse(
            "polyv:\n  - name: p\n    app_id: a\n    app_secret: { env: S }\n" + extra)
        guard case .polyv(let polyv) = configuration.monitors.first else {
            Issue.record("no polyv monitor")
            return (
                PolyvMonitorConfiguration(
                    name: "", appID: "", appSecret: Secret(""), endpoint: URL(fileURLWithPath: "/"),
                    poll: PollSettings()),
                []
            )
        }
        return (polyv, configuration.warnings.map(\.description))
    }

    static func forecast(of polyv: PolyvMonitorConfiguration) -> ConcurrencyForecast? {
        let runtime = MonitorRuntime.make(.polyv(polyv), transport: UnusedTransport())
        return (runtime.evaluator as? MRConcurrencyEvaluator)?.forecast
    }

    @Test func theForecastIsOnByDefaultLookingFifteenMinutesAheadOverThirty() throws {
        let (polyv, warnings) = try Self.polyv()
        #expect(polyv.forecastHorizon == 900 && polyv.forecastWindow == 1_800)
        #expect(warnings.isEmpty)
        let forecast = try #require(Self.forecast(of: polyv))
        #expect(forecast.horizon == 900 && forecast.history.window == 1_800)
    }

    @Test func theKeysAreReadAndZeroTurnsTheForecastOff() throws {
        let (polyv, warnings) = try Self.polyv(
            "    interval: 10s\n    forecast_horizon: 5m\n    forecast_window: 50s\n")
        #expect(polyv.forecastHorizon == 300 && polyv.forecastWindow == 50)
        #expect(warnings.isEmpty)
        #expect(Self.forecast(of: polyv)?.history.window == 50)
        let (off, _) = try Self.polyv("    forecast_horizon: 0s\n    interval: 1h\n")
        #expect(off.forecastHorizon == 0)
        #expect(Self.forecast(of: off) == nil)
    }

    @Test func aWindowTooShortForFivePollsIsAnErrorNamingBothKeys() {
        for extra in ["    interval: 1m\n    forecast_window: 4m\n", "    interval: 10m\n    forecast_horizon: 1h\n"] {
            do {
                _ = try Self.polyv(extra)
                Issue.record("accepted: \(extra)")
            } catch {
                let messages = error.problems.map(\.description)
                #expect(
                    messages.contains {
                        $0.contains("p: forecast_window: must hold 5 polls at interval")
                            && $0.contains("forecast_horizon: 0s")
                    }, "\(messages)")
            }
        }
    }

    @Test func theDefaultWindowMeetingALongIntervalTurnsTheForecastOffWithAWarning() throws {
        let (polyv, warnings) = try Self.polyv("    interval: 10m\n")
        #expect(polyv.forecastHorizon == 0)
        #expect(Self.forecast(of: polyv) == nil)
        #expect(
            warnings == [
                "line 2: p: forecast_window: the default 30m cannot hold 5 polls at interval 10m (at least 50m): "
                    + "mr_concurrency_forecast is off for this monitor; set forecast_window, or forecast_horizon: 0s"
            ])
        // Exactly five polls fit.
        let (fits, none) = try Self.polyv("    interval: 6m\n")
        #expect(fits.forecastHorizon == 900 && none.isEmpty)
    }
}
