import Foundation

/// `type: wecom`: a WeCom (企业微信) group robot, `msgtype: markdown`. WeCom answers
/// HTTP 200 with `errcode` in the body: anything but 0 is a failure. A group robot may send
/// 20 messages a minute; beyond that WeCom answers `45009`.
public struct WeComNotifier: JSONPayloadNotifier, ChatNotifier {
    /// WeCom's limit on markdown content, in bytes.
    public static let contentLimit = 4_096
    /// 20 messages a minute; markdown content of at most 4096 bytes.
    public static let limits = ChatServiceLimits(
        rates: [.init(messages: 20, window: 60)], messageLimit: contentLimit)
    /// "api freq out of limit".
    public static let tooFastCode: Int64 = 45_009

    public let configuration: NotifierConfiguration

    public init(configuration: NotifierConfiguration) { self.configuration = configuration }

    public func check(_ response: IncomingResponse) -> NotifierError? {
        // The limit is per minute: a minute's wait always clears it.
        NotifierError.checkJSONCode(response, codeKeys: ["errcode"], messageKeys: ["errmsg"], redactor: redactor) {
            $0 == Self.tooFastCode ? 60 : nil
        }
    }

    public func request(text: String, title: String, now: Date) -> OutgoingRequest {
        postJSON(markdown(text))
    }

    public func header(_ summary: String) -> String { "**\(summary)**" }

    public func entry(_ notification: AlertNotification) -> String {
        "<font color=\"\(Self.color(notification.line))\">\(ChatGrouping.mark(notification.line))</font> "
            + ChatGrouping.sentence(notification)
    }

    /// WeCom's markdown colours: `warning` (orange) for critical, `comment` (grey) for the rest, `info` (green) resolved.
    static func color(_ line: AlertLine) -> String {
        switch line.state {
        case .firing: return line.severity == .critical ? "warning" : "comment"
        case .resolved: return "info"
        case .notice: return "comment"
        }
    }

    func markdown(_ content: String) -> JSONValue {
        .object([("msgtype", .string("markdown")), ("markdown", .object([("content", .string(content))]))])
    }

    /// `{"msgtype":"markdown","markdown":{"content":...}}`; the headline is coloured by state.
    public func payload(for notification: AlertNotification) -> JSONValue {
        let color = Self.color(notification.line)
        let content =
            "<font color=\"\(color)\">**\(notification.headline)**</font>\n"
            + notification.details.map { "> \($0)" }.joined(separator: "\n")
        return markdown(NotifierSupport.truncated(content, bytes: Self.contentLimit))
    }
}
