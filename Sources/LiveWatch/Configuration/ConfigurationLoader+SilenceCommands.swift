import Foundation
import Yams

/// What `livewatch silence` takes from the configuration: the database path, the monitors' names and the
/// configured silences. Nothing in it is, or was read from, a secret.
public struct SilenceCommandConfiguration: Sendable {
    /// The SQLite file (`daemon.database`).
    public var database: String
    /// Every monitor's name, in file order.
    public var monitorNames: [String]
    /// The `silences:` list.
    public var silences: [Silence]
    /// Accepted but questionable settings of the sections read.
    public var warnings: [ConfigurationProblem]
}

extension ConfigurationLoader {
    /// Loads the file at `path` for `livewatch silence`: `daemon` and `silences` are read and checked as
    /// `load(path:)` does, each monitor only for its `name`; no secret reference is resolved, so it works from an
    /// operator's shell without the service's credentials. (The one place to switch to the history load mode of
    /// the read-only commands when it exists.)
    public func loadForSilenceCommands(path: String) throws(ConfigurationError) -> SilenceCommandConfiguration {
        func failure(_ message: String) -> ConfigurationError {
            ConfigurationError(
                path: path, problems: [ConfigurationProblem(line: nil, owner: nil, key: "", message: message)])
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw failure("cannot read the file") }
        guard data.count <= 4 << 20 else { throw failure("is larger than 4 MiB") }
        guard let text = String(data: data, encoding: .utf8) else { throw failure("is not UTF-8 text") }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { throw failure("the file is empty") }
            root = node
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError(path: path, problems: [Self.problem(fromYAML: error)])
        }
        let collector = ProblemCollector()
        guard
            let top = MappingReader(
                root, owner: nil, prefix: "", collector: collector, environment: [:], what: "the top level")
        else { throw ConfigurationError(path: path, problems: collector.problems) }
        let daemon = top.value("daemon").map { readDaemon($0, collector: collector) } ?? DaemonSettings()
        var names: [String] = []
        for section in ["polyv", "tencent_chat", "metastudio", "volcengine"] {
            guard let node = top.value(section), case .sequence(let items) = node else { continue }
            for item in items {
                if let name = Self.peekName(item), !names.contains(name) { names.append(name) }
            }
        }
        let silences =
            top.value("silences").map {
                readSilences($0, monitorNames: Set(names), now: Date(), collector: collector)
            } ?? []
        guard collector.problems.isEmpty else { throw ConfigurationError(path: path, problems: collector.problems) }
        return SilenceCommandConfiguration(
            database: daemon.database, monitorNames: names, silences: silences, warnings: collector.warnings)
    }
}
