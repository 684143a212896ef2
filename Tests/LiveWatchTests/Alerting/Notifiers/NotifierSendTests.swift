import Foundation
import Testing
import VendorSimulator

@testable import LiveWatch

/// Each notifier sends a firing and a resolved alert to a real HTTP server on
/// loopback, which checks tokens and signatures as the services do; and the
/// services' errors map to `NotifierError`s without leaking a token.
@Suite struct NotifierSendTests {
    @Test(arguments: NotifierConfiguration.Kind.allCases)
    func aFiringAndAResolvedAlertArriveWithTheRightPayload(kind: NotifierConfiguration.Kind) async throws {
        // The receiver's clock moves a second between the two, as Slack allows one message a second.
        let clock = ManualClock(start: Date())
        try await withFixture({ try await ReceiverFixture.start(clock: { clock.now() }) }) { fixture in
            let notifier = fixture.configuration(kind).makeNotifier()
            try await notifier.send(SampleNotifications.firing, now: clock.now(), transport: fixture.transport)
            clock.advance(by: 1)
            try await notifier.send(SampleNotifications.resolved, now: clock.now(), transport: fixture.transport)
            let receiverKind = try #require(NotificationReceiver.Kind(rawValue: kind.rawValue))
            let arrived = fixture.receiver.received(receiverKind)
            #expect(arrived.count == 2)
            #expect(arrived.allSatisfy { $0.accepted }, "\(arrived.map { $0.refusal ?? "" })")
            #expect(arrived.first?.body.contains("0 of 5 left") == true)
            #expect(arrived.last?.body.contains("(fired for 5m)") == true)
            switch kind {
            case .webhook:
                let first = try #require(arrived.first?.json as? [String: Any])
                let last = try #require(arrived.last?.json as? [String: Any])
                #expect(first["status"] as? String == "firing" && last["status"] as? String == "resolved")
            case .alertmanager:
                let alerts = try #require(arrived.last?.json as? [[String: Any]])
                #expect(alerts.allSatisfy { $0["endsAt"] as? String == "2026-11-22T01:35:00Z" })
            case .dingtalk:
                #expect(arrived.allSatisfy { $0.query.contains("&timestamp=") && $0.query.contains("&sign=") })
            case .feishu:
                #expect(arrived.allSatisfy { ($0.json as? [String: Any])?["sign"] is String })
            case .wecom, .slack:
                break
            }
            #expect(fixture.receiver.violations.isEmpty)
        }
    }

