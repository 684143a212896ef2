import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A silence asked for on the command line (`livewatch silence add`), checked and cleaned, ready to be stored:
/// one monitor, optionally one rule and one subject (nil: any), from now until a time at most `longest` ahead.
public struct SilenceRequest: Sendable, Equatable {
    /// The monitor whose alerts it silences.
    public var monitor: String
    /// The rule it silences; nil: every rule.
    public var rule: AlertRule?
    /// The subject it silences; nil: every subject.
    public var subject: String?
    /// When it starts (the moment it was added).
    public var startsAt: Date
    /// When it ends.
    public var endsAt: Date
    /// Why it exists; never empty, no control character.
    public var comment: String
    /// Who added it (see `invokingUser`).
    public var createdBy: String

    /// The longest silence `silence add` accepts: 90 days (`--for`, or `--until` that far ahead).
    public static let longest: Double = 90 * 86_400
    /// The longest comment, in characters.
    public static let commentLimit = 500
    /// The longest subject, in characters.
    public static let subjectLimit = 256
    /// The longest user name kept, in characters.
    public static let userLimit = 64

    /// A request from the command line's text; `monitors` are the known monitor names. Throws the one-line
    /// reason a bad argument is refused.
    public static func make(
        monitor: String?, rule: String?, subject: String?, duration: String?, until: String?, comment: String?,
        createdBy: String, monitors: [String], now: Date
    ) throws(SilenceRequestError) -> SilenceRequest {
        guard let monitor, !monitor.isEmpty else { throw SilenceRequestError("--monitor is required") }
        guard monitors.contains(monitor) else {
            let known = monitors.isEmpty ? "none is known" : "known: " + monitors.prefix(20).joined(separator: ", ")
            throw SilenceRequestError("no monitor named \"\(monitor.prefix(64))\" (\(known))")
        }
        var alertRule: AlertRule?
        if let rule {
            guard let known = AlertRule(rawValue: rule) else {
                throw SilenceRequestError(
                    "unknown rule \"\(rule.prefix(64))\" (one of "
                        + AlertRule.allCases.map(\.rawValue).joined(separator: ", ") + ")")
            }
            alertRule = known
        }
        if let subject {
            guard !subject.isEmpty else {
                throw SilenceRequestError("--subject must not be empty (leave it out for any)")
            }
            guard subject.count <= subjectLimit else {
                throw SilenceRequestError("--subject must be at most \(subjectLimit) characters")
            }
            guard !subject.unicodeScalars.contains(where: DisplayText.isUnsafe) else {
                throw SilenceRequestError("--subject must not hold control characters")
            }
        }
        let start = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let end: Date
        switch (duration, until) {
        case (nil, nil), (.some, .some):
            throw SilenceRequestError("give exactly one of --for DURATION and --until TIME")
        case (.some(let duration), nil):
            guard let seconds = DurationParser.seconds(duration), seconds >= 1 else {
                throw SilenceRequestError("--for must be a duration such as 30m, 2h or 1d")
            }
            guard seconds <= longest else {
                throw SilenceRequestError("--for must be at most \(DurationParser.format(longest))")
            }
            end = start.addingTimeInterval(seconds.rounded(.up))
        case (nil, .some(let until)):
            guard let time = AlertLine.parseRFC3339(until) else {
                throw SilenceRequestError(
                    "--until must be an RFC 3339 time such as 2026-12-01T18:00:00Z or 2026-12-02T02:00:00+08:00")
            }
            let seconds = time.timeIntervalSince1970.rounded(.up)
            guard seconds > start.timeIntervalSince1970 else {
                throw SilenceRequestError("--until must be in the future")
            }
            guard seconds - start.timeIntervalSince1970 <= longest else {
                throw SilenceRequestError("--until must be at most \(DurationParser.format(longest)) ahead")
            }
            end = Date(timeIntervalSince1970: seconds)
        }
        let cleaned = clean(comment ?? "")
        guard !cleaned.isEmpty else { throw SilenceRequestError("--comment is required: say why") }
        guard cleaned.count <= commentLimit else {
            throw SilenceRequestError("--comment must be at most \(commentLimit) characters")
        }
        let user = String(clean(createdBy).prefix(userLimit))
        return SilenceRequest(
            monitor: monitor, rule: alertRule, subject: subject, startsAt: start, endsAt: end, comment: cleaned,
            createdBy: user.isEmpty ? "unknown" : user)
    }

    /// `text` with every control, DEL, C1 and bidi formatting character (see `DisplayText.isUnsafe`) replaced
    /// by a space, and white space trimmed from both ends.
    public static func clean(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            scalars.append(DisplayText.isUnsafe(scalar) ? " " : scalar)
        }
        return String(scalars).trimmingCharacters(in: .whitespaces)
    }

    /// The user who runs the command: `$SUDO_USER` when set (the person behind `sudo`), else the effective
    /// user's name from the password database, else `uid N`.
    public static func invokingUser(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let sudo = environment["SUDO_USER"], !sudo.isEmpty { return sudo }
        let uid = geteuid()
        if let entry = getpwuid(uid), let name = entry.pointee.pw_name {
            let text = String(cString: name)
            if !text.isEmpty { return text }
        }
        return "uid \(uid)"
    }
}

/// Why `livewatch silence add` refuses its arguments: one line.
public struct SilenceRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The reason.
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    /// The reason.
    public var description: String { message }
}
