import Foundation
import Testing

@testable import LiveWatch

/// Which notifier gets which line, without a database: `min_severity`, the episode a notifier was
/// told of, silences.
@Suite struct NotificationRouteTests {
    static let notifier = NotifierConfiguration(
        name: "ops", kind: .webhook, url: Secret("http://127.0.0.1:9/x"), minSeverity: .critical)

    static func line(_ state: AlertLine.State, _ severity: Severity) -> AlertLine {
        AlertLine(
            time: Date(timeIntervalSince1970: 1_800_000_000), state: state, severity: severity,
            rule: .mrConcurrencyExhausted,
            monitor: "p", subject: "p", message: "m")
    }

    static func route(_ state: AlertLine.State, _ severity: Severity, notified: Bool, silenced: Bool = false) -> String
    {
        let route = NotificationRoute(
            line: line(state, severity), silenced: silenced, notifier: notifier, notified: notified)
        return [route.send ? "send" : nil, route.remember ? "remember" : nil, route.forget ? "forget" : nil]
            .compactMap { $0 }.joined(separator: "+")
    }

    @Test func aFiringLineGoesOutAtMinSeverityOrToANotifierAlreadyTold() {
        #expect(Self.route(.firing, .warning, notified: false) == "")
        #expect(Self.route(.firing, .critical, notified: false) == "send+remember")
        // Told of the episode: it hears of the lower severity too, and already remembers it.
        #expect(Self.route(.firing, .warning, notified: true) == "send")
        #expect(Self.route(.firing, .critical, notified: true) == "send")
    }

    @Test func aResolutionGoesOnlyToANotifierToldOfTheFiringWhichThenForgetsIt() {
        #expect(Self.route(.resolved, .critical, notified: false) == "")
        #expect(Self.route(.resolved, .warning, notified: true) == "send+forget")
    }

    @Test func aNoticeGoesOutAtMinSeverityAndBelongsToNoEpisode() {
        #expect(Self.route(.notice, .warning, notified: false) == "")
        #expect(Self.route(.notice, .critical, notified: false) == "send")
        #expect(Self.route(.notice, .warning, notified: true) == "", "being told of a firing says nothing for a notice")
    }

    @Test func aSilencedLineGoesNowhereButStillEndsTheEpisode() {
        #expect(Self.route(.firing, .critical, notified: false, silenced: true) == "")
        #expect(Self.route(.firing, .critical, notified: true, silenced: true) == "")
        #expect(Self.route(.notice, .critical, notified: false, silenced: true) == "")
        #expect(Self.route(.resolved, .critical, notified: true, silenced: true) == "forget")
    }
}
