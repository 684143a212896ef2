import Foundation
import PropertyBased
import Testing

@testable import LiveWatch

/// `mr_concurrency_forecast` as pure code: the least-squares line, the decision and its wording, and the
/// evaluator run poll by poll through the alert book (over memory) beside `mr_concurrency_exhausted`.
@Suite struct ConcurrencyForecastTests {
    static let start: Int64 = 1_800_000_000

    static func samples(_ points: [(Int64, Int)], total: Int = 10) -> [ConcurrencySample] {
        points.map { ConcurrencySample(observedAt: start + $0.0, total: total, used: $0.1) }
    }

    // MARK: The line

    @Test func theLineThroughPointsOnALineIsThatLine() async {
        await propertyCheck(
            count: 300, input: Gen.int(in: 2...60), Gen.int(in: 1...900), Gen.int(in: -5...5), Gen.int(in: 0...1_000)
        ) { count, spacing, step, first in
            let points = (0..<count).map { (Int64($0 * spacing), first + $0 * step) }
            let trend = ConcurrencyTrend(Self.samples(points))
            #expect(trend != nil)
            guard let trend else { return }
            let slope = Double(step) / Double(spacing)
            #expect(abs(trend.slope - slope) <= 1e-9 * max(1, abs(slope)), "slope \(trend.slope), not \(slope)")
            #expect(abs(trend.level - Double(points[count - 1].1)) <= 1e-6, "level \(trend.level)")
            #expect(trend.reference == Self.start + Int64((count - 1) * spacing))
            #expect(trend.points == count)
        }
    }

    @Test func theTimeUntilTheTotalFollowsTheLine() throws {
        // 3, 4, 5, 6, 7 streams, one more every 4 minutes: 10 is reached 12 minutes after the newest poll.
        let trend = try #require(ConcurrencyTrend(Self.samples([(-960, 3), (-720, 4), (-480, 5), (-240, 6), (0, 7)])))
        #expect(abs(trend.slope - 1.0 / 240) < 1e-12)
        #expect(abs((trend.secondsUntil(reaching: 10) ?? 0) - 720) < 1e-6)
        #expect(trend.secondsUntil(reaching: 7) == 0)
        #expect(trend.secondsUntil(reaching: 2) == 0)
        let flat = try #require(ConcurrencyTrend(Self.samples([(0, 4), (60, 4), (120, 4)])))
        #expect(flat.slope == 0 && flat.secondsUntil(reaching: 10) == nil)
        let falling = try #require(ConcurrencyTrend(Self.samples([(0, 6), (60, 5), (120, 4)])))
        #expect(falling.secondsUntil(reaching: 10) == nil)
    }

    @Test func aCloudWithoutWidthHasNoLine() {
        #expect(ConcurrencyTrend([ConcurrencySample]()) == nil)
        #expect(ConcurrencyTrend(Self.samples([(0, 3)])) == nil)
        #expect(ConcurrencyTrend(Self.samples([(5, 3), (5, 9), (5, 1), (5, 4), (5, 8), (5, 2)])) == nil)
    }

    // MARK: The decision

