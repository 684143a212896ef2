import ArgumentParser
import Foundation
import LiveWatch
import Logging
import Synchronization

/// The process entry point: SIGPIPE is ignored before anything runs (a closed
/// standard stream or pipe then fails a write instead of killing the process),
/// then the command line is parsed and run.
///
/// `main` is synchronous: `--version`, `--help`, an argument error and `check` (a monitoring plugin, started
/// every minute) end without starting Swift's concurrency runtime and its threads. Only a command that is
/// asynchronous runs in a task, with the main queue serving as an async `main` would.
@main
enum LiveWatchMain {
    static func main() {
        ProcessThreads.configure(
            executorVariable: getenv(ProcessThreads.environmentVariable).map { String(cString: $0) })
        StandardStream.ignoreBrokenPipes()
        let arguments = Array(CommandLine.arguments.dropFirst())
        // `check` is a monitoring plugin: even its argument errors must exit 3 (UNKNOWN), not 64.
        if arguments.first == CheckCommand.name {
            CheckCommand.main(arguments: Array(arguments.dropFirst()))
            return
        }
        let command: any ParsableCommand
        do {
            command = try LiveWatchCommand.parseAsRoot()
        } catch {
            LiveWatchCommand.exit(withError: error)
        }
        guard let asynchronous = command as? any AsyncParsableCommand else {
            var synchronous = command
            do {
                try synchronous.run()
            } catch {
                LiveWatchCommand.exit(withError: error)
            }
            return
        }
        let box = CommandBox(asynchronous)
        Task {
            do {
                try await box.run()
            } catch {
                LiveWatchCommand.exit(withError: error)
            }
            exit(EXIT_SUCCESS)
        }
        dispatchMain()
    }
}

/// Hands the parsed command to the task that runs it: the only reference, used by that task alone.
private final class CommandBox: @unchecked Sendable {
    private var command: any AsyncParsableCommand

    init(_ command: any AsyncParsableCommand) {
        self.command = command
    }

    func run() async throws {
        try await command.run()
    }
}

/// The `livewatch` command line: argument parsing and exit codes only.
struct LiveWatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "livewatch",
        abstract:
            "Watches live-streaming vendor accounts (Polyv, Tencent Cloud Chat, Huawei MetaStudio, Volcengine) and alerts before something runs out.",
        version: LiveWatchVersion.current,
        subcommands: [
            RunCommand.self, PollCommand.self, CheckConfigCommand.self, ReportCommand.self, AlertsCommand.self,
            CheckCommand.self, DatabaseCommand.self, LinkCommand.self, DemoCommand.self,
            SilenceCommand.self,
        ]
    )
}

/// `--config`, shared by every command that reads the configuration.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Configuration file (default: $LIVEWATCH_CONFIG, then /etc/livewatch/livewatch.yaml).")
    var config: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    var path: String { ConfigurationLoader.resolvePath(config) }

    /// Loads and validates the configuration; on problems prints each and exits with 2.
    func load() throws -> Configuration {
        do {
            let configuration = try ConfigurationLoader().load(path: path)
            for warning in configuration.warnings {
                Console.error("warning: \(path): \(warning)")
            }
            return configuration
        } catch {
            for problem in error.problems {
                Console.error("error: \(error.path): \(problem)")
            }
            throw ExitCode(2)
        }
    }

    func makeLogger(label: String) -> Logger {
        let level = Logger.Level(rawValue: logLevel.lowercased()) ?? .info
        LoggingBootstrap.once(level: level)
        return Logger(label: label)
    }
}

/// Standard output and error for the commands, through `write(2)`: a closed or broken stream drops the text
/// (the command goes on and exits as it would have), it never kills the process.
enum Console {
    /// One line on standard error, control and bidi characters shown as `\u{1B}`.
    static func error(_ line: String) {
        StandardStream.error.write(DisplayText.terminal(line) + "\n")
    }

    /// Text on standard output as it is: tables, JSON and CSV already made safe by their formatters.
    static func output(_ text: String) {
        StandardStream.output.write(text)
    }

    /// One line on standard output, control and bidi characters shown as `\u{1B}`.
    static func line(_ line: String) {
        output(DisplayText.terminal(line) + "\n")
    }

    /// Runs `body`; an error it throws (other than an exit) is printed as one `error:` line, after `subject`
    /// when given, and the command exits with status 1.
    static func exitingOnError<T>(_ subject: String? = nil, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            Console.error("error: " + (subject.map { "\($0): " } ?? "") + "\(error)")
            throw ExitCode(1)
        }
    }
}

enum LoggingBootstrap {
    private static let done = Mutex(false)

    /// Bootstraps swift-log once, whichever command asks first.
    static func once(level: Logger.Level) {
        let first = done.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        LoggingSystem.bootstrap { label in JournalLogHandler(label: label, level: level) }
    }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon until SIGTERM or SIGINT; SIGHUP reloads the configuration and reopens the alert log.")

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let configuration = try options.load()
        let logger = options.makeLogger(label: "livewatch")
        let path = options.path
        let daemon = Daemon(
            configuration: configuration, logger: logger, notifier: SystemdNotifier(),
            reloadConfiguration: { try ConfigurationLoader().load(path: path) })
        do {
            try await daemon.run()
        } catch let error as MetricsListenerError {
            // Like a bad configuration at start.
            Console.error("error: \(error)")
            throw ExitCode(2)
        } catch {
            Console.error("error: \(error)")
            throw ExitCode(1)
        }
    }
}

struct PollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poll",
        abstract: "Poll each (or each named) monitor once, store and alert as the daemon would, then summarise.")

    @OptionGroup var options: ConfigOption

    @Option(name: .long, help: "Only this monitor (repeatable).")
    var monitor: [String] = []

    func run() async throws {
        let configuration = try options.load()
        let logger = options.makeLogger(label: "livewatch")
        let reports: [PollReport]
        do {
            reports = try await Daemon.pollOnce(configuration: configuration, names: monitor, logger: logger)
        } catch let error as ConfigurationError {
            for problem in error.problems { Console.error("error: \(problem)") }
            throw ExitCode(2)
        } catch {
            Console.error("error: \(error)")
            throw ExitCode(1)
        }
        for report in reports {
            let milliseconds = Int((report.finishedAt.timeIntervalSince(report.startedAt) * 1_000).rounded())
            // Tab-separated; the vendor's text in a failure is shown with its control characters escaped.
            let monitor = DisplayText.terminal(report.monitor)
            if let failure = report.failure {
                Console.output("\(monitor)\tFAILED\t\(milliseconds) ms\t\(DisplayText.terminal(failure.description))\n")
            } else {
                Console.output("\(monitor)\tok\t\(milliseconds) ms\t\(report.items) item(s)\n")
            }
        }
        if reports.contains(where: { !$0.succeeded }) { throw ExitCode(1) }
    }
}

struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and every secret reference without contacting any vendor.")

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let configuration = try options.load()
        Console.line(
            "\(options.path): valid, \(configuration.monitors.count) monitor(s): "
                + configuration.monitors.map { "\($0.name) (\($0.vendor))" }.joined(separator: ", "))
    }
}
