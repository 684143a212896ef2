import Foundation

/// `type: wecom`: a WeCom (企业微信) group robot, `msgtype: markdown`. WeCom answers
/// HTTP 200 with `errcode` in the body: anything but 0 is a failure.
public struct WeComNotifier: JSONPayloadNotifier {
    /// WeCom's limit on markdown content, in bytes.
    public static let contentLimit = 4_096

    public let configuration: NotifierConfiguration

    public init(configuration: NotifierConfiguration) { self.configuration = configuration }

    public func check(_ response: IncomingResponse) -> NotifierError? {
        NotifierError.checkJSONCode(response, codeKeys: ["errcode"], messageKeys: ["errmsg"], redactor: redactor)
    }

    /// `{"msgtype":"markdown","markdown":{"content":...}}`; the headline is coloured by state.
    public func payload(for notification: AlertNotification) -> JSONValue {
        let color: String
        switch notification.line.state {
        case .firing: color = notification.line.severity == .critical ? "warning" : "comment"
        case .resolved: color = "info"
        case .notice: color = "comment"
        }
        let content =
            "<font color=\"\(color)\">**\(notification.headline)**</font>\n"
            + notification.details.map { "> \($0)" }.joined(separator: "\n")
        return .object([
            ("msgtype", .string("markdown")),
            ("markdown", .object([("content", .string(NotifierSupport.truncated(content, bytes: Self.contentLimit)))])),
        ])
    }
}
