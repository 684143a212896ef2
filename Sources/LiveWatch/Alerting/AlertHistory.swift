import Foundation
import SQLite

/// What `livewatch alerts` shows: the alerts firing (and pending) now, optionally
/// the episodes of a recent period, and each notifier's delivery counters. Read
/// from a read-only connection, so it works while the daemon runs.
public struct AlertHistory: Sendable {
    /// One alert episode (a row of `alerts`, or a pending alert).
    public struct Episode: Sendable, Equatable {
        public var rule: String
        public var monitor: String
        public var subject: String
        public var severity: String
        /// `pending`, `firing` or `resolved`.
        public var state: String
        public var startedAt: Date
        public var resolvedAt: Date?
        public var lastValue: Double?
        public var message: String
        /// A silence covers it now (firing and pending alerts only).
        public var silenced: Bool
    }

    /// A notifier's delivery counters (`notifier_stats`) and queue length.
    public struct NotifierStatus: Sendable, Equatable {
        public var name: String
        public var queued: Int
        public var delivered: Int
        public var failedAttempts: Int
        public var givenUp: Int
        public var lastError: String?
        /// Notifications dropped because its outbox was full (`daemon.outbox_limit`).
        public var dropped: Int = 0
    }

    /// The alert-log outbox: lines waiting for the alert log, and lines dropped because it was full.
    public struct AlertLogOutboxStatus: Sendable, Equatable {
        /// Lines not yet written to the alert log.
        public var queued: Int
        /// Lines dropped because the outbox was full (`daemon.outbox_limit`).
        public var dropped: Int
    }

    public var now: Date
    public var firing: [Episode]
    /// Episodes that started or resolved within `--since`; nil without it.
    public var history: [Episode]?
    public var notifiers: [NotifierStatus]
    /// The alert-log outbox's queue and drops.
    public var alertLogOutbox = AlertLogOutboxStatus(queued: 0, dropped: 0)

    /// Reads the database at `path`.
    public static func load(
        databasePath path: String, since: Double?, monitors: [String], silences: [Silence], notifierNames: [String], now: Date
    ) throws -> AlertHistory {
        guard FileManager.default.fileExists(atPath: path) else {
            throw AlertHistoryError(message: "no database at \(path) (has the daemon run yet?)")
        }
        let database = try Database(path: path, options: .init(readOnly: true, busyTimeoutMilliseconds: 2_000, journalModeWAL: false))
        let hasLifecycle = try database.scalarInt64("SELECT count(*) FROM sqlite_master WHERE name = 'alert_pending'") ?? 0 > 0
        func keep(_ episode: Episode) -> Bool { monitors.isEmpty || monitors.contains(episode.monitor) }
        func silenced(_ row: Row) -> Bool {
            guard let rule = row.string("rule").flatMap(AlertRule.init(rawValue:)) else { return false }
            return silences.contains {
                $0.matches(rule: rule, monitor: row.string("monitor") ?? "", subject: row.string("subject") ?? "", at: now)
            }
        }
        var firing = try database.query(
            "SELECT rule, monitor, subject, severity, state, started_at, resolved_at, last_value, message FROM alerts WHERE state = 'firing' ORDER BY started_at, id"
        ).map { episode($0, silenced: silenced($0)) }
        if hasLifecycle {
            firing += try database.query("SELECT rule, monitor, subject, severity, since FROM alert_pending ORDER BY since").map { row in
                Episode(
                    rule: row.string("rule") ?? "", monitor: row.string("monitor") ?? "", subject: row.string("subject") ?? "",
                    severity: row.string("severity") ?? "", state: "pending",
                    startedAt: Date(timeIntervalSince1970: Double(row.int64("since") ?? 0)), resolvedAt: nil, lastValue: nil,
                    message: "pending: the condition holds but not yet for the rule's `for`", silenced: silenced(row))
            }
        }
        var history: [Episode]?
        if let since {
            let from = Int64(now.timeIntervalSince1970.rounded(.down)) - Seconds.whole(since)
            history = try database.query(
                """
                SELECT rule, monitor, subject, severity, state, started_at, resolved_at, last_value, message FROM alerts
                WHERE started_at >= ? OR resolved_at >= ? ORDER BY started_at, id
                """, [from, from]
            ).map { episode($0, silenced: false) }.filter(keep)
        }
        var notifiers: [NotifierStatus] = []
        if hasLifecycle {
            var names = notifierNames
            for row in try database.query("SELECT notifier FROM notifier_stats UNION SELECT notifier FROM notification_outbox ORDER BY 1") {
                if let name = row.string("notifier"), !names.contains(name) { names.append(name) }
            }
            for name in names {
                let stats = try database.first(
                    "SELECT delivered, failed_attempts, given_up, last_error FROM notifier_stats WHERE notifier = ?", [name])
                notifiers.append(NotifierStatus(
                    name: name, queued: try NotificationOutbox.pendingCount(notifier: name, in: database),
                    delivered: Int(stats?.int64("delivered") ?? 0), failedAttempts: Int(stats?.int64("failed_attempts") ?? 0),
                    givenUp: Int(stats?.int64("given_up") ?? 0), lastError: stats?.string("last_error"),
                    dropped: try OutboxTrimmer.dropped(.notifier(name), in: database)))
            }
        }
        let outbox = AlertLogOutboxStatus(
            queued: Int(try database.scalarInt64("SELECT count(*) FROM alert_log_outbox") ?? 0),
            dropped: try OutboxTrimmer.dropped(.alertLog, in: database))
        return AlertHistory(
            now: now, firing: firing.filter(keep), history: history, notifiers: notifiers, alertLogOutbox: outbox)
    }

