import Foundation
import Testing
import VendorSimulator

@testable import LiveWatch

#if canImport(Glibc)
    import Glibc
#endif

/// The `alertmanager` notifier against a real `prometheus-alertmanager` (Debian's package) on loopback:
/// real daemons on the real clock poll the Polyv simulator and post to Alertmanager, which notifies the
/// simulator's webhook receiver. Skipped where Alertmanager is not installed, unless `CI` is set.
@Suite(
    .serialized,
    .enabled(
        if: AlertmanagerServer.executable != nil || AlertmanagerServer.required,
        "prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)"))
struct AlertmanagerIntegrationTests {
    static let labels = [
        "alertname": "mr_concurrency_exhausted", "monitor": "polyv-main", "subject": "polyv-main",
        "severity": "critical",
    ]

    @Test func firingReachesTheReceiverWithTheAlertsIdentityAndResolutionEndsIt() async throws {
        try await withFixture({ try await AlertmanagerWorld.start() }) { world in
            try await world.withInstances(1) { instances in
                world.setResidual(0)
                let firing = try await world.waitForNotification(status: "firing")
                let alerts = try #require(firing["alerts"] as? [[String: Any]])
                #expect(alerts.count == 1)
                #expect(alerts.first?["status"] as? String == "firing")
                // The labels are the alert's identity, nothing about the instance that sent it.
                #expect(alerts.first?["labels"] as? [String: String] == Self.labels)
                let annotations = try #require(alerts.first?["annotations"] as? [String: String])
                #expect(annotations["summary"] == "Polyv MR concurrency exhausted: 0 of 5 left")
                #expect(annotations["value"] == "0" && annotations["threshold"] == "0")

                world.setResidual(4)
                let resolved = try await world.waitForNotification(status: "resolved")
                let ended = try #require((resolved["alerts"] as? [[String: Any]])?.first)
                #expect((resolved["alerts"] as? [Any])?.count == 1)
                #expect(ended["status"] as? String == "resolved")
                #expect(ended["labels"] as? [String: String] == Self.labels)
                let startsAt = try #require((ended["startsAt"] as? String).flatMap(AlertLine.parseRFC3339))
                let endsAt = try #require((ended["endsAt"] as? String).flatMap(AlertLine.parseRFC3339))
                #expect(endsAt >= startsAt)
                let resolutionLine = try #require(
                    alertLogLines(instances[0].alertLog).last { $0["state"] as? String == "resolved" })
                #expect(
                    (resolutionLine["time"] as? String).flatMap(AlertLine.parseRFC3339)?.timeIntervalSince1970.rounded(
                        .down) == endsAt.timeIntervalSince1970)
                #expect(world.notificationStatuses == ["firing", "resolved"])
            }
        }
    }

    @Test func twoInstancesWatchingTheSameAccountMakeOneNotification() async throws {
        try await withFixture({ try await AlertmanagerWorld.start() }) { world in
            try await world.withInstances(2) { instances in
                world.setResidual(0)
                // Both instances fired and posted their alert, and Alertmanager took both in.
                for instance in instances {
                    try await instance.waitForDelivery(.firing)
                    #expect(alertLogLines(instance.alertLog).map { $0["state"] as? String } == ["firing"])
                }
                try await world.alertmanager.waitForFlushes(2, afterReceiving: 2)
                #expect(world.notificationStatuses == ["firing"])
                let firing = try #require(world.notifications.first)
                let alerts = try #require(firing["alerts"] as? [[String: Any]])
                #expect(alerts.count == 1)
                #expect(alerts.first?["labels"] as? [String: String] == Self.labels)

                world.setResidual(4)
                for instance in instances { try await instance.waitForDelivery(.resolved) }
                _ = try await world.waitForNotification(status: "resolved")
                try await world.alertmanager.waitForFlushes(1, afterReceiving: 4)
                #expect(world.notificationStatuses == ["firing", "resolved"])
            }
        }
    }
}

/// One `prometheus-alertmanager` process on loopback with its own configuration, storage and log in a
/// temporary folder, its gossip listener off. `stop()` kills it (SIGTERM, then SIGKILL) and removes the folder.
struct AlertmanagerServer: ServerFixture {
    let process: Process
    let folder: TemporaryFolder
    let port: Int

    var url: String { "http://127.0.0.1:\(port)" }
    var logPath: String { folder.file("alertmanager.log") }

