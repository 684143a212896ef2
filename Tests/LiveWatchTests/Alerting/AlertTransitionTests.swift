import Foundation
import Testing

@testable import LiveWatch

/// The pure transition, branch by branch: (state, condition, settings, repeat interval, now) →
/// (state, line, changes). No store, no SQLite.
@Suite struct AlertTransitionTests {
    static let key = AlertKey(rule: .mrConcurrencyExhausted, monitor: "p", subject: "s")
    static let now: Int64 = 1_800_000_000

    static func at(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: Double(seconds)) }

    static func firing(_ severity: Severity = .critical, value: Double? = 1) -> AlertCondition {
        .firing(severity: severity, message: "m", value: value, threshold: 0)
    }

    static func transition(
        _ state: AlertState, _ condition: AlertCondition, settings: AlertRuleSettings = AlertRuleSettings(),
        repeatInterval: Double = 3_600, now: Date = at(now)
    ) -> AlertTransition {
        AlertTransition(
            from: state, key: key, condition: condition, settings: settings, repeatInterval: repeatInterval, now: now)
    }

    static func open(
        _ severity: Severity? = .critical, startedAt: Int64 = now - 600, lastWrittenAt: Int64 = now - 600,
        clearSince: Int64? = nil
    ) -> AlertState {
        AlertState(
            episode: AlertState.Episode(
                severity: severity, startedAt: startedAt, lastWrittenAt: lastWrittenAt, clearSince: clearSince))
    }

    // MARK: - Unknown

    @Test func anUnknownConditionChangesNothing() {
        for state in [
            AlertState.quiet, Self.open(),
            AlertState(pending: AlertState.Pending(severity: .warning, since: Self.now - 5)),
        ] {
            let result = Self.transition(state, .unknown)
            #expect(result.state == state)
            #expect(result.line == nil)
            #expect(result.changes.isEmpty)
        }
    }

    // MARK: - Firing, not open

    @Test func aQuietAlertWithoutForOpensAtOnce() {
        let result = Self.transition(.quiet, .firing(severity: .warning, message: "low", value: 2, threshold: 3))
        #expect(
            result.line
                == AlertLine(
                    time: Self.at(Self.now), state: .firing, severity: .warning, rule: .mrConcurrencyExhausted,
                    monitor: "p",
                    subject: "s", message: "low", value: 2, threshold: 3))
        #expect(
            result.changes == [.opened(severity: .warning, startedAt: Self.now, value: 2, message: "low", threshold: 3)]
        )
        #expect(result.state == Self.open(.warning, startedAt: Self.now, lastWrittenAt: Self.now))
    }

    @Test func openingDropsAPendingConditionLeftFromAnEarlierFor() {
        let pending = AlertState(pending: AlertState.Pending(severity: .warning, since: Self.now - 30))
        let result = Self.transition(pending, Self.firing())
        #expect(result.changes.first == .pendingDropped)
        #expect(result.changes.count == 2)
        #expect(result.state.pending == nil)
        #expect(result.line?.state == .firing)
    }

    @Test func withForAQuietAlertBecomesPending() {
        let result = Self.transition(.quiet, Self.firing(.warning), settings: AlertRuleSettings(pendingFor: 120))
        #expect(result.line == nil)
        #expect(result.changes == [.pendingStarted(severity: .warning, since: Self.now)])
        #expect(result.state == AlertState(pending: AlertState.Pending(severity: .warning, since: Self.now)))
    }

    @Test func aPendingAlertFollowsTheSeverityUntilItHasHeldForItsFor() {
        let pending = AlertState(pending: AlertState.Pending(severity: .warning, since: Self.now - 119))
        let waiting = Self.transition(pending, Self.firing(.critical), settings: AlertRuleSettings(pendingFor: 120))
        #expect(waiting.line == nil)
        #expect(waiting.changes == [.pendingSeverityChanged(.critical)])
        #expect(waiting.state == AlertState(pending: AlertState.Pending(severity: .critical, since: Self.now - 119)))

        // Exactly `for` later it fires, starting now (not when it became pending).
        let held = AlertState(pending: AlertState.Pending(severity: .warning, since: Self.now - 120))
        let fired = Self.transition(held, Self.firing(.critical), settings: AlertRuleSettings(pendingFor: 120))
        #expect(fired.line?.state == .firing)
        #expect(fired.line?.severity == .critical)
        #expect(
            fired.changes == [
                .pendingDropped,
                .opened(severity: .critical, startedAt: Self.now, value: 1, message: "m", threshold: 0),
            ])
        #expect(fired.state == Self.open(.critical, startedAt: Self.now, lastWrittenAt: Self.now))
    }

    // MARK: - Firing, open

    @Test func anOpenAlertIsRefreshedSilentlyUntilItsSeverityChangesOrARepeatIsDue() {
        let quiet = Self.transition(Self.open(lastWrittenAt: Self.now - 3_599), Self.firing(value: 5))
        #expect(quiet.line == nil)
        #expect(
            quiet.changes == [
                .stillFiring(severity: .critical, value: 5, message: "m", threshold: 0, lastWrittenAt: Self.now - 3_599)
            ])
        #expect(quiet.state == Self.open(lastWrittenAt: Self.now - 3_599))

        let due = Self.transition(Self.open(lastWrittenAt: Self.now - 3_600), Self.firing())
        #expect(due.line?.state == .firing)
        #expect(due.state.episode?.lastWrittenAt == Self.now)
        #expect(due.state.episode?.startedAt == Self.now - 600, "a repeat is the same episode")

        let escalated = Self.transition(Self.open(.warning, lastWrittenAt: Self.now - 10), Self.firing(.critical))
        #expect(escalated.line?.severity == .critical)
        #expect(
            escalated.changes == [
                .stillFiring(severity: .critical, value: 1, message: "m", threshold: 0, lastWrittenAt: Self.now)
            ])

        // A stored severity livewatch does not know counts as a change.
        let unknown = Self.transition(Self.open(nil, lastWrittenAt: Self.now - 10), Self.firing(.warning))
        #expect(unknown.line?.severity == .warning)
    }

    @Test func firingAgainForgetsAClearingUnderKeepFiringFor() {
        let result = Self.transition(
            Self.open(lastWrittenAt: Self.now - 10, clearSince: Self.now - 5), Self.firing(),
            settings: AlertRuleSettings(keepFiringFor: 300))
        #expect(result.line == nil)
        #expect(result.state.episode?.clearSince == nil)
        #expect(result.changes.count == 1)
    }

    @Test func anOpenAlertLeavesAStrayPendingConditionAlone() {
        var state = Self.open(lastWrittenAt: Self.now - 10)
        state.pending = AlertState.Pending(severity: .warning, since: Self.now - 900)
        let firing = Self.transition(state, Self.firing())
        #expect(firing.state.pending == state.pending)
        #expect(!firing.changes.contains(.pendingDropped))
        let cleared = Self.transition(state, .clear(message: "ok", value: 3))
        #expect(cleared.state.pending == state.pending)
        #expect(!cleared.changes.contains(.pendingDropped))
    }

    // MARK: - Clear

    @Test func aClearConditionOfAQuietAlertDoesNothingAndDropsAPendingOne() {
        let quiet = Self.transition(.quiet, .clear(message: "ok", value: 3))
        #expect(quiet.changes.isEmpty)
        #expect(quiet.line == nil)
        let pending = Self.transition(
            AlertState(pending: AlertState.Pending(severity: .warning, since: Self.now - 30)),
            .clear(message: "ok", value: 3),
            settings: AlertRuleSettings(pendingFor: 120))
        #expect(pending.changes == [.pendingDropped])
        #expect(pending.state == .quiet)
        #expect(pending.line == nil)
    }

    @Test func aClearConditionResolvesSayingHowLongItFired() {
        let result = Self.transition(
            Self.open(.warning, startedAt: Self.now - 7), .clear(message: "available again", value: 4))
        #expect(
            result.line
                == AlertLine(
                    time: Self.at(Self.now), state: .resolved, severity: .warning, rule: .mrConcurrencyExhausted,
                    monitor: "p",
                    subject: "s", message: "available again (fired for 7s)", value: 4))
        #expect(result.changes == [.resolved(at: Self.now, value: 4, message: "available again (fired for 7s)")])
        #expect(result.state == .quiet)

        // A start in the future (the clock went back) fired for nothing; an unknown severity resolves as a warning.
        let skewed = Self.transition(Self.open(nil, startedAt: Self.now + 60), .clear(message: "ok", value: nil))
        #expect(skewed.line?.message == "ok (fired for 0s)")
        #expect(skewed.line?.severity == .warning)
    }

    @Test func underKeepFiringForItResolvesOnlyAfterStayingClearThatLong() {
        let settings = AlertRuleSettings(keepFiringFor: 300)
        let first = Self.transition(
            Self.open(startedAt: Self.now - 60), .clear(message: "ok", value: 3), settings: settings)
        #expect(first.line == nil)
        #expect(first.changes == [.clearing(since: Self.now, value: 3)])
        #expect(first.state.episode?.clearSince == Self.now)

        let early = Self.transition(
            Self.open(startedAt: Self.now - 360, clearSince: Self.now - 299), .clear(message: "ok", value: 3),
            settings: settings)
        #expect(early.line == nil)
        #expect(early.changes.isEmpty, "nothing is written while it waits, not even the value")

        let late = Self.transition(
            Self.open(startedAt: Self.now - 480, clearSince: Self.now - 300), .clear(message: "ok", value: 4),
            settings: settings)
        #expect(late.line?.state == .resolved)
        #expect(late.line?.message == "ok (fired for 8m)")
        #expect(late.state == .quiet)
    }

    /// The line's time is the moment given; stored times are its whole seconds, rounded down.
    @Test func storedTimesAreWholeSecondsRoundedDown() {
        let moment = Date(timeIntervalSince1970: Double(Self.now) + 0.9)
        let result = Self.transition(.quiet, Self.firing(), now: moment)
        #expect(result.line?.time == moment)
        #expect(result.state.episode?.startedAt == Self.now)
    }
}
