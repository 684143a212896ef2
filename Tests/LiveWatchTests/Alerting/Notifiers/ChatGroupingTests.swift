import Foundation
import Testing
import VendorSimulator

@testable import LiveWatch

/// Grouped chat messages (pure): the order lines are listed in, the split at each service's size
/// limit, the rate limiter's arithmetic and each service's "too fast" answer.
@Suite struct ChatGroupingTests {
    static let start = Date(timeIntervalSince1970: 1_795_311_000)

    static func line(
        _ state: AlertLine.State, _ severity: Severity, subject: String, message: String = "authorization ends soon",
        at offset: Double = 0
    ) -> AlertNotification {
        AlertNotification(
            line: AlertLine(
                time: start.addingTimeInterval(offset), state: state, severity: severity,
                rule: .platformAuthorizationExpiring, monitor: "metastudio-cn4", subject: subject, message: message),
            startedAt: start)
    }

    static func configuration(_ kind: NotifierConfiguration.Kind) -> NotifierConfiguration {
        let url: String
        switch kind {
        case .dingtalk: url = "https://oapi.dingtalk.com/robot/send?access_token=tok"
        case .wecom: url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"
        case .feishu: url = "https://open.feishu.cn/open-apis/bot/v2/hook/abc"
        default: url = "https://hooks.slack.com/services/T/B/X"
        }
        let secret: Secret? = kind == .dingtalk || kind == .feishu ? Secret("SEC0123456789abcdef") : nil
        return NotifierConfiguration(name: "chat", kind: kind, url: Secret(url), secret: secret)
    }

    static func chat(_ kind: NotifierConfiguration.Kind) -> (any ChatNotifier)? {
        configuration(kind).makeNotifier() as? any ChatNotifier
    }

    static let chatKinds: [NotifierConfiguration.Kind] = [.dingtalk, .wecom, .feishu, .slack]

    /// The size the receiver measures for `kind`, from the request body: what must stay within its limit.
    static func measuredSize(_ kind: NotifierConfiguration.Kind, _ body: [UInt8]) -> Int {
        let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        switch kind {
        case .dingtalk: return ((object?["markdown"] as? [String: Any])?["text"] as? String)?.utf8.count ?? -1
        case .wecom: return ((object?["markdown"] as? [String: Any])?["content"] as? String)?.utf8.count ?? -1
        case .feishu: return body.count
        default: return (object?["text"] as? String)?.count ?? -1
        }
    }

    @Test func mostSevereFirstEachAlertsLinesTogetherAndResolvedAfterFiringOfTheSameSeverity() {
        let group = [
            Self.line(.firing, .warning, subject: "a"), // 0
            Self.line(.resolved, .critical, subject: "c"), // 1
            Self.line(.firing, .critical, subject: "b"), // 2
            Self.line(.notice, .info, subject: "d"), // 3
            Self.line(.firing, .warning, subject: "e"), // 4
            Self.line(.resolved, .warning, subject: "e", at: 5), // 5
            Self.line(.firing, .critical, subject: "f"), // 6
            Self.line(.resolved, .critical, subject: "f", at: 5), // 7
        ]
        // b (critical, firing); then critical alerts whose last line resolved, in queue order: c, f (its
        // firing before its resolution); then warnings: a firing, e resolved; then the notice.
        #expect(ChatGrouping.order(group) == [2, 1, 6, 7, 0, 4, 5, 3])
    }

    @Test(arguments: chatKinds)
    func aGroupIsOneMessageWithAHeaderCountingItsLinesAndResolvedOnesMarked(kind: NotifierConfiguration.Kind) throws {
        let notifier = try #require(Self.chat(kind))
        let group = [
            Self.line(.firing, .warning, subject: "p-1"), Self.line(.firing, .critical, subject: "p-2"),
            Self.line(.resolved, .critical, subject: "p-3"),
        ]
        let (message, request) = try #require(notifier.firstMessage(of: group, now: Self.start))
        #expect(message.lines == [1, 2, 0])
        #expect(message.title == "livewatch: 3 alerts — 2 firing, 1 resolved")
        let body = String(decoding: request.body ?? [], as: UTF8.self)
        #expect(body.contains("livewatch: 3 alerts — 2 firing, 1 resolved"))
        #expect(body.contains("RESOLVED (was critical)"))
        let positions = ["metastudio-cn4/p-2", "metastudio-cn4/p-3", "metastudio-cn4/p-1"].compactMap {
            message.text.range(of: $0)?.lowerBound
        }
        #expect(positions.count == 3 && positions == positions.sorted())
    }

