import Foundation
import Testing
import VendorSimulator

@testable import LiveWatch

/// The pure payload builders, against fixed expected JSON, and the signatures
/// against values computed with the vendors' documented sample code.
@Suite struct NotifierPayloadTests {
    func configuration(_ kind: NotifierConfiguration.Kind, name: String = "ops", url: String, secret: String? = nil)
        -> NotifierConfiguration
    {
        NotifierConfiguration(name: name, kind: kind, url: Secret(url), secret: secret.map(Secret.init))
    }

    static let labels =
        #"{"alertname":"mr_concurrency_exhausted","monitor":"polyv-main","severity":"critical","subject":"polyv-main"}"#

    @Test func webhookFiringIsTheAlertmanagerVersion4Payload() {
        let notifier = WebhookNotifier(
            configuration: configuration(.webhook, name: "ops-webhook", url: "https://hooks.example.com/x"))
        let annotations =
            #"{"description":"mr_concurrency_exhausted polyv-main: Polyv MR concurrency exhausted: 0 of 5 left","#
            + #""state":"firing","summary":"Polyv MR concurrency exhausted: 0 of 5 left","threshold":"0","value":"0"}"#
        let expected =
            #"{"receiver":"ops-webhook","status":"firing","alerts":[{"status":"firing","labels":"# + Self.labels
            + #","annotations":"# + annotations
            + #","startsAt":"2026-11-22T01:30:00Z","endsAt":"0001-01-01T00:00:00Z","#
            + #""generatorURL":"","fingerprint":"583ee40e597742bd"}],"#
            + #""groupLabels":{"alertname":"mr_concurrency_exhausted","monitor":"polyv-main","subject":"polyv-main"},"#
            + #""commonLabels":"# + Self.labels + #","commonAnnotations":"# + annotations
            + #","externalURL":"","version":"4","#
            + #""groupKey":"{}:{alertname=\"mr_concurrency_exhausted\", monitor=\"polyv-main\", subject=\"polyv-main\"}","#
            + #""truncatedAlerts":0}"#
        #expect(notifier.payload(for: SampleNotifications.firing).rendered == expected)
        let request = notifier.request(for: SampleNotifications.firing, now: SampleNotifications.firedAt)
        #expect(request.method == "POST" && request.url == "https://hooks.example.com/x")
        #expect(request.headers.contains { $0.0 == "Content-Type" && $0.1.hasPrefix("application/json") })
    }

