import Foundation
import SQLite
import Testing
import VendorSimulator

@testable import LiveWatch

/// `mr_concurrency_forecast` end to end: the real Polyv client against the simulator, both on one manual
/// clock (a poll a minute, without waiting), the daemon's pipeline, a real SQLite file and the alert log.
@Suite struct ConcurrencyForecastPipelineTests {
    typealias Harness = PipelineHarness<PolyvFixture>

    /// The simulator (10 streams, 2 in use) and a monitor polling it every minute, forecasting 15 minutes
    /// ahead over 30, on `clock` (the simulator checks the signature's timestamp against it).
    static func start(clock: ManualClock) async throws -> PolyvFixture {
        let simulator = VendorSimulator(clock: { clock.now() })
        try await simulator.start()
        simulator.polyv.addApplication(appID: PolyvFixture.appID, secret: PolyvFixture.secret, total: 10, used: 2)
        let endpoint = try require(URL(string: simulator.baseURL))
        let configuration = PolyvMonitorConfiguration(
            name: "polyv-main", appID: PolyvFixture.appID, appSecret: Secret(PolyvFixture.secret), endpoint: endpoint,
            poll: PollSettings(interval: 60, timeout: 5, jitter: 0), residualWarning: 2, residualCritical: 0,
            forecastHorizon: 900, forecastWindow: 1_800)
        return PolyvFixture(simulator: simulator, transport: AsyncHTTPTransport(), configuration: configuration)
    }

    /// A pipeline (a daemon's worth: a new runtime, so a new forecast memory) on the database in `folder`.
    static func harness(_ fixture: PolyvFixture, clock: ManualClock, in folder: TemporaryFolder? = nil) throws
        -> Harness
    {
        try Harness(fixture, in: folder) { fixture, _ in
            MonitorRuntime.make(.polyv(fixture.configuration), transport: fixture.transport, clock: { clock.now() })
        }
    }

    /// Streams in use at `minute`: 2, 2, 3, 3, 4, ... one more every 2 minutes.
    static func used(at minute: Int) -> Int { 2 + minute / 2 }

    /// Sets the count of `minute`, moves the clock there and polls once.
    static func poll(_ harness: Harness, clock: ManualClock, minute: Int) async {
        harness.fixture.simulator.polyv.setUsed(appID: PolyvFixture.appID, used: used(at: minute))
        clock.advance(by: origin.addingTimeInterval(Double(minute * 60)).timeIntervalSince(clock.now()))
        #expect(await harness.poll().succeeded, "the poll of minute \(minute) failed")
    }

    static let origin = Date(timeIntervalSince1970: 1_800_000_000)

    /// (minute, state) of each line of `rule`; minutes counted from the clock's start.
    static func lines(_ harness: Harness, _ rule: String) -> [(minute: Int, state: String, line: [String: Any])] {
        harness.lines(rule: rule).compactMap { line in
            guard let time = line["time"] as? String, let date = ISO8601DateFormatter().date(from: time),
                let state = line["state"] as? String
            else { return nil }
            return (Int(date.timeIntervalSince(origin) / 60), state, line)
        }
    }

