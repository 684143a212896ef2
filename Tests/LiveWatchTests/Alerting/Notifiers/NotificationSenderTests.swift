import Foundation
import SQLite
import Testing
import VendorSimulator

@testable import LiveWatch

/// The outbox and its sender: a real SQLite file, a real receiver on loopback,
/// time driven by a `ManualClock`.
@Suite struct NotificationSenderTests {
    struct Harness: TestHarness {
        let folder: TemporaryFolder
        let store: Store
        let clock: ManualClock
        let policy: AlertPolicyBox
        let sender: NotificationSender
        let events: NotificationEventRecorder
        let log: CapturedLog
        private let receiverFixture: SendableBox<ReceiverFixture>

        /// The receiver; a test may replace it with a restarted one, which `finish()` then stops.
        var fixture: ReceiverFixture {
            get { receiverFixture.value }
            nonmutating set { receiverFixture.mutate { $0 = newValue } }
        }

        init(
            folder: TemporaryFolder, store: Store, clock: ManualClock, policy: AlertPolicyBox,
            sender: NotificationSender,
            events: NotificationEventRecorder, log: CapturedLog, fixture: ReceiverFixture
        ) {
            self.folder = folder
            self.store = store
            self.clock = clock
            self.policy = policy
            self.sender = sender
            self.events = events
            self.log = log
            self.receiverFixture = SendableBox(fixture)
        }

        static func make(
            notifiers: (ReceiverFixture) -> [NotifierConfiguration], silences: [Silence] = [],
            fixture: ReceiverFixture? = nil
        ) async throws -> Harness {
            let folder = try TemporaryFolder()
            let clock = ManualClock(start: Date())
            let fixture = if let fixture { fixture } else { try await ReceiverFixture.start(clock: { clock.now() }) }
            let store = try Store(path: folder.file("livewatch.db"))
            let policy = AlertPolicyBox(AlertPolicy(silences: silences, notifiers: notifiers(fixture)))
            return assemble(folder: folder, store: store, clock: clock, policy: policy, fixture: fixture)
        }

        /// A new sender (with its own event recorder and log) on these parts: a first start, or a restart.
        static func assemble(
            folder: TemporaryFolder, store: Store, clock: ManualClock, policy: AlertPolicyBox, fixture: ReceiverFixture
        ) -> Harness {
            let events = NotificationEventRecorder()
            let log = CapturedLog()
            let sender = NotificationSender(
                store: store, transport: fixture.transport, clock: clock, policy: policy, logger: log.logger,
                observer: events.observer)
            return Harness(
                folder: folder, store: store, clock: clock, policy: policy, sender: sender, events: events, log: log,
                fixture: fixture)
        }

        /// Applies `condition` to the polyv-main concurrency alert at `clock.now()` and queues the lines, as a poll would.
        @discardableResult
        func alert(
            _ condition: AlertCondition, subject: String = "polyv-main", rule: AlertRule = .mrConcurrencyExhausted
        ) throws -> [AlertLine] {
            let now = clock.now()
            let policy = self.policy.current
            return try store.writeSynchronously { database in
                let lines = try AlertBook(repeatInterval: 6 * 3_600).apply(
                    [(AlertKey(rule: rule, monitor: "polyv-main", subject: subject), condition)], now: now,
                    store: SQLiteAlertStateStore(database: database))
                try PollRecorder.enqueue(lines, at: now, policy: policy, in: database)
                return lines
            }
        }

        /// Advances the clock and waits until the pass it starts (if any) has finished. The deadline is
        /// generous: a parallel test run on a loaded machine can hold a pass for seconds.
        func advance(by seconds: Double) async throws {
            let before = events.passes
            let due = clock.pendingDelays.first.map { $0 <= seconds } ?? false
            clock.advance(by: seconds)
            if due { try await events.waitForPasses(before + 1, timeout: 30) }
            try await waitIdle()
        }

        func waitIdle() async throws {
            let deadline = Date().addingTimeInterval(30)
            while !sender.isIdle {
                guard Date() < deadline else { throw WaitTimeout() }
                try await Task.sleep(nanoseconds: 2_000_000)
            }
        }

