import Foundation
import LiveWatch
import VendorSimulator

/// The Volcengine part of `livewatch demo`: one live room whose viewing
/// restriction drifts and whose start links expire and change.
struct VolcengineDemo {
    static let activity: Int64 = 1_776_000_089_138

    /// The `volcengine:` section of the demo configuration.
    let yaml: String
    /// What to say before the story starts.
    let introduction: String
    /// Story steps: (fraction of the demo, what happens, the simulator change).
    let story: [(Double, String, @Sendable () -> Void)]
    /// `sqlite3` commands for the end of the demo.
    let lookAround: [String]

    /// Configures the simulator's Volcengine account and writes the credentials to `folder`.
    static func configure(_ simulator: VendorSimulator, folder: String, database: String) throws -> VolcengineDemo {
        let accessKey = "AKLTdemo" + VolcengineSimulation.randomToken().prefix(20)
        let secretKey = VolcengineSimulation.randomToken()
        let volcengine = simulator.volcengine
        volcengine.addAccount(accessKey: accessKey, secretKey: secretKey)
        volcengine.addActivity(activity, restrictions: [.sample(type: 1), .sample(type: 2)])
        for (name, value) in [("volc.ak", accessKey), ("volc.sk", secretKey)] {
            let path = folder + "/" + name
            try Data(value.utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        }
        let yaml = """
            volcengine:
              - name: volc-demo
                access_key: { file: \(folder)/volc.ak }
                secret_key: { file: \(folder)/volc.sk }
                endpoint: \(simulator.baseURL)
                activity_ids: [\(activity)]
                viewing_restrictions: true
                live_client_links: true
                guest_names: [嘉宾A]
                link_expiry_warning: 2h

            """
        let story: [(Double, String, @Sendable () -> Void)] = [
            (
                0.20, "Volcengine: someone rotates live room \(activity)'s viewing-restriction SecretKey",
                { volcengine.rotateRestrictionSecret(activityID: activity) }
            ),
            (
                0.35, "Volcengine: the host's temporary start link now expires in 30 minutes",
                { volcengine.renewTemporaryLink(activityID: activity, expiresIn: 1_800) }
            ),
            (
                0.50, "Volcengine: a fresh temporary start link, valid for a day",
                { volcengine.renewTemporaryLink(activityID: activity, expiresIn: 86_400) }
            ),
            (
                0.70, "Volcengine: the host's permanent start link is regenerated",
                { volcengine.regenerateHostLink(activityID: activity) }
            ),
        ]
        return VolcengineDemo(
            yaml: yaml,
            introduction:
                "Volcengine live room \(activity): two viewing restrictions, a host link and guest 嘉宾A's link, watched every second.",
            story: story,
            lookAround: [
                "sqlite3 \(database) '\(SampleQueries.latestRestrictions)'",
                "sqlite3 \(database) '\(SampleQueries.latestLinks)'",
            ])
    }
}