    @Test func theMessageSaysItInWords() {
        let rising = Self.samples([(-960, 3), (-720, 4), (-480, 5), (-240, 6), (0, 7)])
        let condition = ConcurrencyForecast.condition(for: rising, horizon: 900, open: false)
        #expect(
            condition
                == .firing(
                    severity: .warning,
                    message:
                        "Polyv MR concurrency runs out in about 12m at the current trend: +1 stream every 4m (7 of 10 in use)",
                    value: 720, threshold: 900))
        // Three streams a minute, 9 of 10 in use: a few seconds left.
        let fast = Self.samples([(0, 5), (20, 6), (40, 7), (60, 8), (80, 9)])
        guard
            case .firing(_, let message, let value, _) = ConcurrencyForecast.condition(
                for: fast, horizon: 900, open: false)
        else {
            Issue.record("a fast rise did not fire")
            return
        }
        #expect(
            message
                == "Polyv MR concurrency runs out in about 20s at the current trend: +3 streams a minute (9 of 10 in use)"
        )
        #expect(value == 20)
        // The line is past the total already, and the last stream goes within a second at its slope.
        let past = Self.samples([(0, 0), (1, 9), (2, 9), (3, 9), (4, 9)])
        guard case .firing(_, let now, let soon, _) = ConcurrencyForecast.condition(for: past, horizon: 60, open: false)
        else {
            Issue.record("a line past the total did not fire")
            return
        }
        #expect(now == "Polyv MR concurrency runs out now at the current trend: +108 streams a minute (9 of 10 in use)")
        #expect(soon == 1)
        #expect(ConcurrencyForecast.approximately(7_260) == "2h1m")
        #expect(ConcurrencyForecast.rate(1.0 / 60) == "+1 stream every 1m")
        #expect(ConcurrencyForecast.rate(1.04 / 60) == "+1 stream a minute")
        #expect(ConcurrencyForecast.rate(2.5 / 60) == "+2.5 streams a minute")
    }

    @Test func anOpenForecastResolvesOnlyBeyondTheHysteresisBand() {
        // One stream every 100 s, 5 of 10 in use: the line reaches 10 in 500 s.
        let rising = Self.samples([(-400, 1), (-300, 2), (-200, 3), (-100, 4), (0, 5)])
        func fires(horizon: Double, open: Bool) -> Bool {
            if case .firing = ConcurrencyForecast.condition(for: rising, horizon: horizon, open: open) { return true }
            return false
        }
        #expect(fires(horizon: 500, open: false))
        #expect(!fires(horizon: 450, open: false))
        #expect(fires(horizon: 450, open: true)) // 500 <= 1.25 × 450
        #expect(fires(horizon: 400, open: true)) // 500 <= 1.25 × 400
        #expect(!fires(horizon: 390, open: true))
        guard case .clear(let message, let value) = ConcurrencyForecast.condition(for: rising, horizon: 390, open: true)
        else { return }
        #expect(message == "Polyv MR concurrency no longer runs out within 6m30s at the current trend (5 of 10 in use)")
        #expect(value == 500)
    }

    @Test func tooFewPollsNeverFire() async {
        await propertyCheck(
            count: 300, input: Gen.int(in: 0...10).array(of: 1...4), Gen.int(in: 0...600).array(of: 4),
            Gen.int(in: 11...20)
        ) { used, gaps, total in
            var at: Int64 = 0
            let samples = used.enumerated().map { index, value in
                at += Int64(gaps[index])
                return ConcurrencySample(observedAt: Self.start + at, total: total, used: value)
            }
            for open in [false, true] {
                let condition = ConcurrencyForecast.condition(for: samples, horizon: 86_400, open: open)
                if case .firing = condition { Issue.record("\(samples.count) polls fired: \(samples)") }
            }
        }
    }

    @Test func aFlatOrFallingSeriesNeverFires() async {
        await propertyCheck(
            count: 300, input: Gen.int(in: 0...3).array(of: 5...120), Gen.int(in: 0...900).array(of: 120),
            Gen.int(in: 0...60), Gen.bool()
        ) { drops, gaps, first, open in
            var used = first
            var at: Int64 = 0
            var samples: [ConcurrencySample] = []
            for (index, drop) in drops.enumerated() {
                samples.append(ConcurrencySample(observedAt: Self.start + at, total: 61, used: used))
                used -= drop
                at += Int64(gaps[index])
                // Every prefix is a poll's window: none of them fires, however long the horizon.
                if case .firing = ConcurrencyForecast.condition(for: samples, horizon: 86_400, open: open) {
                    Issue.record("a non-rising series fired: \(samples.map(\.used))")
                }
            }
        }
    }

    @Test func degenerateSamplesNeverCrashAndNeverFireWrongly() async {
        // All in one second.
        let vertical = (0..<8).map { ConcurrencySample(observedAt: Self.start, total: 10, used: $0) }
        #expect(ConcurrencyForecast.condition(for: vertical, horizon: 900, open: false) == .unknown)
        // A total of 0, and an account past its total: the exhaustion rule's to say.
        for (total, used) in [(0, 0), (0, 5), (5, 5), (5, 9), (-3, -5)] {
            let samples = (0..<6).map {
                ConcurrencySample(observedAt: Self.start + Int64($0 * 60), total: total, used: used - 5 + $0)
            }
            let condition = ConcurrencyForecast.condition(for: samples, horizon: 86_400, open: false)
            if case .firing = condition { Issue.record("total \(total), used \(used) fired") }
        }
        // Extreme values from a hostile vendor or a damaged database: an answer, never a trap.
        await propertyCheck(
            count: 300, input: Gen.int64().array(of: 5...12), Gen.int().array(of: 12), Gen.int()
        ) { times, used, total in
            let samples = times.enumerated().map {
                ConcurrencySample(observedAt: $0.element, total: total, used: used[$0.offset])
            }
            if let trend = ConcurrencyTrend(samples) {
                #expect(trend.slope.isFinite && trend.level.isFinite)
                if let seconds = trend.secondsUntil(reaching: total) { #expect(seconds.isFinite && seconds >= 0) }
            }
            if case .firing(_, _, let value, _) = ConcurrencyForecast.condition(
                for: samples.sorted { $0.observedAt < $1.observedAt }, horizon: 86_400, open: false)
            {
                #expect(value?.isFinite == true)
            }
        }
    }

    // MARK: Poll by poll, beside the exhaustion

    @Test func aLinearRiseFiresAheadOfTheExhaustionByRoughlyTheHorizon() async throws {
        await propertyCheck(
            count: 60, input: Gen.int(in: 1...10), Gen.int(in: 0...2).map { [30, 60, 120][$0] }, Gen.int(in: 0...20)
        ) { minutesPerStream, interval, extraMinutes in
            // A horizon shorter than a stream's step plus a poll cannot be kept by a staircase: at least that.
            let horizonMinutes = max(5, minutesPerStream + (interval + 59) / 60 + extraMinutes)
            let step = Double(minutesPerStream * 60)
            let horizon = Double(horizonMinutes * 60)
            // Enough streams that the rise is seen a whole window before the horizon.
            let total = max(10, Int(((horizon + 1_800) / step).rounded(.up)) + 2)
            var run = ForecastRun(horizon: horizon, residualWarning: 0)
            var seconds = 0.0
            while true {
                let used = min(total, Int(seconds / step))
                try? run.poll(at: seconds, total: total, used: used)
                if used == total { break }
                seconds += Double(interval)
            }
            let exhausted = Double(total) * step
            let forecast = run.lines(.mrConcurrencyForecast)
            #expect(forecast.map(\.line.state) == [.firing, .resolved], "\(forecast.map(\.line.message))")
            guard forecast.count == 2 else { return }
            let lead = exhausted - forecast[0].seconds
            // A staircase's line lags half a step; the polls add one interval.
            #expect(
                abs(lead - horizon) <= step + Double(interval),
                "fired \(lead) s ahead, horizon \(horizon) s (a stream every \(step) s, a poll every \(interval) s)")
            #expect(forecast[1].seconds >= exhausted && forecast[1].seconds < exhausted + Double(interval))
            #expect(forecast[1].line.message.hasPrefix(ConcurrencyForecast.supersededMessage))
            #expect(forecast[0].line.threshold == horizon)
        }
    }

    @Test func aNoisyRisingSeriesFiresOnceWithoutFlapping() async throws {
        // One stream every 4 minutes, a poll every 30 s, each poll off the (rounded) trend by up to a stream.
        await propertyCheck(count: 60, input: Gen.int(in: -1...1).array(of: 400)) { noise in
            let total = 40
            var run = ForecastRun(horizon: 900, residualWarning: 0)
            var firstFiring: Double?
            for (index, offset) in noise.enumerated() {
                let seconds = Double(index * 30)
                let trend = 5 + seconds / 240
                // Stop before the trend itself reaches the total (the exhaustion would take over).
                guard trend < Double(total - 2) else { break }
                let used = min(total - 1, max(0, Int(trend.rounded()) + offset))
                try? run.poll(at: seconds, total: total, used: used)
                if firstFiring == nil, !run.lines(.mrConcurrencyForecast).isEmpty { firstFiring = seconds }
            }
            let forecast = run.lines(.mrConcurrencyForecast)
            #expect(forecast.map(\.line.state) == [.firing], "flapped: \(forecast.map { ($0.seconds, $0.line.state) })")
            // The trend reaches 40 at 35 × 240 s; the forecast comes roughly a horizon (900 s) before.
            if let firstFiring {
                #expect(abs(35 * 240 - firstFiring - 900) <= 360, "fired at \(firstFiring) s")
            }
        }
    }

    @Test func theForecastGivesWayToTheExhaustionAndStaysQuietWhenTheShowsEnd() throws {
        var run = ForecastRun(horizon: 900, residualWarning: 2)
        // 2, 3, 4, ... streams of 10, one more every 2 minutes, a poll a minute.
        for minute in 0...12 { try run.poll(at: Double(minute * 60), total: 10, used: 2 + minute / 2) }
        let forecast = run.lines(.mrConcurrencyForecast)
        let exhausted = run.lines(.mrConcurrencyExhausted)
        #expect(forecast.map(\.line.state) == [.firing, .resolved])
        #expect(exhausted.map(\.line.state) == [.firing])
        // It resolved in the very poll the exhaustion fired (8 in use: residual 2), after its line.
        #expect(forecast.last?.seconds == exhausted.first?.seconds)
        #expect(forecast.last?.line.message.hasPrefix("Polyv MR concurrency forecast superseded") == true)
        let order = run.lines.map(\.line.rule)
        #expect(order.lastIndex(of: .mrConcurrencyExhausted) ?? 0 < order.lastIndex(of: .mrConcurrencyForecast) ?? 0)
        // While the exhaustion fires, the rising trend does not fire the forecast again.
        for minute in 13...16 { try run.poll(at: Double(minute * 60), total: 10, used: 9) }
        #expect(run.lines(.mrConcurrencyForecast).count == 2)
        // The shows end: back to 3 in use. The exhaustion resolves; the line still rises for a while, but
        // counted from 3 the total is far off: nothing fires.
        for minute in 17...40 { try run.poll(at: Double(minute * 60), total: 10, used: 3) }
        #expect(run.lines(.mrConcurrencyExhausted).map(\.line.state) == [.firing, .resolved])
        #expect(run.lines(.mrConcurrencyForecast).count == 2)
    }

    @Test func aPendingExhaustionLeavesTheForecastFiring() throws {
        var run = ForecastRun(
            horizon: 900, residualWarning: 2, rules: [.mrConcurrencyExhausted: AlertRuleSettings(pendingFor: 600)])
        for minute in 0...12 { try run.poll(at: Double(minute * 60), total: 10, used: 2 + minute / 2) }
        // The exhaustion's condition holds from minute 12 but is only pending: the forecast still fires.
        #expect(run.lines(.mrConcurrencyExhausted).isEmpty)
        #expect(run.lines(.mrConcurrencyForecast).map(\.line.state) == [.firing])
        // Every stream taken while the exhaustion is still pending: the forecast stays until it fires.
        for minute in 13...21 { try run.poll(at: Double(minute * 60), total: 10, used: 10) }
        #expect(run.lines(.mrConcurrencyForecast).map(\.line.state) == [.firing])
        try run.poll(at: 22 * 60, total: 10, used: 10)
        #expect(run.lines(.mrConcurrencyExhausted).map(\.line.state) == [.firing])
        #expect(run.lines(.mrConcurrencyForecast).map(\.line.state) == [.firing, .resolved])
    }

    @Test func turningTheForecastOffResolvesIt() throws {
        var run = ForecastRun(horizon: 900, residualWarning: 0)
        for minute in 0...8 { try run.poll(at: Double(minute * 60), total: 10, used: 2 + minute / 2) }
        #expect(run.lines(.mrConcurrencyForecast).map(\.line.state) == [.firing])
        run.evaluator = MRConcurrencyEvaluator(monitor: "p", residualWarning: 0, residualCritical: 0)
        try run.poll(at: 9 * 60, total: 10, used: 6)
        #expect(run.lines(.mrConcurrencyForecast).map(\.line.state) == [.firing, .resolved])
        #expect(
            run.lines(.mrConcurrencyForecast).last?.line.message.hasPrefix(ConcurrencyForecast.turnedOffMessage) == true
        )
        try run.poll(at: 10 * 60, total: 10, used: 7)
        #expect(run.lines(.mrConcurrencyForecast).count == 2)
    }

    @Test func aFailedPollSaysNothingAndAddsNoSample() throws {
        var run = ForecastRun(horizon: 900, residualWarning: 0)
        for minute in 0...8 { try run.poll(at: Double(minute * 60), total: 10, used: 2 + minute / 2) }
        let evaluation = run.evaluator.evaluate(
            PollReport(
                monitor: "p", vendor: "polyv", startedAt: Date(), finishedAt: Date(), requests: 1, httpStatus: 500,
                requestID: nil, outcome: .failed(PollFailure(kind: .http, code: "http_500", message: "HTTP 500"))),
            previous: nil, openSubjects: [:])
        #expect(evaluation.conditions.map(\.1) == [.unknown, .unknown])
        #expect(
            run.evaluator.forecast?.history.add(ConcurrencySample(observedAt: Self.start + 540, total: 10, used: 6))
                .count == 10)
    }

    // MARK: The memory

    @Test func theHistoryKeepsTheWindowEndingAtTheNewestPoll() {
        let history = ConcurrencyHistory(window: 300)
        #expect(history.needsLoading)
        history.load(Self.samples([(-400, 1), (-300, 2), (-200, 3)]))
        #expect(!history.needsLoading)
        #expect(history.add(ConcurrencySample(observedAt: Self.start, total: 10, used: 4)).map(\.used) == [2, 3, 4])
        #expect(
            history.add(ConcurrencySample(observedAt: Self.start + 100, total: 10, used: 5)).map(\.used) == [3, 4, 5])
        #expect(
            history.add(ConcurrencySample(observedAt: Self.start + 101, total: 10, used: 5)).map(\.used) == [4, 5, 5])
        // The clock stepped back: what lies after the new poll is dropped.
        #expect(history.add(ConcurrencySample(observedAt: Self.start + 50, total: 10, used: 6)).map(\.used) == [4, 6])
        history.forget()
        #expect(history.needsLoading)
        #expect(history.earliest(at: Self.start) == Self.start - 300)
        // At most `capacity` samples, the newest.
        let crowded = ConcurrencyHistory(window: 86_400)
        crowded.load(
            (0..<(ConcurrencyHistory.capacity + 5)).map {
                ConcurrencySample(observedAt: Self.start + Int64($0), total: 10, used: $0 % 10)
            })
        let kept = crowded.add(ConcurrencySample(observedAt: Self.start + 20_000, total: 10, used: 1))
        #expect(kept.count == ConcurrencyHistory.capacity)
        #expect(kept.last?.observedAt == Self.start + 20_000)
    }
}

