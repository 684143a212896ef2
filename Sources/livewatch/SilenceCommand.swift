import ArgumentParser
import Foundation
import LiveWatch

/// `livewatch silence add|list|expire`: silences kept in the database, applied by the running daemon at its next
/// poll without a reload.
struct SilenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "silence",
        abstract: "Add, list and expire silences kept in the database; the running daemon applies them at once.",
        subcommands: [Add.self, List.self, Expire.self])

    /// The database path, the known monitors (nil: those the database holds) and the configured silences (nil
    /// with `--database`), read by the history load mode: no secret is resolved. Bad options or a bad
    /// configuration: each problem printed, exit 2.
    static func load(_ options: HistoryOptions) throws -> (
        database: String, monitors: [String]?, configured: [Silence]?
    ) {
        switch try options.load() {
        case .configuration(let configuration):
            return (configuration.database, configuration.monitors.map(\.name), configuration.silences)
        case .database(let path):
            return (path, nil, nil)
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Silence a monitor's alerts (or one rule's, or one subject's) for a while, with a comment.")

        @OptionGroup var source: HistoryOptions

        @Option(name: .long, help: "The monitor whose alerts are silenced (required).")
        var monitor: String?

        @Option(name: .long, help: "Only this rule (default: any).")
        var rule: String?

        @Option(name: .long, help: "Only this subject, as in the alert log (default: any).")
        var subject: String?

        @Option(name: .customLong("for"), help: "How long, e.g. 30m, 2h or 1d (at most 90d).")
        var duration: String?

        @Option(name: .long, help: "Until this RFC 3339 time, e.g. 2026-12-01T18:00:00Z (at most 90 days ahead).")
        var until: String?

        @Option(name: .long, help: "Why (required).")
        var comment: String?

        func run() async throws {
            let (database, configuredMonitors, _) = try SilenceCommand.load(source)
            let monitors: [String]
            if let configuredMonitors {
                monitors = configuredMonitors
            } else {
                monitors = try await Console.exitingOnError { try SilenceStore.monitorNames(databasePath: database) }
            }
            let now = Date()
            let request: SilenceRequest
            do {
                request = try SilenceRequest.make(
                    monitor: monitor, rule: rule, subject: subject, duration: duration, until: until, comment: comment,
                    createdBy: SilenceRequest.invokingUser(), monitors: monitors, now: now)
            } catch {
                Console.error("error: \(error)")
                throw ExitCode(2)
            }
            let silence = try await Console.exitingOnError {
                try SilenceStore.add(request, databasePath: database, now: now)
            }
            Console.line(
                "silence \(silence.id) added: monitor \(silence.monitor), rule \(silence.rule ?? "any"), "
                    + "subject \(silence.subject ?? "any"), until \(AlertLine.rfc3339(silence.endsAt)) "
                    + "(\(DurationParser.format(silence.endsAt.timeIntervalSince(silence.startsAt)))), "
                    + "by \(silence.createdBy)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the silences: those added with `silence add`, then the configured ones.")

        @OptionGroup var source: HistoryOptions

        @Flag(name: .long, help: "Include the silences that are over (expired or ended).")
        var all = false

        func run() async throws {
            let (database, _, configured) = try SilenceCommand.load(source)
            let now = Date()
            let stored = try await Console.exitingOnError {
                try SilenceStore.list(databasePath: database, includingOver: all, now: now)
            }
            Console.output(SilenceList(stored: stored, configured: configured, all: all, now: now).table)
        }
    }

    struct Expire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End a silence added with `silence add` now; the daemon notifies again from its next poll.")

        @OptionGroup var source: HistoryOptions

        @Argument(help: "The silence's id, as `silence list` shows it.")
        var id: String

        func run() async throws {
            guard let number = Int64(id), number > 0 else {
                Console.error("error: the id must be a silence's number, as `livewatch silence list` shows it")
                throw ExitCode(2)
            }
            let (database, _, _) = try SilenceCommand.load(source)
            let outcome = try await Console.exitingOnError {
                try SilenceStore.expire(id: number, databasePath: database, now: Date())
            }
            switch outcome {
            case .expired(let silence):
                Console.line("silence \(silence.id) expired (monitor \(silence.monitor))")
            case .alreadyOver(let silence):
                Console.line("silence \(silence.id) was already over at \(AlertLine.rfc3339(silence.stopsAt))")
            case .notFound:
                Console.error("error: no silence \(number) (see livewatch silence list --all)")
                throw ExitCode(2)
            }
        }
    }
}
