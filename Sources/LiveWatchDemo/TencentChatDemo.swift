import Foundation
import LiveWatch
import VendorSimulator

/// The demo's Tencent Cloud Chat part: a Chat application whose live room
/// list the daemon crawls every second, then grows, then gets a cursor that
/// never ends (the crawl fails, nothing half-done is stored) and recovers.
struct TencentChatDemo {
    /// The monitor's YAML section.
    let yaml: String
    /// Story steps: (fraction of the demo's length, what happens, the simulator action).
    let story: [(Double, String, @Sendable () -> Void)]
    /// The introduction line.
    let introduction: String
    /// Commands to look at what was stored.
    let lookAround: [String]

    static func make(simulator: VendorSimulator, folder: String, database: String) throws -> TencentChatDemo {
        let sdkAppID: UInt64 = 1_400_000_000
        let administrator = "administrator"
        let secretKey = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let tencent = simulator.tencentChat
        tencent.addApplication(sdkAppID: sdkAppID, secretKey: secretKey, administrator: administrator)
        tencent.setRooms(count: 150)
        tencent.setRateLimit(20)
        let keyPath = folder + "/tim.key"
        try Data(secretKey.utf8).write(to: URL(fileURLWithPath: keyPath))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyPath)
        let yaml = """
            tencent_chat:
              - name: tim-demo
                sdk_app_id: \(sdkAppID)
                identifier: \(administrator)
                secret_key: { file: \(keyPath) }
                endpoint: \(simulator.baseURL)
                page_size: 20
                rate_limit: 20
                max_pages: 30
                crawl_budget: 10s

            """
        return TencentChatDemo(
            yaml: yaml,
            story: [
                (0.20, "Tencent Chat: 60 more live rooms open (210)", { tencent.addRooms(count: 60) }),
                (0.35, "Tencent Chat: the room list cursor never ends", { tencent.setCursorBehaviour(.endless) }),
                (0.55, "Tencent Chat: the cursor ends again", { tencent.setCursorBehaviour(.normal) }),
            ],
            introduction:
                "Tencent Chat app \(sdkAppID): 150 live rooms, crawled every second at 20 requests/s, 20 rooms a page.",
            lookAround: [
                "sqlite3 \(database) '\(SampleQueries.topRooms)'",
                "sqlite3 \(database) \"\(SampleQueries.tencentChatPolls)\"",
            ])
    }
}

extension Array where Element == (Double, String, @Sendable () -> Void) {
    /// Both stories in one, in time order.
    func merging(_ other: Self) -> Self {
        (self + other).sorted { $0.0 < $1.0 }
    }
}
