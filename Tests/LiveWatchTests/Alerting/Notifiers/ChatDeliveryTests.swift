import Foundation
import Testing
import VendorSimulator

@testable import LiveWatch

/// Chat notifiers end to end: the real sender and outbox on a SQLite file, the simulator's receivers
/// enforcing each service's documented rate and size limits (any violation fails the test), and the
/// sender's clock a `ManualClock` (no real minute of waiting).
@Suite struct ChatDeliveryTests {
    typealias Harness = NotificationSenderTests.Harness

    static let chatKinds: [NotifierConfiguration.Kind] = [.dingtalk, .wecom, .feishu, .slack]

    /// Per-minute ceiling of each service (Slack: one a second).
    static func perMinute(_ kind: NotifierConfiguration.Kind) -> Int {
        switch kind {
        case .dingtalk, .wecom: return 20
        case .feishu: return 100
        default: return 60
        }
    }

    static func subject(_ index: Int) -> String { String(format: "plat-%02d", index) }

    static func harness(_ kind: NotifierConfiguration.Kind, groupWait: Double? = nil, giveUpAfter: Double = 86_400)
        async throws -> Harness
    {
        try await Harness.make(notifiers: { fixture in
            // A timeout a loaded machine keeps: a timed-out message would be sent again (at least once).
            var configuration = fixture.configuration(kind, timeout: 10, giveUpAfter: giveUpAfter)
            configuration.groupWait = groupWait
            return [configuration]
        })
    }

    /// Queues a warning for platform `index`, as a poll would, and lets the sender see it.
    static func fire(_ harness: Harness, _ index: Int, severity: Severity = .warning) throws {
        try harness.alert(
            .firing(
                severity: severity, message: "authorization ends within the warning window", value: 3, threshold: 7),
            subject: subject(index), rule: .platformAuthorizationExpiring)
        harness.sender.wake()
    }

    /// Advances the clock timer by timer until the outbox is empty (or `limit` seconds passed).
    static func drain(_ harness: Harness, limit: Double = 1_800) async throws {
        let start = harness.clock.now()
        while try harness.count("SELECT count(*) FROM notification_outbox") > 0,
            harness.clock.now().timeIntervalSince(start) < limit
        {
            let next = try #require(harness.clock.pendingDelays.first, "the sender armed no timer")
            try await harness.advance(by: max(0, next))
        }
    }

    /// The message text of an accepted request, as the chat shows it (DingTalk's title aside).
    static func messageText(_ received: NotificationReceiver.Received) -> String {
        let object = received.json as? [String: Any]
        let inner = (object?["markdown"] ?? object?["content"]) as? [String: Any]
        return (inner?["text"] ?? inner?["content"] ?? object?["text"]) as? String ?? ""
    }

    /// How often `text` occurs in the messages accepted.
    static func mentions(_ text: String, in received: [NotificationReceiver.Received]) -> Int {
        received.filter(\.accepted).map { messageText($0).components(separatedBy: text).count - 1 }.reduce(0, +)
    }

