import Foundation
import Testing
import VendorSimulator

@testable import LiveWatch

/// `livewatch poll`, run as the built binary against a simulator started here.
@Suite struct PollCommandTests {
    /// Tencent Chat is down (HTTP 500, ErrorCode 100001 on every request): `livewatch poll` retries the page
    /// with the production waits only within the monitor's 1 s timeout, reports the vendor's code and exits 1,
    /// instead of retrying for the whole 600 s crawl budget.
    @Test func aTencentOutageFailsThePollPromptlyWithTheVendorsCode() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let simulator = VendorSimulator()
        try await simulator.start()
        simulator.tencentChat.addApplication(
            sdkAppID: TencentChatFixture.sdkAppID, secretKey: TencentChatFixture.secretKey,
            administrator: TencentChatFixture.administrator)
        simulator.tencentChat.setRooms(count: 50)
        // The vendor's ErrorInfo carries a terminal escape: the summary shows it, never sends it.
        simulator.tencentChat.setStanding(.errorWithStatus(status: 500, code: 100001, info: "internal \u{1B}[31merror"))
        let keyPath = try folder.writeSecret("tim-key", TencentChatFixture.secretKey)
        let configPath = try folder.writeConfiguration(
            """
            tencent_chat:
              - name: tim-down
                sdk_app_id: \(TencentChatFixture.sdkAppID)
                identifier: \(TencentChatFixture.administrator)
                secret_key: { file: \(keyPath) }
                endpoint: \(simulator.baseURL)
                timeout: 1s
            """)

        // runLivewatch gives up after 30 s: a crawl retrying for its 600 s budget fails this test.
        let run = try await runLivewatch(["poll", "--config", configPath, "--log-level", "error"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.hasPrefix("tim-down\tFAILED\t"), "\(run.stdout)")
        #expect(
            run.stdout.contains(
                "vendor error 100001: Tencent Chat error 100001 on page 1: internal \\u{1B}[31merror; refused 2 time(s)"
            ), "\(run.stdout)")
        #expect(!run.stdout.unicodeScalars.contains("\u{1B}"), "\(run.stdout)")
        // The first request and one retry after 1 s: a second retry would wait past the 1 s timeout.
        #expect(simulator.tencentChat.counters.requests == 2)
        #expect(
            !run.stdout.contains(TencentChatFixture.secretKey) && !run.stderr.contains(TencentChatFixture.secretKey))
        await simulator.shutdown()
    }
}