        func count(_ sql: String) throws -> Int64 { try store.accessSynchronously { try $0.scalarInt64(sql) ?? -1 } }

        func finish() async {
            await sender.stop(deadline: 2)
            store.close()
            await fixture.stop()
            folder.remove()
        }
    }

    static func firing(_ severity: Severity, residual: Double) -> AlertCondition {
        .firing(
            severity: severity, message: "Polyv MR concurrency: \(Int(residual)) of 5 left", value: residual,
            threshold: 0)
    }

    @Test func aReceiverThatIsDownGetsEverythingOnceAndInOrderWhenItComesBack() async throws {
        try await withHarness({
            try await Harness.make(notifiers: { [$0.configuration(.webhook, timeout: 0.5, maxBackoff: 16)] })
        }) { harness async throws in
            await harness.fixture.goDown()
            try harness.alert(Self.firing(.critical, residual: 0))
            try harness.alert(Self.firing(.warning, residual: 1))
            try harness.alert(.clear(message: "available again", value: 4))
            #expect(try harness.count("SELECT count(*) FROM notification_outbox") == 3)

            harness.sender.start()
            try await harness.advance(by: 0)
            // Backoff doubles from 2 s up to max_backoff (16 s); only the head row is tried.
            var waits: [Double] = []
            for _ in 0..<6 {
                guard case .failed(_, _, _, let retryIn)? = harness.events.failed.last else { break }
                waits.append(retryIn)
                try await harness.advance(by: retryIn)
            }
            #expect(waits == [2, 4, 8, 16, 16, 16])
            #expect(harness.fixture.receiver.received.isEmpty)

            harness.fixture = try await harness.fixture.restarted()
            // While the receiver is down, each attempt keeps trying to connect until its timeout: 0.5 s keeps the
            // test short. Now that it is up, a generous timeout (a reload): one that ran out after the receiver
            // accepted (a loaded machine) would send that notification twice, and each must arrive exactly once.
            harness.policy.update(
                AlertPolicy(notifiers: [harness.fixture.configuration(.webhook, timeout: 20, maxBackoff: 16)]))
            // The next retry reaches it (should the first connection still fail on a loaded machine: the one after).
            for _ in 0..<5 where harness.events.delivered.count < 3 {
                try await harness.advance(by: try #require(harness.clock.pendingDelays.first))
            }
            let bodies = harness.fixture.receiver.received(.webhook).compactMap { $0.json as? [String: Any] }
            let states = bodies.compactMap {
                (($0["alerts"] as? [[String: Any]])?.first?["labels"] as? [String: String])?["severity"]
            }
            #expect(bodies.map { $0["status"] as? String } == ["firing", "firing", "resolved"])
            #expect(states == ["critical", "warning", "warning"])
            #expect(try harness.count("SELECT count(*) FROM notification_outbox") == 0)
            #expect(try harness.count("SELECT delivered FROM notifier_stats") == 3)
            #expect(try harness.count("SELECT failed_attempts FROM notifier_stats") >= 7)
            #expect(harness.log.text.contains("notification not delivered; will retry"))
        }
    }

    @Test func aNotificationOlderThanGiveUpAfterIsGivenUpLoggedAndCountedAndTheQueueMovesOn() async throws {
        try await withHarness({
            try await Harness.make(notifiers: {
                [$0.configuration(.slack, timeout: 0.25, giveUpAfter: 60, maxBackoff: 30)]
            })
        }) { harness async throws in
            await harness.fixture.goDown()
            try harness.alert(Self.firing(.critical, residual: 0))
            harness.sender.start()
            try await harness.advance(by: 0)
            let started = harness.clock.now()
            while harness.events.gaveUp.isEmpty, harness.clock.now().timeIntervalSince(started) < 600 {
                try await harness.advance(by: try #require(harness.clock.pendingDelays.first))
            }
            #expect(harness.events.gaveUp.count == 1)
            #expect(harness.log.text.contains("notification given up"))
            #expect(harness.log.text.contains("rule=mr_concurrency_exhausted"))
            #expect(try harness.count("SELECT given_up FROM notifier_stats") == 1)
            #expect(try harness.count("SELECT count(*) FROM notification_outbox") == 0)

            harness.fixture = try await harness.fixture.restarted()
            // Down, each attempt tried to connect until its timeout (0.25 s keeps the test short); up, a timeout a
            // loaded machine keeps (a reload).
            harness.policy.update(
                AlertPolicy(notifiers: [
                    harness.fixture.configuration(.slack, timeout: 20, giveUpAfter: 60, maxBackoff: 30)
                ]))
            try harness.alert(.clear(message: "available again", value: 4))
            harness.sender.wake()
            try await harness.advance(by: 0)
            for _ in 0..<5 where harness.events.delivered.isEmpty {
                try await harness.advance(by: try #require(harness.clock.pendingDelays.first))
            }
            // Delivery is at least once: should the timeout still expire after the receiver accepted, the same
            // resolution is sent again.
            let received = harness.fixture.receiver.received(.slack)
            #expect(!received.isEmpty && received.allSatisfy(\.accepted), "\(received.map(\.accepted))")
            #expect(received.allSatisfy { $0.body.contains("available again") }, "\(received.map(\.body))")
        }
    }

    @Test func aRefusedPayloadIsGivenUpAtOnce() async throws {
        try await withHarness({ try await Harness.make(notifiers: { [$0.configuration(.webhook, timeout: 10)] }) }) {
            harness async throws in
            harness.fixture.receiver.refusePayloads(1)
            try harness.alert(Self.firing(.critical, residual: 0))
            try harness.alert(.clear(message: "available again", value: 4))
            harness.sender.start()
            try await harness.advance(by: 0)
            #expect(
                harness.events.gaveUp == [
                    .gaveUp(notifier: "test-webhook", attempts: 1, error: #"HTTP 400: {"error":"invalid payload"}"#)
                ])
            #expect(harness.events.delivered.count == 1)
            #expect(harness.fixture.receiver.received(.webhook).map(\.accepted) == [false, true])
        }
    }

    @Test func minSeverityAndFiltersChooseNotifiersAndAResolutionFollowsItsFiring() async throws {
        try await withHarness({
            try await Harness.make(notifiers: { fixture in
                var critical = fixture.configuration(.webhook, name: "critical-only", minSeverity: .critical)
                critical.monitors = ["polyv-main"]
                var failing = fixture.configuration(.webhook, name: "failing-only")
                failing.rules = [.monitorFailing]
                return [critical, failing]
            })
        }) { harness async throws in
            try harness.alert(Self.firing(.warning, residual: 2))
            #expect(try harness.count("SELECT count(*) FROM notification_outbox") == 0)
            try harness.alert(Self.firing(.critical, residual: 0))
            try harness.alert(Self.firing(.warning, residual: 1))
            try harness.alert(.clear(message: "available again", value: 4))
            let rows = try harness.store.accessSynchronously {
                try $0.query("SELECT notifier, line FROM notification_outbox ORDER BY id")
            }
            #expect(rows.map { $0.string("notifier") } == ["critical-only", "critical-only", "critical-only"])
            #expect(
                rows.compactMap { $0.string("line").flatMap(AlertLine.init(json:)) }.map {
                    "\($0.state.rawValue)/\($0.severity.rawValue)"
                }
                    == ["firing/critical", "firing/warning", "resolved/warning"])
            #expect(try harness.count("SELECT count(*) FROM notified_alerts") == 0)
            // An episode that never reached min_severity resolves quietly.
            try harness.alert(Self.firing(.warning, residual: 2))
            try harness.alert(.clear(message: "available again", value: 4))
            #expect(try harness.count("SELECT count(*) FROM notification_outbox") == 3)
        }
    }

    @Test func aSilencedLineIsLoggedMarkedAndReachesNoNotifier() async throws {
        let silence = Silence(
            name: "maintenance", monitors: ["polyv-main"],
            window: .between(start: nil, end: Date().addingTimeInterval(3_600)))
        try await withHarness({
            try await Harness.make(notifiers: { [$0.configuration(.webhook, timeout: 10)] }, silences: [silence])
        }) { harness async throws in
            try harness.alert(Self.firing(.critical, residual: 0))
            try harness.alert(Self.firing(.critical, residual: 0), subject: "other", rule: .monitorFailing)
            let logged = try harness.store.accessSynchronously {
                try $0.query("SELECT line FROM alert_log_outbox ORDER BY id")
            }
            .compactMap { $0.string("line") }
            #expect(logged.count == 2)
            #expect(logged.allSatisfy { $0.hasSuffix(#","silenced":true}"#) })
            #expect(try harness.count("SELECT count(*) FROM notification_outbox") == 0)
            // After the silence: the same alert's next line goes out (to a notifier it never reached, at min_severity).
            harness.clock.advance(by: 3_601)
            try harness.alert(.clear(message: "available again", value: 4))
            try harness.alert(Self.firing(.critical, residual: 0))
            #expect(try harness.count("SELECT count(*) FROM notification_outbox") == 1)
        }
    }

    @Test func alertmanagerIsSentFiringAlertsAgainUntilTheyResolve() async throws {
        try await withHarness({ try await Harness.make(notifiers: { [$0.configuration(.alertmanager, timeout: 10)] }) })
        {
            harness async throws in
            try harness.alert(Self.firing(.critical, residual: 0))
            harness.sender.start()
            try await harness.advance(by: 0)
            // The firing line, then the first re-send of everything firing (as after a restart).
            #expect(harness.fixture.receiver.received(.alertmanager).count == 2)
            #expect(harness.events.all.contains(.resent(notifier: "test-alertmanager", alerts: 1)))
            try await harness.advance(by: 60)
            let requests = harness.fixture.receiver.received(.alertmanager)
            #expect(requests.count == 3)
            let resent = try #require(requests.last?.json as? [[String: Any]])
            #expect(resent.count == 1)
            #expect((resent.first?["labels"] as? [String: String])?["severity"] == "critical")
            let endsAtText = try #require(resent.first?["endsAt"] as? String)
            let endsAt = try #require(AlertLine.parseRFC3339(endsAtText))
            #expect(abs(endsAt.timeIntervalSince(harness.clock.now()) - 240) < 1)

            try harness.alert(.clear(message: "available again", value: 4))
            harness.sender.wake()
            try await harness.advance(by: 0)
            try await harness.advance(by: 60)
            let after = harness.fixture.receiver.received(.alertmanager)
            #expect(after.count == 4)
            #expect((after.last?.json as? [[String: Any]])?.allSatisfy { $0["endsAt"] as? String != nil } == true)
            #expect(try harness.count("SELECT count(*) FROM notified_alerts") == 0)
        }
    }

    @Test func rowsOfANotifierNoLongerConfiguredAreDroppedAndCounted() async throws {
        try await withHarness({
            try await Harness.make(notifiers: {
                [$0.configuration(.webhook, name: "old"), $0.configuration(.slack, name: "kept", timeout: 0.25)]
            })
        }) { harness async throws in
            await harness.fixture.goDown()
            try harness.alert(Self.firing(.critical, residual: 0))
            #expect(try harness.count("SELECT count(*) FROM notification_outbox") == 2)
            var policy = harness.policy.current
            policy.notifiers.removeFirst()
            harness.policy.update(policy)
            await harness.sender.drainOnce()
            #expect(try harness.count("SELECT count(*) FROM notification_outbox WHERE notifier = 'old'") == 0)
            #expect(try harness.count("SELECT given_up FROM notifier_stats WHERE notifier = 'old'") == 1)
            #expect(try harness.count("SELECT count(*) FROM notification_outbox WHERE notifier = 'kept'") == 1)
            #expect(harness.log.text.contains("their notifier is no longer configured"))
        }
    }

    @Test func backoffDoublesFromTheFirstRetryUpToTheMaximum() async throws {
        try await withHarness({ try await Harness.make(notifiers: { _ in [] }) }) { harness async throws in
            #expect((1...7).map { harness.sender.backoff(attempts: $0, maximum: 60) } == [2, 4, 8, 16, 32, 60, 60])
            #expect(harness.sender.backoff(attempts: 1, maximum: 1) == 2)
        }
    }
}