    @Test func aWrongSigningSecretIsRefusedInTheBodyAndReported() async throws {
        try await withFixture({ try await ReceiverFixture.start() }) { fixture in
            for kind in [NotifierConfiguration.Kind.dingtalk, .feishu] {
                var configuration = fixture.configuration(kind)
                configuration.secret = Secret("not-the-right-secret")
                let error = await #expect(throws: NotifierError.self) {
                    try await configuration.makeNotifier().send(
                        SampleNotifications.firing, now: Date(), transport: fixture.transport)
                }
                let expected: NotifierError =
                    kind == .dingtalk
                    ? .rejected(
                        code: "310000",
                        message: "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]")
                    : .rejected(
                        code: "19021", message: "sign match fail or timestamp is not within one hour from current time")
                #expect(error == expected)
                #expect(error?.isRetryable == true)
            }
            // A timestamp more than an hour off is refused too.
            let late = fixture.configuration(.dingtalk).makeNotifier()
            await #expect(
                throws: NotifierError.rejected(
                    code: "310000",
                    message: "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]")
            ) {
                try await late.send(
                    SampleNotifications.firing, now: Date().addingTimeInterval(-7_200), transport: fixture.transport)
            }
            #expect(fixture.receiver.received.allSatisfy { !$0.accepted })
        }
    }

    @Test func eachServicesOwnErrorIsMappedWithoutTheToken() async throws {
        try await withFixture({ try await ReceiverFixture.start() }) { (fixture: ReceiverFixture) in
            let token = fixture.receiver.token
            for kind in [NotifierConfiguration.Kind.wecom, .dingtalk, .feishu, .slack] {
                var configuration = fixture.configuration(kind)
                // The right service, a wrong token: every one of them says so its own way.
                configuration.url = Secret(
                    configuration.url.reveal().replacingOccurrences(of: token, with: "wrong-token-abcdef123"))
                do throws(NotifierError) {
                    try await configuration.makeNotifier().send(
                        SampleNotifications.firing, now: Date(), transport: fixture.transport)
                    Issue.record("\(kind) accepted a wrong token")
                } catch {
                    switch kind {
                    case .wecom:
                        #expect(
                            error
                                == .rejected(
                                    code: "93000",
                                    message: "invalid webhook url, hint: [1800000000_1], from ip: 127.0.0.1"))
                    case .dingtalk: #expect(error == .rejected(code: "300001", message: "token is not exist"))
                    case .feishu:
                        #expect(
                            error
                                == .rejected(
                                    code: "19001", message: "param invalid: incoming webhook access token invalid"))
                    case .slack: #expect(error == .http(status: 403, body: "invalid_token"))
                    default: break
                    }
                    #expect(!error.description.contains("wrong-token-abcdef123"))
                }
            }
        }
    }

    @Test func httpFailuresAreMappedAndOnlyPayloadRefusalsAreFinal() async throws {
        try await withFixture({ try await ReceiverFixture.start() }) { fixture in
            // An answer that must arrive gets a timeout a loaded machine keeps; the slow one must not arrive in time.
            let notifier = fixture.configuration(.webhook, timeout: 10).makeNotifier()
            fixture.receiver.faults.inject(.serverError)
            await #expect(throws: NotifierError.http(status: 500, body: "internal server error")) {
                try await notifier.send(SampleNotifications.firing, now: Date(), transport: fixture.transport)
            }
            let impatient = fixture.configuration(.webhook, timeout: 0.5).makeNotifier()
            fixture.receiver.faults.inject(.slow(seconds: 2))
            let slow = await #expect(throws: NotifierError.self) {
                try await impatient.send(SampleNotifications.firing, now: Date(), transport: fixture.transport)
            }
            #expect(slow == .transport(.timedOut(seconds: 0.5)))
            #expect(NotifierError.http(status: 500, body: "").isRetryable)
            #expect(NotifierError.http(status: 429, body: "").isRetryable)
            #expect(NotifierError.http(status: 401, body: "").isRetryable)
            #expect(!NotifierError.http(status: 400, body: "").isRetryable)
            #expect(!NotifierError.http(status: 413, body: "").isRetryable)

            // A Slack 200 that is not "ok", and a DingTalk 200 that is not JSON, are not deliveries.
            let slack = SlackNotifier(configuration: fixture.configuration(.slack))
            #expect(
                slack.check(IncomingResponse(status: 200, headers: [], body: Array("no_text".utf8)))
                    == .rejected(code: "slack", message: "no_text"))
            let dingTalk = DingTalkNotifier(configuration: fixture.configuration(.dingtalk))
            #expect(
                dingTalk.check(IncomingResponse(status: 200, headers: [], body: Array("<html>".utf8)))
                    == .invalidResponse("not a JSON object: <html>"))
        }
    }

    @Test func aReceiverThatIsDownIsATransportError() async throws {
        let fixture = try await ReceiverFixture.start()
        let notifier = fixture.configuration(.slack, timeout: 0.3).makeNotifier()
        await fixture.goDown()
        let error = await #expect(throws: NotifierError.self) {
            try await notifier.send(SampleNotifications.firing, now: Date(), transport: fixture.transport)
        }
        await fixture.transport.shutdown()
        // AsyncHTTPClient retries a refused connection until the deadline, then reports either.
        switch error {
        case .transport(.connectionFailed)?, .transport(.timedOut(seconds: 0.3))?: break
        default: Issue.record("expected a transport failure, got \(String(describing: error))")
        }
        #expect(error?.isRetryable == true)
    }

    @Test func anEchoedTokenIsScrubbedFromTheError() {
        let url = "https://oapi.dingtalk.com/robot/send?access_token=tok-0123456789abcdef"
        let notifier = DingTalkNotifier(
            configuration: NotifierConfiguration(
                name: "d", kind: .dingtalk, url: Secret(url), secret: Secret("SECsecretsecret")))
        let body = #"{"errcode":310000,"errmsg":"bad request to \#(url) with SECsecretsecret"}"#
        let error = notifier.check(IncomingResponse(status: 200, headers: [], body: Array(body.utf8)))
        #expect(error == .rejected(code: "310000", message: "bad request to <redacted> with <redacted>"))
    }
}