    @Test func aGroupOfOneLineIsTheSingleLineMessage() throws {
        let notifier = try #require(Self.chat(.wecom))
        let (message, request) = try #require(
            notifier.firstMessage(of: [SampleNotifications.firing], now: Self.start))
        #expect(message.lines == [0])
        #expect(
            request.body
                == WeComNotifier(configuration: Self.configuration(.wecom)).payload(
                    for: SampleNotifications.firing
                ).bytes)
    }

    /// Splitting: every message within the limit as the service measures it, every line in exactly one
    /// message, and no more messages than needed (each but the last could not take the next line).
    @Test(arguments: chatKinds)
    func aGroupIsSplitOnlyAtTheServicesSizeLimit(kind: NotifierConfiguration.Kind) throws {
        let notifier = try #require(Self.chat(kind))
        let limit = try #require(NotificationReceiver.limits(NotificationReceiver.Kind(rawValue: kind.rawValue)!))
        // Long messages with quotes and Chinese text (which JSON escaping and UTF-8 make larger).
        var remaining = (0..<400).map { index in
            Self.line(
                index % 7 == 0 ? .resolved : .firing, [Severity.info, .warning, .critical][index % 3],
                subject: String(format: "plat-%03d", index),
                message: "授权 \"\(index)\" " + String(repeating: "长文本 ", count: 20 + index % 40))
        }
        var seen: [String: Int] = [:]
        var messages = 0
        while !remaining.isEmpty {
            let (message, request) = try #require(notifier.firstMessage(of: remaining, now: Self.start))
            messages += 1
            let size = Self.measuredSize(kind, request.body ?? [])
            #expect(size > 0 && size <= limit.messageLimit, "\(kind) message \(messages): \(size) bytes")
            try #require(!message.lines.isEmpty)
            for index in message.lines {
                seen[remaining[index].line.subject, default: 0] += 1
                #expect(message.text.contains("metastudio-cn4/\(remaining[index].line.subject)"))
            }
            let taken = Set(message.lines)
            remaining = remaining.enumerated().filter { !taken.contains($0.offset) }.map(\.element)
        }
        #expect(seen.count == 400 && seen.values.allSatisfy { $0 == 1 })
        #expect(messages > 1)
    }

    @Test(arguments: chatKinds)
    func aLineLargerThanTheLimitIsCutToFit(kind: NotifierConfiguration.Kind) throws {
        let notifier = try #require(Self.chat(kind))
        let limit = try #require(NotificationReceiver.limits(NotificationReceiver.Kind(rawValue: kind.rawValue)!))
        let huge = Self.line(.firing, .critical, subject: "big", message: String(repeating: "\"长\"", count: 30_000))
        for group in [[huge], [huge, Self.line(.firing, .warning, subject: "small")]] {
            let (message, request) = try #require(notifier.firstMessage(of: group, now: Self.start))
            #expect(message.lines.first == 0)
            let size = Self.measuredSize(kind, request.body ?? [])
            #expect(size > 0 && size <= limit.messageLimit, "\(kind): \(size)")
        }
    }

    @Test func theLimiterKeepsEveryRateInASlidingWindow() {
        var dingTalk = ChatRateLimiter(rates: DingTalkNotifier.limits.rates)
        for second in 0..<20 { dingTalk.record(Self.start.addingTimeInterval(Double(second))) }
        // The 21st waits until the first leaves the minute.
        #expect(abs(dingTalk.wait(at: Self.start.addingTimeInterval(19)) - 41.001) < 1e-6)
        #expect(dingTalk.wait(at: Self.start.addingTimeInterval(60.001)) == 0)

        var feishu = ChatRateLimiter(rates: FeishuNotifier.limits.rates)
        for _ in 0..<5 { feishu.record(Self.start) }
        #expect(abs(feishu.wait(at: Self.start) - 1.001) < 1e-6)
        for second in 1...19 {
            for _ in 0..<5 { feishu.record(Self.start.addingTimeInterval(Double(second))) }
        }
        // 100 in 20 seconds: the minute's limit holds the 101st until the first second's five leave it.
        #expect(abs(feishu.wait(at: Self.start.addingTimeInterval(20)) - 40.001) < 1e-6)

        var slack = ChatRateLimiter(rates: SlackNotifier.limits.rates)
        #expect(slack.wait(at: Self.start) == 0)
        slack.record(Self.start)
        #expect(slack.wait(at: Self.start.addingTimeInterval(0.5)) > 0.5)
        slack.block(until: Self.start.addingTimeInterval(30))
        #expect(abs(slack.wait(at: Self.start.addingTimeInterval(10)) - 20) < 1e-6)
    }

    @Test func eachServicesTooFastAnswerIsAThrottleWithTheStatedOrDocumentedWait() throws {
        func response(_ status: Int, _ body: String, headers: [(String, String)] = []) -> IncomingResponse {
            IncomingResponse(status: status, headers: headers, body: Array(body.utf8))
        }
        let dingTalk = DingTalkNotifier(configuration: Self.configuration(.dingtalk))
        let weCom = WeComNotifier(configuration: Self.configuration(.wecom))
        let feishu = FeishuNotifier(configuration: Self.configuration(.feishu))
        let slack = SlackNotifier(configuration: Self.configuration(.slack))
        func wait(_ error: NotifierError?) -> Double? {
            if case .throttled(let wait, _)? = error { return wait }
            return nil
        }
        #expect(wait(dingTalk.check(response(200, #"{"errcode":130101,"errmsg":"send too fast"}"#))) == 600)
        #expect(wait(weCom.check(response(200, #"{"errcode":45009,"errmsg":"api freq out of limit"}"#))) == 60)
        #expect(
            wait(feishu.check(response(429, #"{"code":9499}"#, headers: [("X-Ogw-Ratelimit-Reset", "7")]))) == 7)
        #expect(wait(feishu.check(response(200, #"{"code":9499,"msg":"too many request"}"#))) == 60)
        #expect(wait(feishu.check(response(200, #"{"code":11232,"msg":"rate limited"}"#))) == 60)
        #expect(wait(slack.check(response(429, "rate_limited", headers: [("Retry-After", "12")]))) == 12)
        #expect(wait(slack.check(response(429, "rate_limited"))) == 30)
        // Feishu's 9499 with HTTP 400 is its "Bad Request": a refused payload, not a throttle.
        #expect(feishu.check(response(400, #"{"code":9499,"msg":"Bad Request"}"#))?.isRetryable == false)
        // Other errors are what they were.
        #expect(
            dingTalk.check(response(200, #"{"errcode":310000,"errmsg":"sign not match"}"#))
                == .rejected(
                    code: "310000", message: "sign not match"))
        #expect(NotifierError.throttled(retryAfter: 60, detail: "x").isRetryable)
    }
}
