import Foundation
import Logging
import Synchronization
import VendorSimulator

@testable import LiveWatch

/// A running simulator with one MetaStudio project that accepts one AK/SK pair
/// and one IAM token, a real transport, and a monitor configuration pointing at it.
struct MetaStudioFixture {
    static let projectID = "0123456789abcdef0123456789abcdef"
    static let accessKey = "HPUATESTACCESSKEY00042"
    static let secretKey = "metastudio-test-sk-7d1f0c9a2b4e"
    static let token = "MIIT-test-iam-token-5a8e2f91c0"

    enum Mode {
        case accessKey(secretKey: String = MetaStudioFixture.secretKey, accessKey: String = MetaStudioFixture.accessKey)
        case token(String = MetaStudioFixture.token)
    }

    let simulator: VendorSimulator
    let transport: AsyncHTTPTransport
    let configuration: MetaStudioMonitorConfiguration

    var metaStudio: MetaStudioSimulation { simulator.metaStudio }

    static func start(
        _ mode: Mode = .accessKey(), platforms: Int = 0, timeout: Double = 10, maxPages: Int = 100,
        accessType: String? = nil, timeZone: String = "UTC", expiryWarning: Double = 7 * 86_400,
        expiryCritical: Double = 86_400, simulatorClock: @escaping @Sendable () -> Date = Date.init
    ) async throws -> MetaStudioFixture {
        let simulator = VendorSimulator(clock: simulatorClock)
        try await simulator.start()
        simulator.metaStudio.addProject(projectID)
        simulator.metaStudio.addAccessKey(accessKey, secretKey: secretKey)
        simulator.metaStudio.addToken(token)
        simulator.metaStudio.addPlatforms(count: platforms, project: projectID)
        let endpoint = try require(URL(string: simulator.baseURL))
        let authentication: MetaStudioMonitorConfiguration.Authentication
        switch mode {
        case .accessKey(let secretKey, let accessKey):
            authentication = .accessKey(accessKey: Secret(accessKey), secretKey: Secret(secretKey))
        case .token(let token):
            authentication = .token(Secret(token))
        }
        let configuration = MetaStudioMonitorConfiguration(
            name: "metastudio-cn4", projectID: projectID, endpoint: endpoint, authentication: authentication,
            accessType: accessType, expiryWarning: expiryWarning, expiryCritical: expiryCritical,
            timeZone: try require(TimeZone(identifier: timeZone)), maxPages: maxPages,
            poll: PollSettings(interval: 60, timeout: timeout, jitter: 0))
        return MetaStudioFixture(simulator: simulator, transport: AsyncHTTPTransport(), configuration: configuration)
    }

    func monitor(
        clock: @escaping @Sendable () -> Date = Date.init, sleeps: SleepRecorder = SleepRecorder(),
        logger: Logger = Logger(label: "test")
    ) -> MetaStudioMonitor {
        MetaStudioMonitor(
            configuration: configuration, transport: transport, clock: clock, sleep: { sleeps.record($0) },
            logger: logger)
    }

    func stop() async {
        await transport.shutdown()
        await simulator.shutdown()
    }
}

/// Records the pauses a monitor asked for instead of sleeping.
final class SleepRecorder: Sendable {
    private let pauses = Mutex<[Double]>([])

    func record(_ seconds: Double) { pauses.withLock { $0.append(seconds) } }

    var all: [Double] { pauses.withLock { $0 } }
}

extension MetaStudioFixture: ServerFixture {}
