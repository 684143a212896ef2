import ArgumentParser
import Foundation
import LiveWatch

/// `livewatch report NAME`: canned reports over the history, from a read-only connection.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print a report over the history: \(ReportName.allCases.map(\.rawValue).joined(separator: ", ")).")

    @Argument(help: "The report: \(ReportName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var name: String

    @OptionGroup var options: HistoryOptions

    @Option(help: "Look back this far (e.g. 24h, 7d, 90d).")
    var since: String = "7d"

    @Option(help: "Only this monitor.")
    var monitor: String?

    @Option(help: "table, json or csv.")
    var format: String = "table"

    @Option(help: "Buckets of the reports over time: hour or day.")
    var by: String = "day"

    @Option(help: "Rows at most for top-N reports.")
    var limit: Int = 20

    func run() async throws {
        guard let report = ReportName(rawValue: name) else {
            Console.error(
                "error: unknown report \"\(name)\" (use \(ReportName.allCases.map(\.rawValue).joined(separator: ", ")))"
            )
            throw ExitCode(2)
        }
        guard let seconds = DurationParser.seconds(since), seconds > 0 else {
            Console.error("error: --since: not a duration such as 24h or 7d (got \"\(since)\")")
            throw ExitCode(2)
        }
        guard let output = ReportFormat(rawValue: format) else {
            Console.error("error: --format must be table, json or csv (got \"\(format)\")")
            throw ExitCode(2)
        }
        guard by == "hour" || by == "day" else {
            Console.error("error: --by must be hour or day (got \"\(by)\")")
            throw ExitCode(2)
        }
        let database = try options.load().databasePath
        let table = try await Console.exitingOnError(database) {
            try Reports.run(
                ReportRequest(name: report, since: seconds, monitor: monitor, byHour: by == "hour", limit: limit),
                databasePath: database)
        }
        Console.output(output.render(table))
    }
}

/// `livewatch db check|vacuum|prune`: database maintenance.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Database maintenance.",
        subcommands: [Check.self, Vacuum.self, Prune.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run \(Maintenance.integrityCheckSQL) (read-only; safe while the daemon runs).")
        @OptionGroup var options: HistoryOptions

        func run() async throws {
            let database = try options.load().databasePath
            let rows = try await Console.exitingOnError(database) {
                try Maintenance.integrityCheck(path: database)
            }
            Console.output(rows.map(DisplayText.terminal).joined(separator: "\n") + "\n")
            if rows != ["ok"] { throw ExitCode(1) }
        }
    }

    struct Vacuum: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild the file to its smallest size (stop the daemon first).")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let configuration = try options.load()
            let path = configuration.daemon.database
            let sizes = try await Console.exitingOnError { try Maintenance.vacuum(path: path) }
            Console.line("vacuumed \(path): \(sizes.before) -> \(sizes.after) bytes")
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prune history older than the configured retention now.")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let configuration = try options.load()
            let summary = try await Console.exitingOnError {
                let store = try Store(path: configuration.daemon.database)
                let summary = try await Retention(policy: RetentionPolicy(configuration.daemon)).prune(
                    store: store, now: Date())
                store.close()
                return summary
            }
            for (table, count) in summary.deletedRows.sorted(by: { $0.key < $1.key }) where count > 0 {
                Console.line("\(table): \(count) rows deleted")
            }
            Console.line(
                "\(summary.totalDeleted) rows deleted in \(summary.batches) batches; \(summary.pagesFreed) pages freed")
        }
    }
}
