import Foundation
import Testing
import VendorSimulator

@testable import LiveWatch

/// Notifications end to end: the real daemon, the Polyv simulator, a receiver on
/// loopback, a real SQLite file and alert log; every timer (polls and the sender's
/// backoff) on one `ManualClock`.
@Suite(.serialized) struct NotificationDaemonTests {
    static let appID = "frlr1zazn3"
    static let appSecret = "polyv-notify-secret-5d1e"

    final class World: Sendable {
        let clock = ManualClock(start: Date())
        let folder: TemporaryFolder
        let polyv: VendorSimulator
        let transport = AsyncHTTPTransport()
        let receiver: NotificationReceiver
        let receiverServer = SendableBox<VendorSimulator?>(nil)
        let receiverPort = SendableBox(0)

        init(dingTalkSecret: String? = nil) async throws {
            folder = try TemporaryFolder()
            let clock = self.clock
            polyv = VendorSimulator(clock: { clock.now() })
            try await polyv.start()
            polyv.polyv.addApplication(appID: Self.appID, secret: Self.appSecret, total: 5, used: 2)
            receiver = NotificationReceiver(
                token: "dt-token-0a1b2c3d4e5f6789", dingTalkSecret: dingTalkSecret, clock: { clock.now() })
            try await receiverUp()
        }

        static var appID: String { NotificationDaemonTests.appID }
        static var appSecret: String { NotificationDaemonTests.appSecret }

        func receiverUp() async throws {
            let server = VendorSimulator()
            server.register(receiver)
            let port = try await server.start(port: receiverPort.value)
            receiver.setDown(false)
            receiverPort.mutate { $0 = port }
            receiverServer.mutate { $0 = server }
        }

        func receiverDown() async {
            receiver.setDown(true)
            await receiverServer.value?.shutdown()
        }

        func setResidual(_ residual: Int) { polyv.polyv.setResidual(appID: Self.appID, residual: residual) }

        var alertLog: String { folder.file("alerts.log") }

        func yaml(notifier: String) -> String {
            """
            daemon:
              database: \(folder.file("livewatch.db"))
              alert_log: \(alertLog)
              shutdown_timeout: 2s
            defaults:
              interval: 10s
              jitter: 0%
            polyv:
              - name: polyv-main
                app_id: \(Self.appID)
                app_secret: { env: POLYV_SECRET }
                endpoint: \(polyv.baseURL)
            notifiers:
            \(notifier)
            """
        }

        func webhookNotifier(timeout: String = "500ms") -> String {
            """
              - name: ops-webhook
                type: webhook
                url: \(receiver.url(.webhook, baseURL: "http://127.0.0.1:\(receiverPort.value)"))
                timeout: \(timeout)
            """
        }

        func configuration(_ text: String, environment: [String: String] = [:]) throws -> Configuration {
            try ConfigurationLoader(environment: ["POLYV_SECRET": Self.appSecret].merging(environment) { $1 }).parse(
                text)
        }

        func finish() async {
            let violations = receiver.violations
            if !violations.isEmpty { Issue.record("the services' limits were broken: \(violations)") }
            await receiverDown()
            await polyv.shutdown()
            await transport.shutdown()
            folder.remove()
        }
    }

    /// One running daemon and what it reports.
    struct Running {
        let task: Task<Void, any Error>
        let control: AsyncStream<DaemonSignal>.Continuation
        let polls: EventRecorder
        let notifications: NotificationEventRecorder
        let log: CapturedLog
        let clock: ManualClock

        static func start(
            _ configuration: Configuration, world: World, reload: (@Sendable () throws -> Configuration)? = nil
        ) async throws -> Running {
            let polls = EventRecorder()
            let notifications = NotificationEventRecorder()
            let log = CapturedLog()
            let daemon = Daemon(
                configuration: configuration, logger: log.logger, clock: world.clock, transport: world.transport,
                reloadConfiguration: reload, random: { 0 }, observer: polls.observer,
                notificationObserver: notifications.observer)
            let (signals, control) = AsyncStream<DaemonSignal>.makeStream()
            let task = Task { try await daemon.run(signals: signals) }
            let running = Running(
                task: task, control: control, polls: polls, notifications: notifications, log: log, clock: world.clock)
            // Started: the first poll is armed at once.
            try await polls.wait { _ in !world.clock.pendingDelays.isEmpty }
            try await running.settle()
            return running
        }

