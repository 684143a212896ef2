import Foundation
import PropertyBased
import Testing

@testable import LiveWatch

/// `livewatch check`'s pure evaluation: the status, the line and the performance data.
@Suite struct CheckTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let polyv = CheckMonitor(
        name: "polyv-main", vendor: "polyv", maxAge: 180,
        residualThresholds: HistoryConfiguration.ResidualThresholds(warning: 2, critical: 0))
    static let tim = CheckMonitor(name: "tim-main", vendor: "tencent_chat", maxAge: 900)
    /// Silences every alert whose subject is `quiet`, always.
    static let quiet = Silence(
        name: "quiet", rules: nil, monitors: nil, subjects: ["quiet"],
        window: .between(start: nil, end: Date.distantFuture))

    static func alert(
        _ severity: String, monitor: String = "polyv-main", subject: String? = nil, message: String = "message",
        startedAt: Double = 0
    ) -> CheckAlert {
        CheckAlert(
            rule: "mr_concurrency_exhausted", monitor: monitor, subject: subject ?? monitor, severity: severity,
            startedAt: now.addingTimeInterval(-1_000 + startedAt), message: message)
    }

    static func fresh(_ names: String...) -> [String: Date] {
        Dictionary(uniqueKeysWithValues: names.map { ($0, now.addingTimeInterval(-42)) })
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let facts: CheckFacts
        let status: CheckStatus
        let text: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "fresh, nothing firing", facts: CheckFacts(lastSuccess: fresh("polyv-main", "tim-main")),
            status: .ok, text: "2 monitors polled within max age, no alert firing"),
        Case(
            name: "a warning",
            facts: CheckFacts(lastSuccess: fresh("polyv-main", "tim-main"), firing: [alert("warning")]),
            status: .warning, text: "polyv-main: message"),
        Case(
            name: "a critical",
            facts: CheckFacts(lastSuccess: fresh("polyv-main", "tim-main"), firing: [alert("critical")]),
            status: .critical, text: "polyv-main: message"),
        Case(
            name: "an info alert is OK",
            facts: CheckFacts(lastSuccess: fresh("polyv-main", "tim-main"), firing: [alert("info")]), status: .ok,
            text: "2 monitors polled within max age, no alert firing (alerts firing: 1 info)"),
        Case(
            name: "a severity this version does not know is a warning",
            facts: CheckFacts(lastSuccess: fresh("polyv-main", "tim-main"), firing: [alert("disaster")]),
            status: .warning, text: "polyv-main: message"),
        Case(
            name: "a silenced critical is OK",
            facts: CheckFacts(
                lastSuccess: fresh("polyv-main", "tim-main"), firing: [alert("critical", subject: "quiet")]),
            status: .ok, text: "2 monitors polled within max age, no alert firing (alerts firing: 1 silenced)"),
        Case(
            name: "an alert of a monitor not selected is left out",
            facts: CheckFacts(
                lastSuccess: fresh("polyv-main", "tim-main"), firing: [alert("critical", monitor: "other")]),
            status: .ok, text: "2 monitors polled within max age, no alert firing"),
        Case(
            name: "never polled successfully", facts: CheckFacts(lastSuccess: fresh("polyv-main")), status: .critical,
            text: "tim-main: no successful poll recorded"),
        Case(
            name: "stale",
            facts: CheckFacts(lastSuccess: ["polyv-main": now.addingTimeInterval(-3_720), "tim-main": now]),
            status: .critical, text: "polyv-main: last successful poll 1h2m ago (max age 3m)"),
        Case(
            name: "exactly the max age is not stale",
            facts: CheckFacts(lastSuccess: ["polyv-main": now.addingTimeInterval(-180), "tim-main": now]), status: .ok,
            text: "2 monitors polled within max age, no alert firing"),
        Case(
            name: "a success in the future (clock skew) is fresh",
            facts: CheckFacts(lastSuccess: ["polyv-main": now.addingTimeInterval(3_600), "tim-main": now]),
            status: .ok, text: "2 monitors polled within max age, no alert firing"),
        Case(
            name: "critical before warning, stale before an alert, the others counted",
            facts: CheckFacts(
                lastSuccess: fresh("polyv-main"),
                firing: [
                    alert("warning", message: "low"), alert("critical", message: "out", startedAt: 5),
                    alert("warning", monitor: "tim-main", message: "tim low"), alert("critical", subject: "quiet"),
                ]),
            status: .critical,
            text: "tim-main: no successful poll recorded (+3 more: 1 critical, 2 warning) (1 silenced)"),
        Case(
            name: "the oldest of two criticals first",
            facts: CheckFacts(
                lastSuccess: fresh("polyv-main", "tim-main"),
                firing: [
                    alert("critical", message: "newer", startedAt: 10),
                    alert("critical", message: "older", startedAt: 1),
                ]),
            status: .critical, text: "polyv-main: older (+1 more: 1 critical)"),
    ]

    @Test(arguments: cases)
    func theStatusAndTheTextFollowTheWorstProblem(_ scenario: Case) {
        let result = Check.evaluate(
            monitors: [Self.polyv, Self.tim], facts: scenario.facts, silences: [Self.quiet], now: Self.now)
        #expect(result.status == scenario.status)
        #expect(result.exitCode == scenario.status.rawValue)
        #expect(result.text == scenario.text)
        #expect(result.line.hasPrefix("LIVEWATCH \(scenario.status.label) - \(scenario.text) | "), "\(result.line)")
    }

    @Test func performanceDataFollowsTheMonitoringPluginsFormat() {
        let facts = CheckFacts(
            lastSuccess: ["polyv-main": Self.now.addingTimeInterval(-42.7)],
            concurrency: ["polyv-main": CheckConcurrency(total: 5, used: 5, residual: 0)],
            firing: [Self.alert("critical", message: "Polyv MR concurrency exhausted: 0 of 5 left")])
        let result = Check.evaluate(monitors: [Self.polyv, Self.tim], facts: facts, silences: [], now: Self.now)
        #expect(
            result.line
                == "LIVEWATCH CRITICAL - tim-main: no successful poll recorded (+1 more: 1 critical) | "
                + "'polyv-main_residual'=0;2;0;0;5 'polyv-main_age'=42s;;180;0 'tim-main_age'=U;;900;0")

        // With --database there are no thresholds; without an observation the residual is U.
        let bare = CheckMonitor(name: "polyv-main", vendor: "polyv", maxAge: 600)
        let known = Check.performanceItems(
            for: bare, facts: CheckFacts(concurrency: ["polyv-main": CheckConcurrency(total: 5, used: 2, residual: 3)]),
            now: Self.now)
        #expect(known == ["'polyv-main_residual'=3;;;0;5", "'polyv-main_age'=U;;600;0"])
        #expect(
            Check.performanceItems(for: Self.polyv, facts: CheckFacts(), now: Self.now) == [
                "'polyv-main_residual'=U;2;0;0;", "'polyv-main_age'=U;;180;0",
            ])
    }

    @Test func hostileTextCannotBreakTheLineOrItsPerformanceData() {
        let name = "it's=a|room\u{1B}[31m\nnext"
        let monitor = CheckMonitor(name: name, vendor: "polyv", maxAge: 60)
        let message =
            "bad \u{1B}]8;;http://x\u{07}link | 'quoted'\r\nsecond line \u{202E}reversed"
            + String(repeating: "x", count: 2_000)
        let facts = CheckFacts(
            lastSuccess: [name: Self.now],
            firing: [
                CheckAlert(
                    rule: "r", monitor: name, subject: "s", severity: "critical", startedAt: Self.now, message: message)
            ])
        let line = Check.evaluate(monitors: [monitor], facts: facts, silences: [], now: Self.now).line
        #expect(DisplayTextTests.unsafe(line, allowing: []).isEmpty, "\(line)")
        #expect(line.components(separatedBy: "|").count == 2, "one | between the text and the data: \(line)")
        #expect(line.count < Check.textLimit + 300, "\(line.count)")
        let data = String(line.split(separator: "|")[1])
        #expect(data.contains("'it''s\\u{3D}a\\u{7C}room\\u{1B}[31m\\u{A}next_age'=0s;;60;0"), "\(data)")
    }

    @Test func aSilenceOfARuleThisVersionDoesNotKnowNeverMatchesAndWindowsCount() {
        let alert = CheckAlert(
            rule: "future_rule", monitor: "m", subject: "s", severity: "critical", startedAt: Self.now, message: "")
        let byRule = Silence(
            name: "r", rules: [.mrConcurrencyExhausted], monitors: nil, subjects: nil,
            window: .between(start: nil, end: .distantFuture))
        let byMonitor = Silence(
            name: "m", rules: nil, monitors: ["m"], subjects: nil, window: .between(start: nil, end: .distantFuture))
        let over = Silence(
            name: "o", rules: nil, monitors: ["m"], subjects: nil, window: .between(start: nil, end: Self.now))
        #expect(!byRule.silences(alert, at: Self.now))
        #expect(byMonitor.silences(alert, at: Self.now))
        #expect(!over.silences(alert, at: Self.now), "a silence that has ended")
    }

    /// A second silence source (the database's, some day) plugs in beside the configuration's.
    @Test func anySilenceSourceSilences() {
        struct EverythingOf: CheckSilencing {
            let monitor: String
            func silences(_ alert: CheckAlert, at date: Date) -> Bool { alert.monitor == monitor }
        }
        let facts = CheckFacts(lastSuccess: Self.fresh("polyv-main", "tim-main"), firing: [Self.alert("critical")])
        let result = Check.evaluate(
            monitors: [Self.polyv, Self.tim], facts: facts,
            silences: [Self.quiet, EverythingOf(monitor: "polyv-main")],
            now: Self.now)
        #expect(result.status == .ok)
    }

    /// Any mix of monitors (fresh, stale, never polled) and alerts (each severity, silenced or not, of a selected
    /// monitor or not): the status is the worst of each part alone, and the line is one safe line.
    @Test func theStatusIsTheWorstOfItsParts() async {
        let severities = ["info", "warning", "critical", "bogus"]
        await propertyCheck(
            count: 500, input: Gen.int(in: 0...2).array(of: 1...6), Gen.int(in: 0...63).array(of: 0...10)
        ) { ages, alerts in
            let monitors = ages.indices.map {
                CheckMonitor(name: "m\($0)", vendor: $0 % 2 == 0 ? "polyv" : "x", maxAge: 60)
            }
            var facts = CheckFacts()
            var expected = CheckStatus.ok
            for (index, age) in ages.enumerated() {
                switch age {
                case 0: expected = .critical
                case 1: facts.lastSuccess["m\(index)"] = Self.now.addingTimeInterval(-30)
                default:
                    facts.lastSuccess["m\(index)"] = Self.now.addingTimeInterval(-61)
                    expected = .critical
                }
            }
            for code in alerts {
                let severity = severities[code % 4]
                let silenced = (code / 4) % 2 == 1
                let monitor = "m\(code / 8)"
                facts.firing.append(
                    CheckAlert(
                        rule: "mr_concurrency_exhausted", monitor: monitor, subject: silenced ? "quiet" : "s",
                        severity: severity, startedAt: Self.now, message: "firing | \u{1B}"))
                if !silenced, code / 8 < ages.count {
                    expected = max(expected, CheckStatus.of(severity: severity))
                }
            }
            let result = Check.evaluate(monitors: monitors, facts: facts, silences: [Self.quiet], now: Self.now)
            #expect(result.status == expected, "\(ages) \(alerts)")
            #expect(result.line.hasPrefix("LIVEWATCH \(expected.label) - "))
            #expect(DisplayTextTests.unsafe(result.line, allowing: []).isEmpty)
            #expect(result.line.components(separatedBy: " | ").count == 2)
            #expect(result.performanceData.count == monitors.count + (monitors.count + 1) / 2)
        }
    }

    @Test func anUnknownResultIsStatus3WithoutData() {
        let result = CheckResult.unknown("no database at /x\n| y")
        #expect(result.exitCode == 3)
        #expect(result.line == "LIVEWATCH UNKNOWN - no database at /x\\u{A}\\u{7C} y")
    }
}
