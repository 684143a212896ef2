import Foundation

/// A chat service's documented limits for one robot: how many messages in which window, and how large one may be.
public struct ChatServiceLimits: Sendable, Equatable {
    /// At most `messages` in any `window` seconds.
    public struct Rate: Sendable, Equatable {
        public var messages: Int
        public var window: Double

        public init(messages: Int, window: Double) {
            self.messages = messages
            self.window = window
        }
    }

    /// Every rate must hold at once (Feishu: 5 a second and 100 a minute).
    public var rates: [Rate]
    /// The largest message, as the notifier's `size(of:)` counts it.
    public var messageLimit: Int

    public init(rates: [Rate], messageLimit: Int) {
        self.rates = rates
        self.messageLimit = messageLimit
    }
}

/// A chat robot (DingTalk, WeCom, Feishu, Slack): lines queued within `group_wait` go out as one
/// message listing them, most severe first, split only where the service's size limit requires,
/// and the sender keeps to the service's documented rate.
public protocol ChatNotifier: ConfiguredNotifier {
    /// The service's documented rates and message size limit.
    static var limits: ChatServiceLimits { get }
    /// The size of `text` as it counts toward `limits.messageLimit`; it must add up over concatenation.
    func size(of text: String) -> Int
    /// The first line of a grouped message, made from its plain `summary`.
    func header(_ summary: String) -> String
    /// One alert line of a grouped message.
    func entry(_ notification: AlertNotification) -> String
    /// Between the header and the first entry, and between entries.
    var separator: String { get }
    /// The request that delivers a grouped message: its `text`, and its plain `title` where the service shows one.
    func request(text: String, title: String, now: Date) -> OutgoingRequest
}

/// One message of a group: which lines it holds (indices into the group) and its request.
public struct ChatMessage: Sendable {
    /// Indices of the lines it lists, in the order listed.
    public var lines: [Int]
    /// The text as sent.
    public var text: String
    /// The plain summary (DingTalk's title).
    public var title: String
}

extension ChatNotifier {
    public func size(of text: String) -> Int { text.utf8.count }

    public var separator: String { "\n" }

    /// The first message for `group` (lines in queue order): the lines ordered by
    /// `ChatGrouping.order`, as many as fit in `limits.messageLimit`; a single line too large
    /// on its own is cut. A group of one line is sent as the single-line message.
    public func firstMessage(of group: [AlertNotification], now: Date) -> (
        message: ChatMessage, request: OutgoingRequest
    )? {
        guard !group.isEmpty else { return nil }
        if group.count == 1 {
            let request = request(for: group[0], now: now)
            return (ChatMessage(lines: [0], text: group[0].plainText, title: group[0].headline), request)
        }
        let limit = Self.limits.messageLimit
        let order = ChatGrouping.order(group)
        let separatorSize = size(of: separator)
        // Room for the header whatever the counts turn out to be (no count exceeds the group's size).
        let n = group.count
        let reserve = size(of: header(ChatGrouping.summary(firing: n, resolved: n, notices: n, more: n)))
        let budget = limit - reserve
        var entries: [String] = []
        var used = 0
        for index in order {
            var text = entry(group[index])
            var entrySize = separatorSize + size(of: text)
            if used + entrySize > budget {
                guard entries.isEmpty else { break }
                text = NotifierSupport.truncated(text, limit: max(0, budget - separatorSize)) { size(of: $0) }
                entrySize = separatorSize + size(of: text)
            }
            entries.append(text)
            used += entrySize
        }
        let lines = Array(order.prefix(entries.count))
        let listed = lines.map { group[$0].line.state }
        let summary = ChatGrouping.summary(
            firing: listed.filter { $0 == .firing }.count, resolved: listed.filter { $0 == .resolved }.count,
            notices: listed.filter { $0 == .notice }.count, more: n - lines.count)
        var text = ([header(summary)] + entries).joined(separator: separator)
        if size(of: text) > limit {
            // Only when the header alone does not fit (a limit smaller than any header): never sent over the limit.
            text = NotifierSupport.truncated(text, limit: limit) { size(of: $0) }
        }
        return (ChatMessage(lines: lines, text: text, title: summary), request(text: text, title: summary, now: now))
    }
}

/// The order and the words of a grouped chat message. Pure.
public enum ChatGrouping {
    /// The order lines are listed in: by alert (rule, monitor, subject), its lines together in queue order;
    /// alerts by their highest severity in the group, most severe first; at equal severity those still
    /// firing (or notices) before those whose last line is a resolution; then in queue order.
    public static func order(_ group: [AlertNotification]) -> [Int] {
        struct Alert {
            var lines: [Int]
            var severity: Severity
            var resolved: Bool
        }
        var alerts: [Alert] = []
        var position: [String: Int] = [:]
        for (index, notification) in group.enumerated() {
            let line = notification.line
            let key = "\(line.rule.rawValue)\u{0}\(line.monitor)\u{0}\(line.subject)"
            if let at = position[key] {
                alerts[at].lines.append(index)
                alerts[at].severity = max(alerts[at].severity, line.severity)
                alerts[at].resolved = line.state == .resolved
            } else {
                position[key] = alerts.count
                alerts.append(Alert(lines: [index], severity: line.severity, resolved: line.state == .resolved))
            }
        }
        let sorted = alerts.enumerated().sorted { first, second in
            if first.element.severity != second.element.severity {
                return first.element.severity > second.element.severity
            }
            if first.element.resolved != second.element.resolved { return !first.element.resolved }
            return first.offset < second.offset
        }
        return sorted.flatMap(\.element.lines)
    }

    /// `livewatch: 3 alerts — 2 firing, 1 resolved`, with `; 5 more follow` when the group is split.
    public static func summary(firing: Int, resolved: Int, notices: Int, more: Int) -> String {
        var parts: [String] = []
        if firing > 0 { parts.append("\(firing) firing") }
        if resolved > 0 { parts.append("\(resolved) resolved") }
        if notices > 0 { parts.append(notices == 1 ? "1 notice" : "\(notices) notices") }
        let total = firing + resolved + notices
        var text = "livewatch: \(total) \(total == 1 ? "alert" : "alerts") — " + parts.joined(separator: ", ")
        if more > 0 { text += "; \(more) more follow" }
        return text
    }

    /// `FIRING critical`, `RESOLVED (was warning)`, `NOTICE info`: how a line is marked in a list.
    public static func mark(_ line: AlertLine) -> String {
        switch line.state {
        case .firing: return "FIRING \(line.severity.rawValue)"
        case .resolved: return "RESOLVED (was \(line.severity.rawValue))"
        case .notice: return "NOTICE \(line.severity.rawValue)"
        }
    }

    /// `mr_concurrency_exhausted polyv-main: the message (value 0, threshold 0; firing since …)`.
    public static func sentence(_ notification: AlertNotification) -> String {
        let details = notification.details
        let rest = details.dropFirst()
        return "\(notification.alertName): \(details.first ?? "")"
            + (rest.isEmpty ? "" : " (" + rest.joined(separator: "; ") + ")")
    }
}