    /// The installed binary (Debian names it `prometheus-alertmanager`), if any.
    static let executable: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let directories = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        for name in ["prometheus-alertmanager", "alertmanager"] {
            for directory in directories where FileManager.default.isExecutableFile(atPath: directory + "/" + name) {
                return directory + "/" + name
            }
        }
        return nil
    }()

    /// CI installs Alertmanager (`.ci/run`): there, a missing binary is a failure, not a skip.
    static let required = ProcessInfo.processInfo.environment["CI"] != nil

    /// Starts Alertmanager routing every alert to `webhook`, grouped per alert, with a one-second
    /// `group_wait` and `group_interval`; waits (with a deadline) until it answers `/-/ready`.
    static func start(webhook: String, transport: AsyncHTTPTransport) async throws -> AlertmanagerServer {
        guard let executable else {
            throw RequireError(message: "CI is set but prometheus-alertmanager is not installed (see .ci/run)")
        }
        var lastError: any Error = WaitTimeout()
        // A free port is picked, then handed over; another process may take it in between: try again.
        for _ in 0..<3 {
            let folder = try TemporaryFolder()
            let configuration = """
                route:
                  receiver: test-webhook
                  group_by: [alertname, monitor, subject]
                  group_wait: 1s
                  group_interval: 1s
                  repeat_interval: 1h
                receivers:
                  - name: test-webhook
                    webhook_configs:
                      - url: \(webhook)
                        send_resolved: true
                """
            try Data(configuration.utf8).write(to: URL(fileURLWithPath: folder.file("alertmanager.yml")))
            let port = try freeLoopbackPort()
            guard FileManager.default.createFile(atPath: folder.file("alertmanager.log"), contents: nil) else {
                throw RequireError(message: "cannot create the Alertmanager log")
            }
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: folder.file("alertmanager.log")))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = [
                "--config.file=\(folder.file("alertmanager.yml"))", "--storage.path=\(folder.file("data"))",
                "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=", "--log.level=debug",
            ]
            process.standardOutput = log
            process.standardError = log
            try process.run()
            try? log.close()
            let server = AlertmanagerServer(process: process, folder: folder, port: port)
            do {
                try await server.waitUntilReady(transport: transport)
                return server
            } catch {
                lastError = error
                await server.stop()
            }
        }
        throw lastError
    }

    func waitUntilReady(transport: AsyncHTTPTransport, timeout: Double = 30) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard process.isRunning else { throw RequireError(message: "Alertmanager exited:\n\(logTail)") }
            let request = OutgoingRequest(method: "GET", url: url + "/-/ready", timeout: 1)
            if let response = try? await transport.perform(request), response.status == 200 { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw RequireError(message: "Alertmanager not ready within \(timeout) s:\n\(logTail)")
    }

    /// What Alertmanager logged so far.
    var log: String {
        String(decoding: FileManager.default.contents(atPath: logPath) ?? Data(), as: UTF8.self)
    }

    /// The last lines of the log, for a failure's message.
    var logTail: String { log.split(separator: "\n").suffix(30).joined(separator: "\n") }

    /// Waits until the dispatcher has received at least `received` alerts and, after the last of them,
    /// flushed the aggregation group `flushes` times. A group flushes every `group_interval` while it holds
    /// alerts, and notifies (or decides not to) within the flush, so two flushes after the last alert mean
    /// the first one's notification, if any, has been sent.
    func waitForFlushes(_ flushes: Int, afterReceiving received: Int, timeout: Double = 30) async throws {
        do {
            try await waitUntil(timeout: timeout, every: 0.05) {
                let lines = log.split(separator: "\n")
                let receipts = lines.indices.filter { lines[$0].contains("msg=\"Received alert\"") }
                guard receipts.count >= received, let last = receipts.last else { return false }
                return lines[(last + 1)...].filter { $0.contains("msg=flushing") }.count >= flushes
            }
        } catch is WaitTimeout {
            throw RequireError(
                message: "Alertmanager did not flush \(flushes) times after \(received) alerts:\n\(logTail)")
        }
    }

    func stop() async {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning, Date() < deadline { try? await Task.sleep(nanoseconds: 10_000_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            while process.isRunning { try? await Task.sleep(nanoseconds: 10_000_000) }
        }
        folder.remove()
    }
}

