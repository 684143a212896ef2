import Foundation
import NIOCore
import Synchronization
import Testing
import VendorSimulator

@testable import LiveWatch

/// Fixed notifications for payload tests.
enum SampleNotifications {
    static let firedAt = Date(timeIntervalSince1970: 1_795_311_000) // 2026-11-22T01:30:00Z

    static let firing = AlertNotification(
        line: AlertLine(
            time: firedAt, state: .firing, severity: .critical, rule: .mrConcurrencyExhausted, monitor: "polyv-main",
            subject: "polyv-main", message: "Polyv MR concurrency exhausted: 0 of 5 left", value: 0, threshold: 0),
        startedAt: firedAt)

    static let resolved = AlertNotification(
        line: AlertLine(
            time: firedAt.addingTimeInterval(300), state: .resolved, severity: .critical, rule: .mrConcurrencyExhausted,
            monitor: "polyv-main", subject: "polyv-main",
            message: "Polyv MR concurrency available again: 4 of 5 left (fired for 5m)", value: 4),
        startedAt: firedAt)

    static let notice = AlertNotification(
        line: AlertLine(
            time: firedAt, state: .notice, severity: .warning, rule: .viewingRestrictionChanged, monitor: "volc-events",
            subject: "175980616", message: "viewing restriction of 175980616 changed: custom_url"),
        startedAt: firedAt)
}

/// A loopback receiver for every notifier type, and a real transport.
struct ReceiverFixture {
    static let dingTalkSecret = "SECdingtalk-signing-secret-42"
    static let feishuSecret = "feishu-signing-secret-77"

    let simulator: VendorSimulator
    let receiver: NotificationReceiver
    let transport: AsyncHTTPTransport
    let port: Int

    static func start(signed: Bool = true, port: Int = 0, clock: @escaping @Sendable () -> Date = Date.init)
        async throws -> ReceiverFixture
    {
        let receiver = NotificationReceiver(
            dingTalkSecret: signed ? dingTalkSecret : nil, feishuSecret: signed ? feishuSecret : nil, clock: clock)
        return try await start(receiver: receiver, port: port)
    }

    static func start(receiver: NotificationReceiver, port: Int = 0) async throws -> ReceiverFixture {
        let simulator = VendorSimulator()
        simulator.register(receiver)
        let bound = try await simulator.start(port: port)
        return ReceiverFixture(simulator: simulator, receiver: receiver, transport: AsyncHTTPTransport(), port: bound)
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    func configuration(
        _ kind: NotifierConfiguration.Kind, name: String? = nil, signed: Bool = true, minSeverity: Severity = .info,
        timeout: Double = 2, giveUpAfter: Double = 86_400, maxBackoff: Double = 60
    ) -> NotifierConfiguration {
        let receiverKind = NotificationReceiver.Kind(rawValue: kind.rawValue) ?? .webhook
        var secret: Secret?
        if signed, kind == .dingtalk { secret = Secret(Self.dingTalkSecret) }
        if signed, kind == .feishu { secret = Secret(Self.feishuSecret) }
        return NotifierConfiguration(
            name: name ?? "test-\(kind.rawValue)", kind: kind,
            url: Secret(receiver.url(receiverKind, baseURL: baseURL)),
            secret: secret, minSeverity: minSeverity, timeout: timeout, maxBackoff: maxBackoff, giveUpAfter: giveUpAfter
        )
    }

    /// Listens again on the same port with the same receiver and transport (the receiver is back up). While the
    /// port was closed, another test's client socket may have been given it as its local port: binding is then
    /// retried until that socket is gone (at most 30 s).
    func restarted() async throws -> ReceiverFixture {
        let deadline = Date().addingTimeInterval(30)
        while true {
            let simulator = VendorSimulator()
            simulator.register(receiver)
            do {
                let bound = try await simulator.start(port: port)
                receiver.setDown(false)
                return ReceiverFixture(simulator: simulator, receiver: receiver, transport: transport, port: bound)
            } catch let error as IOError where error.errnoCode == EADDRINUSE && Date() < deadline {
                try await Task.sleep(nanoseconds: 50_000_000)
            }
        }
    }

    /// Stops listening (the receiver is down: connections are refused).
    func goDown() async {
        receiver.setDown(true)
        await simulator.shutdown()
    }

    /// Stops the receiver; a test whose notifications broke a service's rate or size limit fails here.
    func stop() async {
        await transport.shutdown()
        await simulator.shutdown()
        let violations = receiver.violations
        if !violations.isEmpty { Issue.record("the services' limits were broken: \(violations)") }
    }
}

/// Collects notification events; waits on them with a deadline.
final class NotificationEventRecorder: Sendable {
    private let events = SendableBox<[NotificationEvent]>([])

    var observer: @Sendable (NotificationEvent) -> Void { { [self] event in self.events.mutate { $0.append(event) } } }

    var all: [NotificationEvent] { events.value }

    var delivered: [NotificationEvent] { all.filter { if case .delivered = $0 { return true } else { return false } } }
    var failed: [NotificationEvent] { all.filter { if case .failed = $0 { return true } else { return false } } }
    var gaveUp: [NotificationEvent] { all.filter { if case .gaveUp = $0 { return true } else { return false } } }
    var passes: Int { all.filter { if case .passFinished = $0 { return true } else { return false } }.count }

    func wait(timeout: Double = 60, until condition: ([NotificationEvent]) -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition(all) {
            guard Date() < deadline else { throw WaitTimeout() }
            try await Task.sleep(nanoseconds: 5_000_000)
        }
    }

    /// Waits until `count` passes have finished in total.
    func waitForPasses(_ count: Int, timeout: Double = 60) async throws {
        try await wait(timeout: timeout) { events in
            events.filter { if case .passFinished = $0 { return true } else { return false } }.count >= count
        }
    }
}

/// A mutex-guarded value for test helpers.
final class SendableBox<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value { storage.withLock { $0 } }
    func mutate(_ body: (inout Value) -> Void) { storage.withLock { body(&$0) } }
}

extension CapturedLog {
    /// Waits (up to `timeout` real seconds) until the log holds `text`.
    func waitFor(_ text: String, timeout: Double = 60) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !self.text.contains(text) {
            guard Date() < deadline else { throw WaitTimeout() }
            try await Task.sleep(nanoseconds: 5_000_000)
        }
    }
}

extension ReceiverFixture: ServerFixture {}
