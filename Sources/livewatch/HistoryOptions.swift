import ArgumentParser
import Foundation
import LiveWatch

/// `--config` or `--database`, for the commands that only read the history (`report`, `alerts`, `db check`):
/// the configuration is read without resolving a secret, so they work from an operator's shell.
struct HistoryOptions: ParsableArguments {
    @Option(
        name: .long,
        help:
            "Configuration file (default: $LIVEWATCH_CONFIG, then /etc/livewatch/livewatch.yaml); its secrets are not read."
    )
    var config: String?

    @Option(name: .long, help: "Read this database instead of the configuration's (not with --config).")
    var database: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    /// What the command reads: the configuration's parts that are not secrets, or a database alone.
    enum Source {
        case configuration(HistoryConfiguration)
        case database(String)

        /// The database file to read.
        var databasePath: String {
            switch self {
            case .configuration(let configuration): return configuration.database
            case .database(let path): return path
            }
        }

        /// The configuration's silences (none with `--database`).
        var silences: [Silence] {
            if case .configuration(let configuration) = self { return configuration.silences }
            return []
        }

        /// The configured notifiers' names (none with `--database`: the database names its own).
        var notifierNames: [String] {
            if case .configuration(let configuration) = self { return configuration.notifierNames }
            return []
        }
    }

    /// Why the options cannot be used, or nil: `--config` and `--database` together, or an empty `--database`.
    var conflict: String? {
        if config != nil, database != nil { return "--config and --database cannot be used together" }
        if let database, database.isEmpty { return "--database needs a path" }
        return nil
    }

    /// The source; on bad options or a bad configuration, prints each problem and exits with 2.
    func load() throws -> Source {
        if let conflict {
            Console.error("error: \(conflict)")
            throw ExitCode(2)
        }
        if let database { return .database(database) }
        let path = ConfigurationLoader.resolvePath(config)
        do {
            let configuration = try ConfigurationLoader().loadForHistory(path: path)
            for warning in configuration.warnings {
                Console.error("warning: \(path): \(warning)")
            }
            return .configuration(configuration)
        } catch {
            for problem in error.problems {
                Console.error("error: \(error.path): \(problem)")
            }
            throw ExitCode(2)
        }
    }
}