        var pollStarts: [Date] {
            polls.all.compactMap { if case .pollStarted(_, let at) = $0 { return at } else { return nil } }
        }

        /// Fires what is due now and waits until no poll and no sender pass is running.
        func settle() async throws {
            for _ in 0..<100 {
                if let first = clock.pendingDelays.first, first <= 0 { clock.advance(by: 0) }
                try await polls.wait { events in
                    let started = events.filter { if case .pollStarted = $0 { return true } else { return false } }
                        .count
                    return started
                        == events.filter { if case .pollFinished = $0 { return true } else { return false } }.count
                }
                try await notifications.wait { events in
                    let started = events.filter { $0 == .passStarted }.count
                    return started
                        <= events.filter { if case .passFinished = $0 { return true } else { return false } }.count
                }
                guard let first = clock.pendingDelays.first, first <= 0 else { return }
            }
        }

        /// Moves time forward one second at a time, settling after each.
        func advance(seconds: Int) async throws {
            for _ in 0..<seconds {
                clock.advance(by: 1)
                try await settle()
            }
        }

        func stop() async throws {
            control.yield(.stop)
            try await task.value
        }
    }

    func webhookBodies(_ world: World) -> [(status: String, severity: String)] {
        world.receiver.received(.webhook).filter(\.accepted).compactMap { received in
            guard let json = received.json as? [String: Any], let status = json["status"] as? String,
                let alert = (json["alerts"] as? [[String: Any]])?.first,
                let labels = alert["labels"] as? [String: String]
            else { return nil }
            return (status, labels["severity"] ?? "")
        }
    }

