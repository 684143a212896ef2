import ArgumentParser
import Foundation
import LiveWatch

/// `livewatch alerts`: the alerts firing now, their history, and the notifiers' delivery counters.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Show the alerts firing (and pending) now; with --since, the episodes of that period too.")

    @OptionGroup var options: HistoryOptions

    @Option(
        name: .long, help: "Also list alert episodes that started or resolved within this duration, e.g. 24h or 7d.")
    var since: String?

    @Option(name: .long, help: "Only this monitor (repeatable).")
    var monitor: [String] = []

    @Option(name: .long, help: "Output format: table or json.")
    var format: String = "table"

    func run() async throws {
        // Bad arguments exit with 2, as `livewatch report` does.
        guard ["table", "json"].contains(format) else {
            Console.error("error: --format must be table or json")
            throw ExitCode(2)
        }
        var window: Double?
        if let since {
            guard let seconds = DurationParser.seconds(since), seconds > 0 else {
                Console.error("error: --since must be a duration such as 30m, 24h or 7d")
                throw ExitCode(2)
            }
            window = seconds
        }
        let source = try options.load()
        let history = try await Console.exitingOnError {
            try AlertHistory.load(
                databasePath: source.databasePath, since: window, monitors: monitor, silences: source.silences,
                notifierNames: source.notifierNames, now: Date())
        }
        Console.output(format == "json" ? history.json + "\n" : history.table)
    }
}
