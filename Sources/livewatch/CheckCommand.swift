import ArgumentParser
import Foundation
import LiveWatch

/// `livewatch check`: a Nagios / Icinga / Zabbix plugin. One line on standard output, starting
/// `LIVEWATCH <STATUS> - `, performance data after `|`, and the plugin exit codes 0, 1, 2, 3 (3 also for bad
/// arguments and unknown options: see `main(arguments:)`).
struct CheckCommand: ParsableCommand {
    /// The subcommand's name.
    static let name = "check"

    static let configuration = CommandConfiguration(
        commandName: name,
        abstract: "A Nagios/Icinga plugin: OK, WARNING, CRITICAL or UNKNOWN from the database (exit 0, 1, 2, 3).",
        discussion: """
            The status is the worst of the alerts firing now for the selected monitors (a silenced one counts as \
            OK) and CRITICAL for a selected monitor whose last successful poll is older than --max-age (default: \
            three of its intervals; 10m with --database) or that has none. The database is opened read-only and \
            never created; no secret is read.
            """)

    @Option(
        name: .long,
        help:
            "Configuration file (default: $LIVEWATCH_CONFIG, then /etc/livewatch/livewatch.yaml); its secrets are not read."
    )
    var config: String?

    @Option(name: .long, help: "Read this database alone (not with --config): every monitor it holds polls of.")
    var database: String?

    @Option(name: .long, help: "Only this monitor (repeatable).")
    var monitor: [String] = []

    @Option(name: .long, help: "CRITICAL when a monitor's last successful poll is older than this, e.g. 5m.")
    var maxAge: String?

    func run() throws {
        let result = evaluate()
        Console.output(result.line + "\n")
        throw ExitCode(result.exitCode)
    }

    /// The verdict; every problem with the arguments, configuration or database is an UNKNOWN result.
    func evaluate() -> CheckResult {
        if config != nil, database != nil { return .unknown("--config and --database cannot be used together") }
        var seconds: Double?
        if let maxAge {
            guard let parsed = DurationParser.seconds(maxAge), parsed > 0 else {
                return .unknown("--max-age must be a duration such as 5m or 1h (got \(maxAge.prefix(40)))")
            }
            seconds = parsed
        }
        if let database {
            guard !database.isEmpty else { return .unknown("--database needs a path") }
            return CheckRun(source: .database(database), monitors: monitor, maxAge: seconds).result()
        }
        let path = ConfigurationLoader.resolvePath(config)
        let configuration: HistoryConfiguration
        do {
            configuration = try ConfigurationLoader().loadForHistory(path: path)
        } catch {
            let more = error.problems.count > 1 ? " (+\(error.problems.count - 1) more problems)" : ""
            let first = error.problems.first.map { "\($0)" } ?? "invalid"
            return .unknown("bad configuration \(path): \(first)\(more)")
        }
        return CheckRun(source: .configuration(configuration), monitors: monitor, maxAge: seconds).result()
    }

    /// Runs `livewatch check ARGUMENTS` (the arguments after `check`). Help and `--version` behave as everywhere
    /// else; any other parsing error (an unknown option, a missing value) is `LIVEWATCH UNKNOWN - ...` and
    /// exit status 3 instead of argument-parser's 64, as a monitoring system expects of a plugin.
    /// Runs without Swift's concurrency runtime: the check reads SQLite synchronously.
    static func main(arguments: [String]) {
        do {
            var command = try LiveWatchCommand.parseAsRoot([name] + arguments)
            try command.run()
        } catch {
            if error is ExitCode || LiveWatchCommand.exitCode(for: error) == .success {
                LiveWatchCommand.exit(withError: error)
            }
            let message = LiveWatchCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? ""
            Console.output(CheckResult.unknown("bad arguments: \(message)").line + "\n")
            LiveWatchCommand.exit(withError: ExitCode(CheckStatus.unknown.rawValue))
        }
    }
}
