import Foundation

/// What `livewatch alerts` shows: the alerts firing (and pending) now, optionally
/// the episodes of a recent period, and each notifier's delivery counters. Read
/// from a read-only connection, so it works while the daemon runs.
public struct AlertHistory: Sendable {
    /// One alert episode (a row of `alerts`, or a pending alert).
    public struct Episode: Sendable, Equatable {
        /// The rule's name.
        public var rule: String
        /// The monitor's name.
        public var monitor: String
        /// What the alert is about (a platform id, a link, the monitor itself).
        public var subject: String
        /// `info`, `warning` or `critical`.
        public var severity: String
        /// `pending`, `firing` or `resolved`.
        public var state: String
        /// When it started firing (or became pending).
        public var startedAt: Date
        /// When it resolved; nil while it fires.
        public var resolvedAt: Date?
        /// The value last evaluated, if the rule has one.
        public var lastValue: Double?
        /// The last message written.
        public var message: String
        /// A silence covers it now (firing and pending alerts only).
        public var silenced: Bool
        /// The silence that covers it: a configured silence's name, or `id N` for one added with `silence add`.
        public var silencedBy: String? = nil
    }

    /// A notifier's delivery counters (`notifier_stats`) and queue length.
    public struct NotifierStatus: Sendable, Equatable {
        /// The notifier's name.
        public var name: String
        /// Notifications waiting in its outbox.
        public var queued: Int
        /// Notifications delivered.
        public var delivered: Int
        /// Attempts that failed (each retried, or given up).
        public var failedAttempts: Int
        /// Notifications given up.
        public var givenUp: Int
        /// The last failure's reason.
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

    /// The moment shown (durations are counted to it).
    public var now: Date
    /// The alerts firing now, then those pending, oldest first.
    public var firing: [Episode]
    /// Episodes that started or resolved within `--since`; nil without it.
    public var history: [Episode]?
    /// Each notifier's counters: those configured, then any other the database knows.
    public var notifiers: [NotifierStatus]
    /// The alert-log outbox's queue and drops.
    public var alertLogOutbox = AlertLogOutboxStatus(queued: 0, dropped: 0)