    @Test func webhookResolvedCarriesEndsAtAndTheFiredForMessage() throws {
        let notifier = WebhookNotifier(configuration: configuration(.webhook, url: "https://hooks.example.com/x"))
        let text = notifier.payload(for: SampleNotifications.resolved).rendered
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["status"] as? String == "resolved")
        let alert = try #require((object["alerts"] as? [[String: Any]])?.first)
        #expect(alert["status"] as? String == "resolved")
        #expect(alert["startsAt"] as? String == "2026-11-22T01:30:00Z")
        #expect(alert["endsAt"] as? String == "2026-11-22T01:35:00Z")
        // Same labels as the firing one: the same fingerprint, so receivers pair them.
        #expect(alert["fingerprint"] as? String == "583ee40e597742bd")
        #expect((alert["annotations"] as? [String: String])?["summary"]?.hasSuffix("(fired for 5m)") == true)
    }

    @Test func fingerprintIsAlertmanagers() {
        // FNV-1a 64 over sorted names and values each followed by 0xff, as prometheus/common computes it.
        #expect(WebhookNotifier.fingerprint([:]) == "cbf29ce484222325")
        #expect(
            WebhookNotifier.fingerprint([
                "alertname": "mr_concurrency_exhausted", "monitor": "polyv-main", "subject": "polyv-main",
                "severity": "warning",
            ])
                == "78a4e0ec651f747a")
    }

    @Test func alertmanagerFirstFiringIsTheAlertAloneHeldFourResendIntervals() {
        let notifier = AlertmanagerNotifier(
            configuration: configuration(.alertmanager, url: "http://alertmanager:9093/"))
        let now = SampleNotifications.firedAt.addingTimeInterval(10)
        let request = notifier.request(for: SampleNotifications.firing, now: now)
        #expect(request.url == "http://alertmanager:9093/api/v2/alerts")
        let annotations =
            #"{"description":"mr_concurrency_exhausted polyv-main: Polyv MR concurrency exhausted: 0 of 5 left","#
            + #""state":"firing","summary":"Polyv MR concurrency exhausted: 0 of 5 left","threshold":"0","value":"0"}"#
        let expected =
            #"[{"labels":{"alertname":"mr_concurrency_exhausted","monitor":"polyv-main","severity":"critical","#
            + #""subject":"polyv-main"},"annotations":"# + annotations
            + #","startsAt":"2026-11-22T01:30:00Z","endsAt":"2026-11-22T01:34:10Z"}]"#
        #expect(String(decoding: request.body ?? [], as: UTF8.self) == expected)
    }

    @Test func alertmanagerLaterFiringLineEndsTheOtherSeverities() throws {
        let notifier = AlertmanagerNotifier(
            configuration: configuration(.alertmanager, url: "http://alertmanager:9093"))
        var escalated = SampleNotifications.firing
        escalated.line.time = SampleNotifications.firedAt.addingTimeInterval(60)
        let body = notifier.payload(for: escalated, now: escalated.line.time).rendered
        let alerts = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]])
        let ends = Dictionary(
            uniqueKeysWithValues: alerts.compactMap { alert -> (String, String)? in
                guard let severity = (alert["labels"] as? [String: String])?["severity"],
                    let endsAt = alert["endsAt"] as? String
                else { return nil }
                return (severity, endsAt)
            })
        #expect(
            ends == [
                "critical": "2026-11-22T01:35:00Z", "warning": "2026-11-22T01:31:00Z", "info": "2026-11-22T01:31:00Z",
            ])
        #expect(alerts.allSatisfy { $0["startsAt"] as? String == "2026-11-22T01:30:00Z" })
    }

    @Test func alertmanagerResolvedEndsTheResolvedSeverityAtTheResolution() throws {
        let notifier = AlertmanagerNotifier(
            configuration: configuration(.alertmanager, url: "http://alertmanager:9093"))
        let body = notifier.payload(for: SampleNotifications.resolved, now: Date()).rendered
        let alerts = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]])
        #expect(alerts.count == 1)
        #expect(alerts.first?["endsAt"] as? String == "2026-11-22T01:35:00Z")
        #expect(
            alerts.first?["labels"] as? [String: String] == [
                "alertname": "mr_concurrency_exhausted", "monitor": "polyv-main", "subject": "polyv-main",
                "severity": "critical",
            ])
        #expect(notifier.resendRequest(firing: [], now: Date()) == nil)
        #expect(notifier.resendRequest(firing: [SampleNotifications.firing], now: Date()) != nil)
    }

    @Test func weComIsMarkdownWithTheHeadline() {
        let notifier = WeComNotifier(
            configuration: configuration(.wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"))
        #expect(
            notifier.payload(for: SampleNotifications.firing).rendered == #"""
                {"msgtype":"markdown","markdown":{"content":"<font color=\"warning\">**livewatch FIRING critical: mr_concurrency_exhausted polyv-main**</font>\n> Polyv MR concurrency exhausted: 0 of 5 left\n> value 0, threshold 0\n> firing since 2026-11-22T01:30:00Z"}}
                """#)
        #expect(
            notifier.payload(for: SampleNotifications.resolved).rendered.contains(
                #"<font color=\"info\">**livewatch RESOLVED: mr_concurrency_exhausted polyv-main**"#))
    }

    @Test func weComContentIsCutToItsLimit() {
        var long = SampleNotifications.firing
        long.line.message = String(repeating: "长", count: 3_000)
        let notifier = WeComNotifier(
            configuration: configuration(.wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"))
        guard case .object(let members) = notifier.payload(for: long), case .object(let markdown)? = members.last?.1,
            case .string(let content)? = markdown.first?.1
        else {
            Issue.record("unexpected payload shape")
            return
        }
        #expect(content.utf8.count <= WeComNotifier.contentLimit)
        #expect(content.hasSuffix("…"))
    }

    @Test func dingTalkIsMarkdownAndSignsTheURLAsDocumented() throws {
        let url = "https://oapi.dingtalk.com/robot/send?access_token=tok"
        let notifier = DingTalkNotifier(
            configuration: configuration(.dingtalk, url: url, secret: "SEC0123456789abcdef"))
        #expect(
            notifier.payload(for: SampleNotifications.firing).rendered == #"""
                {"msgtype":"markdown","markdown":{"title":"livewatch FIRING critical: mr_concurrency_exhausted polyv-main","text":"### livewatch FIRING critical: mr_concurrency_exhausted polyv-main\n\nPolyv MR concurrency exhausted: 0 of 5 left\n\nvalue 0, threshold 0\n\nfiring since 2026-11-22T01:30:00Z"}}
                """#)
        // timestamp 1800000000001 ms; the expected sign comes from DingTalk's Python sample (hmac, base64, quote_plus).
        let request = notifier.request(
            for: SampleNotifications.firing, now: Date(timeIntervalSince1970: 1_800_000_000.001_2))
        #expect(
            request.url == url + "&timestamp=1800000000001&sign=kd%2B%2F9HFTSCSdBAFc%2Fi1z50TGHmU5jmre1cE1hNw1aho%3D")
        #expect(
            DingTalkNotifier.signature(timestamp: 1_800_000_000_000, secret: "SEC0123456789abcdef")
                == "XNUHYPYdlmA7kBpr1fKswrcYEvgQL0pVZMlUvJNyNww=")
        // Without a secret the URL is left alone.
        let unsigned = DingTalkNotifier(configuration: configuration(.dingtalk, url: url))
        #expect(unsigned.request(for: SampleNotifications.firing, now: Date()).url == url)
    }

    @Test func feishuSignsTheBodyAsDocumented() {
        let url = "https://open.feishu.cn/open-apis/bot/v2/hook/abc"
        let notifier = FeishuNotifier(configuration: configuration(.feishu, url: url, secret: "SEC0123456789abcdef"))
        let now = Date(timeIntervalSince1970: 1_800_000_000.9)
        // The expected sign comes from Feishu's Python sample: hmac.new(f"{timestamp}\n{secret}", digestmod=sha256), base64.
        #expect(
            notifier.payload(for: SampleNotifications.firing, now: now).rendered == #"""
                {"timestamp":"1800000000","sign":"WecJPjtj0B1d/6L8usr9tguPcI4A8AqWw8mMflslBWA=","msg_type":"text","content":{"text":"livewatch FIRING critical: mr_concurrency_exhausted polyv-main\nPolyv MR concurrency exhausted: 0 of 5 left\nvalue 0, threshold 0\nfiring since 2026-11-22T01:30:00Z"}}
                """#)
        let unsigned = FeishuNotifier(configuration: configuration(.feishu, url: url))
        #expect(
            unsigned.payload(for: SampleNotifications.resolved, now: now).rendered == #"""
                {"msg_type":"text","content":{"text":"livewatch RESOLVED: mr_concurrency_exhausted polyv-main\nPolyv MR concurrency available again: 4 of 5 left (fired for 5m)\nvalue 4\nresolved at 2026-11-22T01:35:00Z, fired since 2026-11-22T01:30:00Z"}}
                """#)
    }

    @Test func slackIsMrkdwnText() {
        let notifier = SlackNotifier(
            configuration: configuration(.slack, url: "https://hooks.slack.com/services/T/B/X"))
        #expect(
            notifier.payload(for: SampleNotifications.notice).rendered == #"""
                {"text":"*livewatch NOTICE warning: viewing_restriction_changed volc-events/175980616*\nviewing restriction of 175980616 changed: custom_url\nat 2026-11-22T01:30:00Z"}
                """#)
    }

    @Test func theSimulatorsVerifiersAgreeWithTheSigners() {
        for timestamp: Int64 in [1_800_000_000_000, 1_800_000_000_001, 1_234_567_890_123] {
            #expect(
                DingTalkNotifier.signature(timestamp: timestamp, secret: "s3cret")
                    == NotificationReceiver.dingTalkSign(timestamp: String(timestamp), secret: "s3cret"))
            #expect(
                FeishuNotifier.signature(timestamp: timestamp / 1_000, secret: "s3cret")
                    == NotificationReceiver.feishuSign(timestamp: String(timestamp / 1_000), secret: "s3cret"))
        }
    }

    @Test func aStoredLineReadsBackAsTheSameLine() {
        for notification in [SampleNotifications.firing, SampleNotifications.resolved, SampleNotifications.notice] {
            #expect(AlertLine(json: notification.line.json) == notification.line)
        }
        #expect(AlertLine(json: "{\"time\":\"x\"}") == nil)
        #expect(SampleNotifications.firing.line.json(silenced: true).hasSuffix(#""threshold":0,"silenced":true}"#))
    }
}