/// The Polyv evaluator with a forecast, applied poll by poll through the alert book over memory, as
/// the recorder does (the open forecast read from the store before each evaluation).
struct ForecastRun {
    var evaluator: MRConcurrencyEvaluator
    let store = MemoryAlertStateStore()
    let book: AlertBook
    /// Every line written, with the seconds since the run's start.
    var lines: [(seconds: Double, line: AlertLine)] = []
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    init(horizon: Double, window: Double = 1_800, residualWarning: Int, rules: [AlertRule: AlertRuleSettings] = [:]) {
        evaluator = MRConcurrencyEvaluator(
            monitor: "p", residualWarning: residualWarning, residualCritical: 0,
            forecast: ConcurrencyForecast(horizon: horizon, window: window))
        book = AlertBook(repeatInterval: 86_400, rules: rules)
    }

    func lines(_ rule: AlertRule) -> [(seconds: Double, line: AlertLine)] {
        lines.filter { $0.line.rule == rule }
    }

    mutating func poll(at seconds: Double, total: Int, used: Int) throws {
        let now = Self.start + seconds
        let report = PollReport(
            monitor: "p", vendor: "polyv", startedAt: now, finishedAt: now, requests: 1, httpStatus: 200,
            requestID: nil,
            outcome: .observed(
                .mrConcurrency(MRConcurrency(total: total, used: used, residual: total - used, channelIDs: []))))
        let open = try store.openSubjects(rule: .mrConcurrencyForecast, monitor: "p")
        let evaluation = evaluator.evaluate(report, previous: nil, openSubjects: [.mrConcurrencyForecast: open])
        lines += try book.apply(
            evaluation.conditions, now: now, store: store, pruningPendingOf: "p", inhibitions: evaluation.inhibitions
        ).map { (seconds, $0) }
    }
}