    static func episode(_ row: Row, silenced: Bool) -> Episode {
        Episode(
            rule: row.string("rule") ?? "", monitor: row.string("monitor") ?? "", subject: row.string("subject") ?? "",
            severity: row.string("severity") ?? "", state: row.string("state") ?? "",
            startedAt: Date(timeIntervalSince1970: Double(row.int64("started_at") ?? 0)),
            resolvedAt: row.int64("resolved_at").map { Date(timeIntervalSince1970: Double($0)) },
            lastValue: row.double("last_value"), message: row.string("message") ?? "", silenced: silenced)
    }

    /// Aligned columns for a terminal, control and bidi characters shown as `\u{1B}`.
    public var table: String {
        var output = ""
        if firing.isEmpty {
            output += "No alert is firing.\n"
        } else {
            output += Self.columns(
                ["STATE", "SEVERITY", "RULE", "MONITOR", "SUBJECT", "SINCE", "FOR", "MESSAGE"],
                firing.map { episode in
                    [
                        episode.state + (episode.silenced ? " (silenced)" : ""), episode.severity, episode.rule, episode.monitor,
                        episode.subject, AlertLine.rfc3339(episode.startedAt),
                        DurationParser.format(now.timeIntervalSince(episode.startedAt)), episode.message,
                    ]
                })
        }
        if let history {
            output += "\nHistory:\n"
            output += history.isEmpty ? "No alert in this period.\n" : Self.columns(
                ["SEVERITY", "RULE", "MONITOR", "SUBJECT", "STARTED", "RESOLVED", "FIRED FOR", "MESSAGE"],
                history.map { episode in
                    [
                        episode.severity, episode.rule, episode.monitor, episode.subject, AlertLine.rfc3339(episode.startedAt),
                        episode.resolvedAt.map(AlertLine.rfc3339) ?? "firing",
                        DurationParser.format((episode.resolvedAt ?? now).timeIntervalSince(episode.startedAt)), episode.message,
                    ]
                })
        }
        if !notifiers.isEmpty {
            output += "\nNotifiers:\n"
            output += Self.columns(
                ["NOTIFIER", "QUEUED", "DELIVERED", "FAILED ATTEMPTS", "GIVEN UP", "DROPPED", "LAST ERROR"],
                notifiers.map {
                    [$0.name, "\($0.queued)", "\($0.delivered)", "\($0.failedAttempts)", "\($0.givenUp)", "\($0.dropped)", $0.lastError ?? ""]
                })
        }
        if alertLogOutbox.queued > 0 || alertLogOutbox.dropped > 0 {
            output += "\nAlert log outbox: \(alertLogOutbox.queued) line(s) waiting to be written, "
                + "\(alertLogOutbox.dropped) dropped because it was full\n"
        }
        return output
    }

    /// One JSON object: `firing`, `history` (with `--since`), `notifiers`, `alert_log_outbox`.
    public var json: String {
        func encode(_ episode: Episode) -> JSONValue {
            var members: [(String, JSONValue)] = [
                ("rule", .string(episode.rule)), ("monitor", .string(episode.monitor)), ("subject", .string(episode.subject)),
                ("severity", .string(episode.severity)), ("state", .string(episode.state)),
                ("started_at", .string(AlertLine.rfc3339(episode.startedAt))),
                ("resolved_at", episode.resolvedAt.map { .string(AlertLine.rfc3339($0)) } ?? .null),
                ("value", episode.lastValue.map { .number($0) } ?? .null), ("message", .string(episode.message)),
            ]
            if episode.state != "resolved" { members.append(("silenced", .bool(episode.silenced))) }
            return .object(members)
        }
        var members: [(String, JSONValue)] = [
            ("now", .string(AlertLine.rfc3339(now))), ("firing", .array(firing.map(encode))),
        ]
        if let history { members.append(("history", .array(history.map(encode)))) }
        members.append(("notifiers", .array(notifiers.map { status in
            .object([
                ("name", .string(status.name)), ("queued", .integer(Int64(status.queued))),
                ("delivered", .integer(Int64(status.delivered))), ("failed_attempts", .integer(Int64(status.failedAttempts))),
                ("given_up", .integer(Int64(status.givenUp))), ("dropped", .integer(Int64(status.dropped))),
                ("last_error", status.lastError.map { .string($0) } ?? .null),
            ])
        })))
        members.append(("alert_log_outbox", .object([
            ("queued", .integer(Int64(alertLogOutbox.queued))), ("dropped", .integer(Int64(alertLogOutbox.dropped))),
        ])))
        return JSONValue.object(members).rendered
    }

    static func columns(_ header: [String], _ rows: [[String]]) -> String {
        // Vendor text (subjects, messages, errors) may hold terminal escapes: shown as `\u{1B}`, never sent.
        let all = [header] + rows.map { $0.map { DisplayText.terminal(String($0.prefix(120))) } }
        var widths = header.map(\.count)
        for row in all {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}

/// `livewatch alerts` cannot read the database.
public struct AlertHistoryError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