    @Test func theForecastFiresBeforeTheExhaustionWhichThenTakesOver() async throws {
        let clock = ManualClock(start: Self.origin)
        let fixture = try await Self.start(clock: clock)
        try await withHarness({ try Self.harness(fixture, clock: clock) }) { harness async throws in
            for minute in 0...13 { await Self.poll(harness, clock: clock, minute: minute) }

            let forecast = Self.lines(harness, "mr_concurrency_forecast")
            let exhausted = Self.lines(harness, "mr_concurrency_exhausted")
            #expect(forecast.map(\.state) == ["firing", "resolved"])
            #expect(exhausted.map(\.state) == ["firing"])
            // The fifth poll (minute 4: 4 of 10, one more every 2 minutes) sees the total 12 minutes away.
            #expect(forecast.first?.minute == 4)
            #expect(
                forecast.first?.line["message"] as? String
                    == "Polyv MR concurrency runs out in about 12m at the current trend: +1 stream every 2m (4 of 10 in use)"
            )
            #expect(forecast.first?.line["severity"] as? String == "warning")
            #expect(forecast.first?.line["subject"] as? String == "polyv-main")
            #expect(forecast.first?.line["threshold"] as? Int == 900)
            #expect(forecast.first?.line["value"] as? Int == 744)
            // Minute 12: 8 in use, residual 2: the exhaustion fires, and in the same poll the forecast resolves.
            #expect(exhausted.first?.minute == 12)
            #expect(forecast.last?.minute == 12)
            #expect(
                (forecast.last?.line["message"] as? String)?.hasPrefix(
                    "Polyv MR concurrency forecast superseded: mr_concurrency_exhausted fires (fired for 8m)") == true)
            let rules = harness.lines().compactMap { $0["rule"] as? String }
            #expect(rules == ["mr_concurrency_forecast", "mr_concurrency_exhausted", "mr_concurrency_forecast"])
            // One episode in `alerts`, from minute 4 to minute 12.
            let episodes = try harness.rows(
                "SELECT started_at, resolved_at, state, severity FROM alerts WHERE rule = 'mr_concurrency_forecast'")
            #expect(episodes.count == 1)
            #expect(episodes.first?.int64("resolved_at").map { $0 - (episodes.first?.int64("started_at") ?? 0) } == 480)
            #expect(episodes.first?.string("severity") == "warning")
            harness.store.close()
            for (place, text) in harness.writtenText() {
                #expect(!text.contains(PolyvFixture.secret), "the app secret reached \(place)")
            }
        }
    }

    @Test func aRestartGoesOnWithTheSameEpisodeAndTheSameTrend() async throws {
        let clock = ManualClock(start: Self.origin)
        let fixture = try await Self.start(clock: clock)
        let first = try Self.harness(fixture, clock: clock)
        for minute in 0...6 { await Self.poll(first, clock: clock, minute: minute) }
        #expect(Self.lines(first, "mr_concurrency_forecast").map(\.state) == ["firing"])
        first.store.close()

        // A new daemon on the same files: its forecast memory starts empty and is read from `mr_concurrency`.
        try await withHarness({ try Self.harness(fixture, clock: clock, in: first.folder) }) { second async throws in
            await Self.poll(second, clock: clock, minute: 7)
            // The trend over minutes 0-7 is what the episode now holds: the restart read the 7 stored polls.
            let samples = (0...7).map {
                ConcurrencySample(
                    observedAt: Int64(Self.origin.timeIntervalSince1970) + Int64($0 * 60), total: 10,
                    used: Self.used(at: $0))
            }
            guard
                case .firing(_, let message, let value, _) = ConcurrencyForecast.condition(
                    for: samples, horizon: 900, open: true)
            else {
                Issue.record("the trend of minutes 0-7 does not fire")
                return
            }
            let stored = try second.rows(
                "SELECT last_value, message FROM alerts WHERE rule = 'mr_concurrency_forecast' AND state = 'firing'")
            #expect(stored.count == 1)
            #expect(stored.first?.double("last_value") == value)
            #expect(stored.first?.string("message") == message)
            for minute in 8...10 { await Self.poll(second, clock: clock, minute: minute) }
            // Still one firing line: the restart did not fire it again.
            #expect(Self.lines(second, "mr_concurrency_forecast").map(\.state) == ["firing"])
            #expect(try second.count("SELECT count(*) FROM alerts WHERE rule = 'mr_concurrency_forecast'") == 1)
        }
    }

    @Test func theWindowIsReadFromTheIndexedSamplesOfOneMonitor() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("window.db"))
        defer { store.close() }
        let samples = try store.writeSynchronously { database in
            for (monitor, second, used) in [("a", 0, 1), ("a", 100, 2), ("b", 150, 9), ("a", 200, 3), ("a", 200, 4)] {
                try ObservationWriter.insertObservation(
                    .mrConcurrency(MRConcurrency(total: 10, used: used, residual: 10 - used, channelIDs: [])),
                    monitor: monitor, at: Date(timeIntervalSince1970: Double(1_800_000_000 + second)), in: database)
            }
            let plan = try database.query(
                "EXPLAIN QUERY PLAN SELECT observed_at, total, used FROM mr_concurrency WHERE monitor = 'a' AND observed_at >= 5 ORDER BY observed_at DESC, rowid DESC LIMIT 9"
            ).map { $0.string("detail") ?? "" }
            #expect(plan.contains { $0.contains("USING INDEX mr_concurrency_by_monitor_time") }, "\(plan)")
            return (
                all: try ObservationReader.concurrencySamples(monitor: "a", since: 1_800_000_000, in: database),
                window: try ObservationReader.concurrencySamples(monitor: "a", since: 1_800_000_100, in: database),
                newest: try ObservationReader.concurrencySamples(
                    monitor: "a", since: 1_800_000_000, limit: 2, in: database)
            )
        }
        #expect(samples.all.map(\.used) == [1, 2, 3, 4])
        #expect(samples.window.map(\.used) == [2, 3, 4])
        #expect(samples.newest.map(\.used) == [3, 4])
        #expect(samples.all.first == ConcurrencySample(observedAt: 1_800_000_000, total: 10, used: 1))
    }
}
