import Foundation

/// What `livewatch silence list` shows: the silences added with `silence add` (with their id, who added them
/// and when) and the configured ones (marked so, without an id).
public struct SilenceList: Sendable {
    /// The stored silences shown, in id order.
    public var stored: [StoredSilence]
    /// The configured silences shown, in file order; nil with `--database` (no configuration read).
    public var configured: [Silence]?
    /// The moment shown (states are at it).
    public var now: Date

    /// The list at `now`: without `all`, only the silences that are not over (a configured absolute window that
    /// ended, a stored silence expired or ended, are left out).
    public init(stored: [StoredSilence], configured: [Silence]?, all: Bool, now: Date) {
        self.stored = all ? stored : stored.filter { $0.state(at: now) == .active || $0.state(at: now) == .pending }
        self.configured = all ? configured : configured?.filter { !$0.hasEnded(at: now) }
        self.now = now
    }

    /// Aligned columns for a terminal, control and bidi characters shown as `\u{1B}`.
    public var table: String {
        var output = ""
        if stored.isEmpty {
            output += "No silence added with `livewatch silence add`.\n"
        } else {
            output += AlertHistory.columns(
                ["ID", "STATE", "MONITOR", "RULE", "SUBJECT", "FROM", "UNTIL", "BY", "ADDED", "COMMENT"],
                stored.map { silence in
                    [
                        "\(silence.id)", silence.state(at: now).rawValue, silence.monitor, silence.rule ?? "any",
                        silence.subject ?? "any", AlertLine.rfc3339(silence.startsAt),
                        AlertLine.rfc3339(silence.stopsAt), silence.createdBy, AlertLine.rfc3339(silence.createdAt),
                        silence.comment,
                    ]
                })
        }
        guard let configured else { return output }
        output += "\nConfigured (silences: in the configuration file):\n"
        if configured.isEmpty {
            output += "None.\n"
        } else {
            output += AlertHistory.columns(
                ["NAME", "STATE", "MONITORS", "RULES", "SUBJECTS", "WINDOW", "COMMENT"],
                configured.map { silence in
                    [
                        silence.name, state(of: silence), Self.names(silence.monitors),
                        Self.names(silence.rules.map { Set($0.map(\.rawValue)) }), Self.names(silence.subjects),
                        Self.describe(silence.window), silence.comment ?? "",
                    ]
                })
        }
        return output
    }

    func state(of silence: Silence) -> String {
        if silence.hasEnded(at: now) { return "ended" }
        return silence.isActive(at: now) ? "active" : "waiting"
    }

    static func names(_ names: Set<String>?) -> String {
        names.map { $0.sorted().joined(separator: ",") } ?? "any"
    }

    /// `from T until T`, `until T`, or `daily 02:00-04:00 Asia/Shanghai sat,sun`.
    static func describe(_ window: Silence.Window) -> String {
        switch window {
        case .between(let start, let end):
            return (start.map { "from \(AlertLine.rfc3339($0)) " } ?? "") + "until \(AlertLine.rfc3339(end))"
        case .daily(let from, let to, let timeZone, let weekdays):
            func time(_ minutes: Int) -> String {
                String(format: "%02d:%02d", minutes / 60, minutes % 60)
            }
            // Monday first: (weekday + 5) % 7 is 0 for Monday ... 6 for Sunday.
            let week = ConfigurationLoader.weekdayNames.sorted { ($0.value + 5) % 7 < ($1.value + 5) % 7 }
            let days = weekdays.map { days in
                " " + week.filter { days.contains($0.value) }.map(\.key).joined(separator: ",")
            }
            return "daily \(time(from))-\(time(to)) \(timeZone.identifier)" + (days ?? "")
        }
    }
}
