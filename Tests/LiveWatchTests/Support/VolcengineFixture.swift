import Foundation
import Synchronization
import VendorSimulator

@testable import LiveWatch

/// A running simulator with a Volcengine account and some activities, a real
/// transport and a monitor configuration pointing at it.
struct VolcengineFixture {
    static let accessKey = "AKLTdm9sY3Rlc3RhY2Nlc3NrZXk"
    static let secretKey = "volc-test-secret-WkdGMFlYTmxZM0psZEE9PQ=="
    static let activities: [Int64] = [1_776_000_089_138, 1_776_000_089_139, 1_776_000_089_140]

    let simulator: VendorSimulator
    let transport: AsyncHTTPTransport
    let configuration: VolcengineMonitorConfiguration

    var volcengine: VolcengineSimulation { simulator.volcengine }

    static func start(
        activities: [Int64] = VolcengineFixture.activities, restrictions: Bool = true, links: Bool = true,
        guests: [String] = [], secretKey: String = VolcengineFixture.secretKey, timeout: Double = 10,
        linkExpiryWarning: Double = 7_200, linkExpiresIn: Double = 86_400,
        simulatorClock: @escaping @Sendable () -> Date = Date.init
    ) async throws -> VolcengineFixture {
        let simulator = VendorSimulator(clock: simulatorClock)
        try await simulator.start()
        simulator.volcengine.addAccount(accessKey: accessKey, secretKey: Self.secretKey)
        for activity in activities {
            simulator.volcengine.addActivity(activity, linkExpiresIn: linkExpiresIn)
        }
        let endpoint = try require(URL(string: simulator.baseURL))
        let configuration = VolcengineMonitorConfiguration(
            name: "volc-events", accessKey: Secret(accessKey), secretKey: Secret(secretKey), endpoint: endpoint,
            activityIDs: activities, viewingRestrictions: restrictions, liveClientLinks: links, guestNames: guests,
            linkExpiryWarning: linkExpiryWarning, poll: PollSettings(interval: 1, timeout: timeout, jitter: 0))
        return VolcengineFixture(simulator: simulator, transport: AsyncHTTPTransport(), configuration: configuration)
    }

    func monitor(clock: @escaping @Sendable () -> Date = Date.init) -> VolcengineMonitor {
        VolcengineMonitor(configuration: configuration, transport: transport, clock: clock)
    }

    func client() -> VolcengineClient {
        VolcengineClient(configuration: configuration, transport: transport)
    }

    func stop() async {
        await transport.shutdown()
        await simulator.shutdown()
    }
}

/// A transport that notes when each request starts (by its `Action`) before
/// handing it to the real one: the moments the rate limiters control.
final class RecordingTransport: HTTPTransport {
    let inner: any HTTPTransport
    private let started = Mutex<[(action: String, at: Date)]>([])

    init(_ inner: any HTTPTransport) { self.inner = inner }

    func perform(_ request: OutgoingRequest) async throws(HTTPTransportError) -> IncomingResponse {
        let action = URLComponents(string: request.url)?.queryItems?.first { $0.name == "Action" }?.value ?? ""
        started.withLock { $0.append((action, Date())) }
        return try await inner.perform(request)
    }

    /// When each request of `action` started, oldest first.
    func starts(of action: String) -> [Date] {
        started.withLock { $0.filter { $0.action == action }.map(\.at) }
    }
}

extension VolcengineFixture: ServerFixture {}
