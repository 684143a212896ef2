import Foundation
@testable import LiveWatch

/// A folder with a configuration for the built binary (one Polyv monitor against `endpoint`) and its database path.
struct CommandSetup {
    let folder: TemporaryFolder
    let configPath: String
    var databasePath: String { folder.file("livewatch.db") }

    init(endpoint: String = "http://127.0.0.1:9", interval: String = "1s") throws {
        folder = try TemporaryFolder()
        let secretPath = folder.file("polyv-secret")
        try Data(PolyvFixture.secret.utf8).write(to: URL(fileURLWithPath: secretPath))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secretPath)
        configPath = folder.file("livewatch.yaml")
        try Data("""
            daemon:
              database: \(folder.file("livewatch.db"))
              alert_log: \(folder.file("alerts.log"))
            defaults:
              interval: \(interval)
              jitter: 0%
            polyv:
              - name: polyv-main
                app_id: \(PolyvFixture.appID)
                app_secret: { file: \(secretPath) }
                endpoint: \(endpoint)
            """.utf8).write(to: URL(fileURLWithPath: configPath))
    }
}