    /// 60 alerts firing within a second reach each chat receiver within its service's documented rate,
    /// grouped, every alert mentioned exactly once, none lost: with the default group_wait (grouped at
    /// once) and with group_wait 0 (the limiter holds the burst; what waits goes out as one message).
    @Test(arguments: chatKinds, [nil, 0.0])
    func aBurstOfSixtyAlertsArrivesWithinTheRateGroupedWithNothingLost(
        kind: NotifierConfiguration.Kind, groupWait: Double?
    ) async throws {
        try await withHarness({ try await Self.harness(kind, groupWait: groupWait) }) { harness async throws in
            let receiverKind = try #require(NotificationReceiver.Kind(rawValue: kind.rawValue))
            harness.sender.start()
            try await harness.advance(by: 0)
            let start = harness.clock.now()
            for index in 0..<60 {
                try Self.fire(harness, index)
                try await harness.advance(by: 1.0 / 60)
            }
            try await Self.drain(harness)

            let received = harness.fixture.receiver.received(receiverKind)
            #expect(harness.fixture.receiver.violations.isEmpty, "\(harness.fixture.receiver.violations)")
            #expect(received.allSatisfy { $0.accepted }, "\(received.compactMap(\.refusal))")
            let firstMinute = received.filter { $0.time.timeIntervalSince(start) < 60 }
            #expect(firstMinute.count <= Self.perMinute(kind))
            for index in 0..<60 {
                #expect(
                    Self.mentions("polyv-main/\(Self.subject(index))", in: received) == 1,
                    "\(kind): \(Self.subject(index))")
            }
            #expect(try harness.count("SELECT count(*) FROM notification_outbox") == 0)
            #expect(try harness.count("SELECT delivered FROM notifier_stats") == 60)
            #expect(harness.events.failed.isEmpty && harness.events.gaveUp.isEmpty)
            if groupWait == nil {
                // Grouped: the first message waits group_wait (10 s) from the first line, and holds them all
                // unless the service's size limit splits them (WeCom's 4096 bytes).
                let first = try #require(received.first)
                #expect(abs(first.time.timeIntervalSince(start) - 10) < 1.1)
                #expect(received.count == (kind == .wecom ? 3 : 1), "\(kind): \(received.count) messages")
                #expect(first.body.contains("livewatch: "))
            } else {
                // The limiter let the first ones go one by one (DingTalk and WeCom 20, Feishu 5, Slack 1), then held
                // the rest until the window allowed more: they went out together.
                let single = ["dingtalk": 20, "wecom": 20, "feishu": 5, "slack": 1][kind.rawValue] ?? 0
                #expect(received.prefix(single).allSatisfy { !$0.body.contains("livewatch: ") }, "\(kind)")
                #expect(received.count == single + (kind == .wecom ? 2 : 1), "\(kind): \(received.count) messages")
                if kind == .dingtalk {
                    #expect(received.last?.body.contains("livewatch: 40 alerts — 40 firing") == true)
                }
            }
        }
    }

    /// Each service's "too fast" answer is a wait (the stated one, else the documented one), not a failure:
    /// the attempt is not counted, nothing is given up (even past give_up_after), and the line arrives after it.
    @Test(arguments: chatKinds)
    func aTooFastAnswerIsRetriedAfterTheWaitWithoutBurningARetry(kind: NotifierConfiguration.Kind) async throws {
        try await withHarness({ try await Self.harness(kind, groupWait: 0, giveUpAfter: 60) }) { harness async throws in
            let receiverKind = try #require(NotificationReceiver.Kind(rawValue: kind.rawValue))
            // The robot is throttled (another client's burst): DingTalk for ten minutes, WeCom for its minute;
            // Feishu and Slack state their wait.
            let expectedWait: Double
            switch kind {
            case .dingtalk: expectedWait = 600
            case .wecom: expectedWait = 60
            case .feishu: expectedWait = 20
            default: expectedWait = 7
            }
            harness.fixture.receiver.throttle(receiverKind, for: expectedWait)
            harness.sender.start()
            try Self.fire(harness, 1, severity: .critical)
            try await harness.advance(by: 0)
            #expect(
                harness.events.all.contains(
                    .throttled(notifier: "test-\(kind.rawValue)", lines: 1, retryIn: expectedWait)))
            #expect(harness.events.failed.isEmpty && harness.events.gaveUp.isEmpty)
            #expect(try harness.count("SELECT attempts FROM notification_outbox") == 0)
            #expect(try harness.count("SELECT count(*) FROM notifier_stats WHERE failed_attempts > 0") == 0)
            #expect(harness.log.text.contains("notification throttled by the service; will retry"))
            #expect(!harness.log.text.contains(harness.fixture.receiver.token))
            try await Self.drain(harness)
            #expect(harness.events.delivered.count == 1)
            if case .delivered(_, _, _, _, let attempts)? = harness.events.delivered.first { #expect(attempts == 1) }
            // Nothing was tried before the wait was over.
            let times = harness.fixture.receiver.received(receiverKind).map(\.time)
            #expect(times.count == 2 && abs(times[1].timeIntervalSince(times[0]) - expectedWait) < 0.01, "\(times)")
            #expect(harness.events.gaveUp.isEmpty)
            #expect(harness.fixture.receiver.received(receiverKind).map(\.accepted) == [false, true])
            #expect(harness.fixture.receiver.violations.isEmpty, "\(harness.fixture.receiver.violations)")
        }
    }

    /// Webhook and Alertmanager still get one alert per request (grouping is for chat robots only).
    @Test func webhookAndAlertmanagerStillGetOneAlertPerRequest() async throws {
        try await withHarness({
            // A timeout a loaded machine keeps (as in `harness`): this test counts the requests.
            try await Harness.make(notifiers: {
                [$0.configuration(.webhook, timeout: 10), $0.configuration(.alertmanager, timeout: 10)]
            })
        }) { harness async throws in
            for index in 0..<5 { try Self.fire(harness, index) }
            harness.sender.start()
            try await harness.advance(by: 0)
            let webhook = harness.fixture.receiver.received(.webhook)
            #expect(webhook.count == 5)
            #expect(webhook.allSatisfy { (($0.json as? [String: Any])?["alerts"] as? [Any])?.count == 1 })
            // Each line's POST names one alert (its severities); the re-send of everything firing comes after.
            let alertmanager = harness.fixture.receiver.received(.alertmanager)
            #expect(alertmanager.count == 6)
            for request in alertmanager.prefix(5) {
                let alerts = try #require(request.json as? [[String: Any]])
                #expect(Set(alerts.compactMap { ($0["labels"] as? [String: String])?["subject"] }).count == 1)
            }
            #expect(harness.events.all.contains(.resent(notifier: "test-alertmanager", alerts: 5)))
        }
    }

    /// A group split in three by WeCom's size limit (60 lines); the receiver fails after the first message and
    /// the daemon stops without its last pass (a crash); the next start sends the rest: every line once.
    @Test func aRestartInTheMiddleOfASplitGroupLosesAndRepeatsNothing() async throws {
        try await withHarness({ try await Self.harness(.wecom) }) { first async throws in
            for index in 0..<60 { try Self.fire(first, index) }
            first.fixture.receiver.goDown(afterAccepting: 1)
            first.sender.start()
            try await first.advance(by: 0)
            #expect(first.fixture.receiver.received(.wecom).isEmpty) // waiting for group_wait
            try await first.advance(by: 10)
            #expect(first.events.delivered.count > 0 && first.events.delivered.count < 60)
            #expect(!first.events.failed.isEmpty)
            await first.sender.stop(deadline: 2, lastPass: false)
            #expect(
                try first.count("SELECT count(*) FROM notification_outbox") == Int64(60 - first.events.delivered.count))

            first.fixture.receiver.setDown(false)
            let second = try first.restarted()
            second.sender.start()
            try await Self.drain(second)
            let received = second.fixture.receiver.received(.wecom)
            #expect(received.filter(\.accepted).count >= 3)
            for index in 0..<60 {
                #expect(Self.mentions("polyv-main/\(Self.subject(index))", in: received) == 1, "\(Self.subject(index))")
            }
            #expect(try second.count("SELECT count(*) FROM notification_outbox") == 0)
            #expect(second.fixture.receiver.violations.isEmpty, "\(second.fixture.receiver.violations)")
            await second.sender.stop(deadline: 2)
        }
    }

    /// Lines still waiting for group_wait when the daemon stops without a last pass go out after the next
    /// start, group_wait counted from the first line (not from the start), as one message.
    @Test func linesWaitingForTheirGroupSurviveACrash() async throws {
        try await withHarness({ try await Self.harness(.dingtalk) }) { first async throws in
            let start = first.clock.now()
            for index in 0..<5 { try Self.fire(first, index) }
            first.sender.start()
            try await first.advance(by: 4)
            await first.sender.stop(deadline: 2, lastPass: false)
            #expect(first.fixture.receiver.received(.dingtalk).isEmpty)

            let second = try first.restarted()
            second.sender.start()
            try await second.advance(by: 0)
            #expect(second.fixture.receiver.received(.dingtalk).isEmpty)
            try await Self.drain(second)
            let received = second.fixture.receiver.received(.dingtalk)
            #expect(received.count == 1)
            #expect(received.first.map { abs($0.time.timeIntervalSince(start) - 10) < 1.1 } == true)
            #expect(received.first?.body.contains("livewatch: 5 alerts — 5 firing") == true)
            await second.sender.stop(deadline: 2)
        }
    }

    /// A resolution that comes within the group follows its firing in the same message, marked, after
    /// firing lines of higher severity.
    @Test func aResolutionInTheSameGroupFollowsItsFiringMarked() async throws {
        try await withHarness({ try await Self.harness(.slack) }) { harness async throws in
            try Self.fire(harness, 1, severity: .warning)
            try Self.fire(harness, 2, severity: .critical)
            harness.clock.advance(by: 2)
            try harness.alert(
                .clear(message: "authorization renewed", value: 90), subject: Self.subject(1),
                rule: .platformAuthorizationExpiring)
            harness.sender.start()
            try await Self.drain(harness)
            let received = harness.fixture.receiver.received(.slack)
            #expect(received.count == 1)
            let text = try #require((received.first?.json as? [String: Any])?["text"] as? String)
            let order = [
                "FIRING critical* platform_authorization_expiring polyv-main/plat-02",
                "FIRING warning* platform_authorization_expiring polyv-main/plat-01",
                "RESOLVED (was warning)* platform_authorization_expiring polyv-main/plat-01",
            ].map { text.range(of: $0)?.lowerBound }
            #expect(order.allSatisfy { $0 != nil }, "\(text)")
            #expect(order.compactMap { $0 } == order.compactMap { $0 }.sorted())
            #expect(text.hasPrefix("*livewatch: 3 alerts — 2 firing, 1 resolved*"))
        }
    }
}

extension NotificationSenderTests.Harness {
    /// A new sender (a restarted daemon) on the same database, receiver, clock and configuration.
    func restarted() throws -> Self {
        Self.assemble(folder: folder, store: store, clock: clock, policy: policy, fixture: fixture)
    }
}