    /// Reads the database at `path` (see `AlertHistoryReader`): the alerts firing and pending now,
    /// those a silence covers marked so, the episodes of the last `since` seconds if asked, and each
    /// notifier's counters; only alerts of `monitors`, unless it is empty.
    public static func load(
        databasePath path: String, since: Double?, monitors: [String], silences: [Silence], notifierNames: [String],
        now: Date
    ) throws -> AlertHistory {
        guard FileManager.default.fileExists(atPath: path) else {
            throw AlertHistoryError(message: "no database at \(path) (has the daemon run yet?)")
        }
        let records = try AlertHistoryReader.read(
            databasePath: path, since: since, notifierNames: notifierNames, now: now)
        let silences = silences + (try SilenceStore.active(at: now, databasePath: path))
        func keep(_ episode: Episode) -> Bool { monitors.isEmpty || monitors.contains(episode.monitor) }
        func marked(_ episode: Episode) -> Episode {
            var episode = episode
            if let rule = AlertRule(rawValue: episode.rule) {
                episode.silencedBy =
                    silences.first {
                        $0.matches(rule: rule, monitor: episode.monitor, subject: episode.subject, at: now)
                    }?.name
                episode.silenced = episode.silencedBy != nil
            }
            return episode
        }
        return AlertHistory(
            now: now, firing: (records.firing + records.pending).map(marked).filter(keep),
            history: records.history?.filter(keep), notifiers: records.notifiers, alertLogOutbox: records.alertLogOutbox
        )
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
                        episode.state + (episode.silenced ? " (silenced by \(episode.silencedBy ?? "?"))" : ""),
                        episode.severity, episode.rule,
                        episode.monitor,
                        episode.subject, AlertLine.rfc3339(episode.startedAt),
                        DurationParser.format(now.timeIntervalSince(episode.startedAt)), episode.message,
                    ]
                })
        }
        if let history {
            output += "\nHistory:\n"
            output +=
                history.isEmpty
                ? "No alert in this period.\n"
                : Self.columns(
                    ["SEVERITY", "RULE", "MONITOR", "SUBJECT", "STARTED", "RESOLVED", "FIRED FOR", "MESSAGE"],
                    history.map { episode in
                        [
                            episode.severity, episode.rule, episode.monitor, episode.subject,
                            AlertLine.rfc3339(episode.startedAt),
                            episode.resolvedAt.map(AlertLine.rfc3339) ?? "firing",
                            DurationParser.format((episode.resolvedAt ?? now).timeIntervalSince(episode.startedAt)),
                            episode.message,
                        ]
                    })
        }
        if !notifiers.isEmpty {
            output += "\nNotifiers:\n"
            output += Self.columns(
                ["NOTIFIER", "QUEUED", "DELIVERED", "FAILED ATTEMPTS", "GIVEN UP", "DROPPED", "LAST ERROR"],
                notifiers.map {
                    [
                        $0.name, "\($0.queued)", "\($0.delivered)", "\($0.failedAttempts)", "\($0.givenUp)",
                        "\($0.dropped)", $0.lastError ?? "",
                    ]
                })
        }
        if alertLogOutbox.queued > 0 || alertLogOutbox.dropped > 0 {
            output +=
                "\nAlert log outbox: \(alertLogOutbox.queued) line(s) waiting to be written, "
                + "\(alertLogOutbox.dropped) dropped because it was full\n"
        }
        return output
    }

    /// One JSON object: `firing`, `history` (with `--since`), `notifiers`, `alert_log_outbox`.
    public var json: String {
        func encode(_ episode: Episode) -> JSONValue {
            var members: [(String, JSONValue)] = [
                ("rule", .string(episode.rule)), ("monitor", .string(episode.monitor)),
                ("subject", .string(episode.subject)),
                ("severity", .string(episode.severity)), ("state", .string(episode.state)),
                ("started_at", .string(AlertLine.rfc3339(episode.startedAt))),
                ("resolved_at", episode.resolvedAt.map { .string(AlertLine.rfc3339($0)) } ?? .null),
                ("value", episode.lastValue.map { .number($0) } ?? .null), ("message", .string(episode.message)),
            ]
            if episode.state != "resolved" {
                members.append(("silenced", .bool(episode.silenced)))
                members.append(("silenced_by", episode.silencedBy.map { .string($0) } ?? .null))
            }
            return .object(members)
        }
        var members: [(String, JSONValue)] = [
            ("now", .string(AlertLine.rfc3339(now))), ("firing", .array(firing.map(encode))),
        ]
        if let history { members.append(("history", .array(history.map(encode)))) }
        members.append(
            (
                "notifiers",
                .array(
                    notifiers.map { status in
                        .object([
                            ("name", .string(status.name)), ("queued", .integer(Int64(status.queued))),
                            ("delivered", .integer(Int64(status.delivered))),
                            ("failed_attempts", .integer(Int64(status.failedAttempts))),
                            ("given_up", .integer(Int64(status.givenUp))), ("dropped", .integer(Int64(status.dropped))),
                            ("last_error", status.lastError.map { .string($0) } ?? .null),
                        ])
                    })
            ))
        members.append(
            (
                "alert_log_outbox",
                .object([
                    ("queued", .integer(Int64(alertLogOutbox.queued))),
                    ("dropped", .integer(Int64(alertLogOutbox.dropped))),
                ])
            ))
        return JSONValue.object(members).rendered
    }

    static func columns(_ header: [String], _ rows: [[String]]) -> String {
        // Vendor text (subjects, messages, errors) may hold terminal escapes: shown as `\u{1B}`, never sent.
        let all = [header] + rows.map { $0.map { DisplayText.terminal(String($0.prefix(120))) } }
        var widths = header.map(\.count)
        for row in all {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
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
    /// Why.
    public let message: String
    /// The message.
    public var description: String { message }
}