/// A port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, closed).
func freeLoopbackPort() throws -> Int {
    let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketDescriptor >= 0 else { throw RequireError(message: "socket() failed") }
    defer { close(socketDescriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
            bind(socketDescriptor, generic, length) == 0 && getsockname(socketDescriptor, generic, &length) == 0
        }
    }
    guard bound else { throw RequireError(message: "cannot bind a loopback port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// The Polyv simulator, a webhook receiver and Alertmanager notifying it.
struct AlertmanagerWorld: ServerFixture {
    static let appID = "frlr1zazn3"
    static let appSecret = "polyv-ha-secret-7c41"

    let polyv: VendorSimulator
    let receiverServer: VendorSimulator
    let receiver: NotificationReceiver
    let transport: AsyncHTTPTransport
    let alertmanager: AlertmanagerServer

    static func start() async throws -> AlertmanagerWorld {
        let transport = AsyncHTTPTransport()
        let polyv = VendorSimulator()
        let receiver = NotificationReceiver()
        let receiverServer = VendorSimulator()
        receiverServer.register(receiver)
        do {
            try await polyv.start()
            polyv.polyv.addApplication(appID: appID, secret: appSecret, total: 5, used: 2)
            let port = try await receiverServer.start()
            let alertmanager = try await AlertmanagerServer.start(
                webhook: receiver.url(.webhook, baseURL: "http://127.0.0.1:\(port)"), transport: transport)
            return AlertmanagerWorld(
                polyv: polyv, receiverServer: receiverServer, receiver: receiver, transport: transport,
                alertmanager: alertmanager)
        } catch {
            await receiverServer.shutdown()
            await polyv.shutdown()
            await transport.shutdown()
            throw error
        }
    }

    func setResidual(_ residual: Int) { polyv.polyv.setResidual(appID: Self.appID, residual: residual) }

    /// The webhook payloads Alertmanager sent, in arrival order.
    var notifications: [[String: Any]] {
        receiver.received(.webhook).filter(\.accepted).compactMap { $0.json as? [String: Any] }
    }

    var notificationStatuses: [String] { notifications.compactMap { $0["status"] as? String } }

    /// Waits for Alertmanager's first notification of `status`.
    func waitForNotification(status: String, timeout: Double = 30) async throws -> [String: Any] {
        do {
            try await waitUntil(timeout: timeout, every: 0.05) { notificationStatuses.contains(status) }
        } catch is WaitTimeout {
            throw RequireError(message: "no \(status) notification; Alertmanager's log:\n\(alertmanager.logTail)")
        }
        return try require(notifications.first { $0["status"] as? String == status })
    }

    /// Runs `count` daemons, each with its own database and alert log, all watching the same Polyv
    /// application every second and posting to Alertmanager; they are stopped before this returns.
    func withInstances<Result>(
        _ count: Int, _ body: ([AlertmanagerInstance]) async throws -> Result
    ) async throws -> Result {
        var instances: [AlertmanagerInstance] = []
        func stopAll() async {
            for instance in instances { await instance.stop() }
        }
        let result: Result
        do {
            for _ in 0..<count { instances.append(try AlertmanagerInstance.start(world: self)) }
            for instance in instances { try await instance.polls.waitForFinishedPolls(1, timeout: 30) }
            result = try await body(instances)
        } catch {
            await stopAll()
            throw error
        }
        await stopAll()
        return result
    }

    func stop() async {
        await alertmanager.stop()
        await receiverServer.shutdown()
        await polyv.shutdown()
        await transport.shutdown()
    }
}

/// One livewatch daemon of the pair: its own folder, database and alert log, the real clock and HTTP client.
struct AlertmanagerInstance {
    let folder: TemporaryFolder
    let polls: EventRecorder
    let notifications: NotificationEventRecorder
    let control: AsyncStream<DaemonSignal>.Continuation
    let task: Task<Void, any Error>

    var alertLog: String { folder.file("alerts.log") }

    static func start(world: AlertmanagerWorld) throws -> AlertmanagerInstance {
        let folder = try TemporaryFolder()
        let yaml = """
            daemon:
              database: \(folder.file("livewatch.db"))
              alert_log: \(folder.file("alerts.log"))
              shutdown_timeout: 2s
            defaults:
              interval: 1s
              jitter: 0%
            polyv:
              - name: polyv-main
                app_id: \(AlertmanagerWorld.appID)
                app_secret: { env: POLYV_SECRET }
                endpoint: \(world.polyv.baseURL)
            notifiers:
              - name: fleet-alertmanager
                type: alertmanager
                url: \(world.alertmanager.url)
                resend_interval: 10m
            """
        let configuration = try ConfigurationLoader(environment: ["POLYV_SECRET": AlertmanagerWorld.appSecret]).parse(
            yaml)
        let polls = EventRecorder()
        let notifications = NotificationEventRecorder()
        let daemon = Daemon(
            configuration: configuration, logger: CapturedLog().logger, random: { 0 }, observer: polls.observer,
            notificationObserver: notifications.observer)
        let (signals, control) = AsyncStream<DaemonSignal>.makeStream()
        let task = Task { try await daemon.run(signals: signals) }
        return AlertmanagerInstance(
            folder: folder, polls: polls, notifications: notifications, control: control, task: task)
    }

    /// Waits until this instance's notifier delivered a line of `state` to Alertmanager (a 2xx answer).
    func waitForDelivery(_ state: AlertLine.State, timeout: Double = 30) async throws {
        try await notifications.wait(timeout: timeout) { events in
            events.contains { event in
                if case .delivered(_, let delivered, _, _, _) = event { return delivered == state }
                return false
            }
        }
    }

    func stop() async {
        control.yield(.stop)
        _ = try? await task.value
        folder.remove()
    }
}