    @Test func aReceiverDownForTwoMinutesGetsEveryNotificationOnceInOrderAndPollingIsNeverDelayed() async throws {
        let world = try await World()
        let start = world.clock.now()
        let running = try await Running.start(
            try world.configuration(world.yaml(notifier: world.webhookNotifier())), world: world)
        try await running.advance(seconds: 5)
        await world.receiverDown()
        let downAt = world.clock.now()
        for (second, residual) in [(10, 0), (40, 1), (70, 5), (100, 0)] {
            world.setResidual(residual)
            try await running.advance(seconds: second - Int(world.clock.now().timeIntervalSince(start).rounded()))
        }
        try await running.advance(seconds: 125 - Int(world.clock.now().timeIntervalSince(start).rounded()))
        #expect(world.receiver.received.isEmpty)
        #expect(running.notifications.failed.count >= 4)
        #expect(running.notifications.delivered.isEmpty)
        try await world.receiverUp()
        #expect(world.clock.now().timeIntervalSince(downAt) >= 120)
        try await running.advance(seconds: 75)

        // Every notification, once, in order.
        let bodies = webhookBodies(world)
        #expect(bodies.map(\.status) == ["firing", "firing", "resolved", "firing"])
        #expect(bodies.map(\.severity) == ["critical", "warning", "warning", "critical"])
        #expect(running.notifications.delivered.count == 4)
        #expect(
            alertLogLines(world.alertLog).map { $0["state"] as? String } == ["firing", "firing", "resolved", "firing"])
        // Polling kept its 10-second rhythm throughout: 0, 10, ..., 200.
        let offsets = running.pollStarts.map { Int($0.timeIntervalSince(start).rounded()) }
        #expect(offsets == Array(stride(from: 0, through: 200, by: 10)))
        try await running.stop()
        let store = try Store(path: world.folder.file("livewatch.db"))
        let started = try store.accessSynchronously { database in
            try database.query("SELECT started_at FROM polls ORDER BY id").compactMap { $0.int64("started_at") }
        }
        #expect(zip(started.dropFirst(), started).allSatisfy { $0 - $1 == 10 })
        #expect(try store.accessSynchronously { try $0.scalarInt64("SELECT count(*) FROM notification_outbox") } == 0)
        #expect(try store.accessSynchronously { try $0.scalarInt64("SELECT delivered FROM notifier_stats") } == 4)
        store.close()
        await world.finish()
    }

    @Test func aHangingReceiverDoesNotHoldUpPolls() async throws {
        let world = try await World()
        // The receiver answers only when the test says so; the send's own timeout is far beyond the test.
        let running = try await Running.start(
            try world.configuration(world.yaml(notifier: world.webhookNotifier(timeout: "60s"))), world: world)
        let receiver = try #require(world.receiverServer.value)
        let path = "/hooks/webhook"
        receiver.inFlight.hold(path: path)
        world.setResidual(0)
        world.clock.advance(by: 10)
        // The poll fires the alert and wakes the sender, whose send now hangs at the receiver.
        try await running.polls.waitForFinishedPolls(2)
        world.clock.advance(by: 0)
        try await running.notifications.wait { $0.contains(.passStarted) }
        try await running.polls.wait { _ in receiver.inFlight.current(path: path) == 1 }
        // While it hangs, two more polls start and finish on time.
        for count in [3, 4] {
            world.clock.advance(by: 10)
            try await running.polls.waitForFinishedPolls(count)
        }
        // The send was still waiting for its answer when they finished: the polls did not wait for the receiver.
        #expect(receiver.inFlight.current(path: path) == 1, "the polls waited for the receiver")
        #expect(running.notifications.delivered.isEmpty)
        receiver.inFlight.release(path: path)
        try await running.settle()
        #expect(running.notifications.delivered.count == 1)
        try await running.stop()
        await world.finish()
    }

    @Test func aRestartWhileAnAlertFiresNeitherRepeatsNorLosesANotification() async throws {
        let world = try await World()
        let text = world.yaml(notifier: world.webhookNotifier())
        // Run 1: it fires and is delivered.
        world.setResidual(0)
        var running = try await Running.start(try world.configuration(text), world: world)
        try await running.advance(seconds: 10)
        try await running.stop()
        #expect(webhookBodies(world).map(\.status) == ["firing"])

        // Run 2, the receiver down: still firing (nothing new), then it resolves; the resolution is queued at stop.
        await world.receiverDown()
        running = try await Running.start(try world.configuration(text), world: world)
        world.setResidual(5)
        try await running.advance(seconds: 10)
        try await running.stop()
        #expect(webhookBodies(world).map(\.status) == ["firing"])

        // Run 3, the receiver back: the queued resolution is delivered, once.
        try await world.receiverUp()
        running = try await Running.start(try world.configuration(text), world: world)
        try await running.advance(seconds: 20)
        try await running.stop()
        #expect(webhookBodies(world).map(\.status) == ["firing", "resolved"])
        #expect(alertLogLines(world.alertLog).map { $0["state"] as? String } == ["firing", "resolved"])
        await world.finish()
    }

    @Test func aConditionThatClearedWhileTheDaemonWasDownResolvesOnTheFirstPoll() async throws {
        let world = try await World()
        let text = world.yaml(notifier: world.webhookNotifier())
        world.setResidual(0)
        var running = try await Running.start(try world.configuration(text), world: world)
        try await running.stop()
        #expect(alertLogLines(world.alertLog).map { $0["state"] as? String } == ["firing"])

        world.clock.advance(by: 3_600)
        world.setResidual(4)
        running = try await Running.start(try world.configuration(text), world: world)
        let restartedAt = world.clock.now()
        #expect(running.pollStarts.count == 1)
        let lines = alertLogLines(world.alertLog)
        #expect(lines.map { $0["state"] as? String } == ["firing", "resolved"])
        #expect(lines.last?["time"] as? String == AlertLine.rfc3339(restartedAt))
        #expect((lines.last?["message"] as? String)?.hasSuffix("(fired for 1h)") == true)
        #expect(webhookBodies(world).map(\.status) == ["firing", "resolved"])
        try await running.stop()
        await world.finish()
    }

    @Test func sighupAddsANotifierWithoutARestart() async throws {
        let world = try await World()
        let slack = """
              - name: team-slack
                type: slack
                url: \(world.receiver.url(.slack, baseURL: "http://127.0.0.1:\(world.receiverPort.value)"))
                timeout: 500ms
                group_wait: 0s
            """
        let file = SendableBox(world.yaml(notifier: world.webhookNotifier()))
        let running = try await Running.start(
            try world.configuration(file.value), world: world,
            reload: {
                try world.configuration(file.value)
            })
        world.setResidual(0)
        try await running.advance(seconds: 10)
        #expect(webhookBodies(world).map(\.status) == ["firing"])
        #expect(world.receiver.received(.slack).isEmpty)

        // Add Slack; the unchanged monitor keeps polling on its rhythm.
        file.mutate { $0 = world.yaml(notifier: world.webhookNotifier() + "\n" + slack) }
        running.control.yield(.reload)
        try await running.log.waitFor("SIGHUP: configuration reloaded")
        world.setResidual(4)
        try await running.advance(seconds: 10)
        #expect(webhookBodies(world).map(\.status) == ["firing", "resolved"])
        // Slack was not told of the firing, so it is not told of the resolution either; its next firing it gets.
        #expect(world.receiver.received(.slack).isEmpty)
        world.setResidual(0)
        try await running.advance(seconds: 10)
        #expect(world.receiver.received(.slack).map(\.accepted) == [true])
        #expect(running.pollStarts.count == 4)
        try await running.stop()
        await world.finish()
    }

    @Test func livewatchPollDeliversWhatItQueuedAndLeavesFailuresForTheDaemon() async throws {
        let world = try await World()
        let configuration = try world.configuration(world.yaml(notifier: world.webhookNotifier()))
        world.setResidual(0)
        let log = CapturedLog()
        _ = try await Daemon.pollOnce(
            configuration: configuration, names: [], logger: log.logger, transport: world.transport)
        #expect(webhookBodies(world).map(\.status) == ["firing"])
        await world.receiverDown()
        world.setResidual(5)
        _ = try await Daemon.pollOnce(
            configuration: configuration, names: [], logger: log.logger, transport: world.transport)
        #expect(webhookBodies(world).map(\.status) == ["firing"])
        #expect(log.text.contains("notification not delivered; will retry"))
        let store = try Store(path: world.folder.file("livewatch.db"))
        #expect(try store.accessSynchronously { try $0.scalarInt64("SELECT count(*) FROM notification_outbox") } == 1)
        store.close()
        await world.finish()
    }

    @Test func signedDingTalkDeliveriesAndFailuresLeakNoTokenSecretOrSignature() async throws {
        let secret = "SECdingtalk-known-secret-31f7"
        let world = try await World(dingTalkSecret: secret)
        let url = world.receiver.url(.dingtalk, baseURL: "http://127.0.0.1:\(world.receiverPort.value)")
        func notifier(_ secretVariable: String) -> String {
            """
              - name: oncall-dingtalk
                type: dingtalk
                url: { env: DINGTALK_URL }
                secret: { env: \(secretVariable) }
                timeout: 500ms
                group_wait: 0s
            """
        }
        let environment = [
            "DINGTALK_URL": url, "DINGTALK_SECRET": secret, "WRONG_SECRET": "SECwrong-secret-value-0042",
        ]
        // Delivered, signed.
        world.setResidual(0)
        var running = try await Running.start(
            try world.configuration(world.yaml(notifier: notifier("DINGTALK_SECRET")), environment: environment),
            world: world)
        try await running.stop()
        var logs = running.log.text
        // Refused (a wrong secret: DingTalk's 310000 in a 200), then unreachable.
        running = try await Running.start(
            try world.configuration(world.yaml(notifier: notifier("WRONG_SECRET")), environment: environment),
            world: world)
        world.setResidual(5)
        try await running.advance(seconds: 10)
        await world.receiverDown()
        world.setResidual(0)
        try await running.advance(seconds: 20)
        try await running.stop()
        logs += running.log.text

        let received = world.receiver.received(.dingtalk)
        #expect(received.first?.accepted == true)
        #expect(received.dropFirst().contains { $0.refusal == "sign" })
        #expect(logs.contains("rejected with error 310000"))
        let signatures = received.compactMap { item in
            item.query.split(separator: "&").first { $0.hasPrefix("sign=") }.map { String($0.dropFirst(5)) }
        }
        #expect(signatures.count >= 2)
        var haystacks = ["logs": logs]
        for file in ["livewatch.db", "livewatch.db-wal", "alerts.log"] {
            if let data = FileManager.default.contents(atPath: world.folder.file(file)) {
                haystacks[file] = String(decoding: data, as: UTF8.self)
            }
        }
        let store = try Store(path: world.folder.file("livewatch.db"))
        let lastError = try store.accessSynchronously {
            try $0.first("SELECT last_error FROM notifier_stats")?.string("last_error")
        }
        store.close()
        #expect(lastError != nil)
        haystacks["last_error"] = lastError
        let needles =
            [world.receiver.token, secret, "SECwrong-secret-value-0042", url] + signatures
            + signatures.compactMap { $0.removingPercentEncoding }
        for (name, text) in haystacks {
            for needle in needles {
                #expect(!text.contains(needle), "a secret value is in \(name)")
            }
        }
        await world.finish()
    }
}
