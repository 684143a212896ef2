import Foundation
import Synchronization
import VendorSimulator

@testable import LiveWatch

/// A running simulator with one Tencent Cloud Chat application and its rooms,
/// a real transport and a monitor configuration pointing at it.
struct TencentChatFixture {
    static let sdkAppID: UInt64 = 1_400_000_000
    static let administrator = "administrator"
    static let secretKey = "tim-test-key-7c0f2b9e51d84a36b2e0c1f9a8d7e6c5"

    let simulator: VendorSimulator
    let transport: AsyncHTTPTransport
    let configuration: TencentChatMonitorConfiguration

    var tencent: TencentChatSimulation { simulator.tencentChat }

    /// - Parameters:
    ///   - rateLimit: the monitor's `rate_limit`; the simulator enforces `simulatorRateLimit` (default the same).
    ///   - secretKey: the key the monitor signs with (the simulator always knows `TencentChatFixture.secretKey`).
    static func start(
        rooms: Int, rateLimit: Int = 10, simulatorRateLimit: Int? = nil, pageSize: Int = 20, maxPages: Int = 5_000,
        crawlBudget: Double = 30, timeout: Double = 2, secretKey: String = TencentChatFixture.secretKey,
        clock: @escaping @Sendable () -> Date = Date.init
    ) async throws -> TencentChatFixture {
        let simulator = VendorSimulator(clock: clock)
        try await simulator.start()
        simulator.tencentChat.addApplication(
            sdkAppID: sdkAppID, secretKey: Self.secretKey, administrator: administrator)
        simulator.tencentChat.setRooms(count: rooms)
        simulator.tencentChat.setRateLimit(simulatorRateLimit ?? rateLimit)
        let endpoint = try require(URL(string: simulator.baseURL))
        let configuration = TencentChatMonitorConfiguration(
            name: "tim-main", sdkAppID: sdkAppID, identifier: administrator, secretKey: Secret(secretKey),
            endpoint: endpoint,
            pageSize: pageSize, rateLimit: rateLimit, maxPages: maxPages, crawlBudget: crawlBudget,
            poll: PollSettings(interval: 1, timeout: timeout, jitter: 0))
        return TencentChatFixture(simulator: simulator, transport: AsyncHTTPTransport(), configuration: configuration)
    }

    /// Short retry waits, so storms end within a test's budget quickly.
    static let fastRetry = TencentChatRetryPolicy(initialDelay: 0.05, maximumDelay: 0.4, minuteDelay: 0.5)

    func monitor(
        clock: @escaping @Sendable () -> Date = Date.init, retry: TencentChatRetryPolicy = TencentChatFixture.fastRetry,
        pacing: PacingClock = .system
    ) -> TencentChatMonitor {
        TencentChatMonitor(
            configuration: configuration, transport: transport, clock: clock, retry: retry, pacing: pacing)
    }

    func stop() async {
        await transport.shutdown()
        await simulator.shutdown()
    }
}

/// A clock a test sets and advances; reads are thread-safe.
final class SettableClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date()) { current = Mutex(start) }

    var now: @Sendable () -> Date { { self.current.withLock { $0 } } }

    func advance(by seconds: Double) { current.withLock { $0 += seconds } }

    func set(_ date: Date) { current.withLock { $0 = date } }
}

/// A pacing clock whose sleep only moves its own time forward: a crawl's budget, rate limit and retry
/// waits run on it without waiting for real, and every wait asked for is recorded.
final class VirtualPacing: Sendable {
    private let state = Mutex((now: 1_000.0, sleeps: [Double]()))

    var clock: PacingClock {
        PacingClock(
            now: { self.state.withLock { $0.now } },
            sleep: { seconds in
                self.state.withLock { state in
                    state.now += max(0, seconds)
                    state.sleeps.append(seconds)
                }
                try Task.checkCancellation()
            })
    }

    /// Every wait asked for, in order.
    var sleeps: [Double] { state.withLock { $0.sleeps } }

    /// The waits longer than `threshold` seconds (retry waits, not the rate limit's spacing).
    func sleeps(longerThan threshold: Double) -> [Double] { sleeps.filter { $0 > threshold } }
}

extension TencentChatFixture: ServerFixture {}

/// The real transport, with every request's timeout raised to at least `seconds`: for a test whose subject is
/// a budget kept on a virtual clock, where the budget left (also the request's timeout) is short in real time.
struct AtLeastTimeout: HTTPTransport {
    let transport: any HTTPTransport
    let seconds: Double

    init(_ transport: any HTTPTransport, seconds: Double) {
        self.transport = transport
        self.seconds = seconds
    }

    func perform(_ request: OutgoingRequest) async throws(HTTPTransportError) -> IncomingResponse {
        var request = request
        request.timeout = max(request.timeout, seconds)
        return try await transport.perform(request)
    }
}
