import Foundation
import VendorSimulator

/// The Huawei MetaStudio part of `livewatch demo`: a project with three live
/// platforms, one of whose authorizations is about to expire.
enum MetaStudioDemo {
    /// What the demo adds: its YAML section, an introduction line, story steps (fraction of the run, what happens, the change).
    struct Part {
        var yaml: String
        var introduction: String
        var story: [(Double, String, @Sendable () -> Void)]
    }

    static let projectID = "0123456789abcdef0123456789abcdef"

    /// Configures the simulator's MetaStudio project and writes the AK/SK files (mode 0600) into `folder`.
    static func prepare(simulator: VendorSimulator, folder: String) throws -> Part {
        let accessKey = "HPUADEMO" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).uppercased()
        let secretKey = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let metaStudio = simulator.metaStudio
        metaStudio.addAccessKey(accessKey, secretKey: secretKey)
        let project = projectID
        metaStudio.addProject(
            project,
            platforms: [
                .init(
                    id: "meituan-01", name: "Meituan flagship store", accessType: "MEITUAN_OFFICIAL",
                    expiresIn: 45 * 86_400,
                    account: "op-biz-8801"),
                .init(
                    id: "brand-live", name: "Brand live shop", expiresIn: 5 * 86_400,
                    timeFormat: .dateTime(TimeZone(identifier: "UTC") ?? .current),
                    authKey: UUID().uuidString,
                    callbacks: [
                        .init(apiType: "LIVE_EVENT_CALLBACK", url: "https://shop.example.com/metastudio/events")
                    ]),
                .init(id: "outlet-02", name: "Outlet channel", expiresIn: 200 * 86_400, timeFormat: .unixMilliseconds),
            ])
        var paths: [String] = []
        for (name, value) in [("huawei.ak", accessKey), ("huawei.sk", secretKey)] {
            let path = folder + "/" + name
            try Data(value.utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            paths.append(path)
        }
        let yaml = """
            metastudio:
              - name: metastudio-demo
                project_id: \(project)
                endpoint: \(simulator.baseURL)
                access_key: { file: \(paths[0]) }
                secret_key: { file: \(paths[1]) }
                expiry_warning: 7d
                expiry_critical: 1d

            """
        let story: [(Double, String, @Sendable () -> Void)] = [
            (
                0.20, "MetaStudio: Brand live shop's authorization now ends in 10 hours",
                {
                    metaStudio.update("brand-live", project: project) { $0.expiresIn = 10 * 3_600 }
                }
            ),
            (
                0.35, "MetaStudio: Meituan revokes the flagship store's authorization",
                {
                    metaStudio.update("meituan-01", project: project) { $0.state = "UNAUTHORIZED" }
                }
            ),
            (
                0.50, "MetaStudio: Brand live shop renewed for a year, its auth key rotated",
                {
                    metaStudio.update("brand-live", project: project) {
                        $0.expiresIn = 365 * 86_400
                        $0.authKey = UUID().uuidString
                    }
                }
            ),
            (
                0.70, "MetaStudio: the flagship store is authorized again",
                {
                    metaStudio.update("meituan-01", project: project) { $0.state = "AUTHORIZED" }
                }
            ),
        ]
        return Part(
            yaml: yaml,
            introduction:
                "MetaStudio project: 3 live platforms; Brand live shop's authorization expires in 5 days (AK/SK signed).",
            story: story)
    }
}
