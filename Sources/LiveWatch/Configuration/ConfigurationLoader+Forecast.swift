import Foundation
import Yams

extension ConfigurationLoader {
    /// A Polyv monitor's `forecast_horizon` and `forecast_window` (seconds; a horizon of 0 is off).
    ///
    /// The window must hold `ConcurrencyForecast.minimumPoints` polls at the monitor's `interval`. When
    /// either key is written, a shorter window is an error naming both keys; when neither is (the
    /// defaults meeting a long `interval`), the forecast is turned off for the monitor with a warning.
    func readForecast(_ reader: MappingReader, interval: Double) -> (horizon: Double, window: Double) {
        let defaults = PolyvMonitorConfiguration.defaultForecast
        let horizon = reader.duration(
            "forecast_horizon", in: ConfigurationLimits.forecastHorizon, default: defaults.horizon)
        let window = reader.duration(
            "forecast_window", in: ConfigurationLimits.forecastWindow, default: defaults.window)
        let shortest = Double(ConcurrencyForecast.minimumPoints) * interval
        guard horizon > 0, window < shortest else { return (horizon, window) }
        let written = reader.value("forecast_window") ?? reader.value("forecast_horizon")
        let polls = "\(ConcurrencyForecast.minimumPoints) polls at interval \(DurationParser.format(interval))"
        if let written {
            reader.problem(
                written, "forecast_window",
                "must hold \(polls), so at least \(DurationParser.format(shortest)) (got \(DurationParser.format(window))); "
                    + "lengthen it, shorten interval, or turn the forecast off with forecast_horizon: 0s")
            return (horizon, window)
        }
        reader.warning(
            nil, "forecast_window",
            "the default \(DurationParser.format(window)) cannot hold \(polls) (at least "
                + "\(DurationParser.format(shortest))): mr_concurrency_forecast is off for this monitor; "
                + "set forecast_window, or forecast_horizon: 0s")
        return (0, window)
    }
}
