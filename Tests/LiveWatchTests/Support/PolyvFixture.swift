import Foundation
import Logging
import VendorSimulator

@testable import LiveWatch

/// A running simulator with one Polyv application, a real transport and a
/// monitor configuration pointing at it.
struct PolyvFixture {
    static let appID = "frlr1zazn3"
    static let secret = "polyv-test-secret-9f2c1e"

    let simulator: VendorSimulator
    let transport: AsyncHTTPTransport
    let configuration: PolyvMonitorConfiguration

    static func start(
        total: Int = 5, used: Int = 2, secret: String = PolyvFixture.secret, timeout: Double = 10,
        maximumBodyBytes: Int = 8 << 20
    ) async throws -> PolyvFixture {
        let simulator = VendorSimulator()
        try await simulator.start()
        simulator.polyv.addApplication(appID: appID, secret: Self.secret, total: total, used: used)
        let endpoint = try require(URL(string: simulator.baseURL))
        let configuration = PolyvMonitorConfiguration(
            name: "polyv-main", appID: appID, appSecret: Secret(secret), endpoint: endpoint,
            poll: PollSettings(interval: 1, timeout: timeout, jitter: 0), residualWarning: 2, residualCritical: 0,
            // Off: these tests poll on the real clock, where a loaded machine spaces five polls unevenly enough for
            // a 15-minute trend fitted to seconds to fire. The forecast's own tests run on a manual clock.
            forecastHorizon: 0)
        return PolyvFixture(
            simulator: simulator, transport: AsyncHTTPTransport(maximumBodyBytes: maximumBodyBytes),
            configuration: configuration)
    }

    func monitor(clock: @escaping @Sendable () -> Date = Date.init) -> PolyvMonitor {
        PolyvMonitor(configuration: configuration, transport: transport, clock: clock)
    }

    func stop() async {
        await transport.shutdown()
        await simulator.shutdown()
    }
}

/// `#require` for tests outside a `@Test` body.
func require<T>(_ value: T?, _ message: String = "required value missing") throws -> T {
    guard let value else { throw RequireError(message: message) }
    return value
}

struct RequireError: Error { let message: String }

extension PolyvFixture: ServerFixture {}
