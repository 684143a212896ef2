import Foundation

@testable import LiveWatch

/// A folder with a configuration for the built binary (one Polyv monitor against `endpoint`) and its database path.
struct CommandSetup {
    let folder: TemporaryFolder
    let configPath: String
    var databasePath: String { folder.file("livewatch.db") }

    init(endpoint: String = "http://127.0.0.1:9", interval: String = "1s", timeout: String? = nil) throws {
        folder = try TemporaryFolder()
        let secretPath = try folder.writeSecret("polyv-secret", PolyvFixture.secret)
        configPath = try folder.writeConfiguration(
            """
            defaults:
              interval: \(interval)
              jitter: 0%\(timeout.map { "\n  timeout: \($0)" } ?? "")
            polyv:
              - name: polyv-main
                app_id: \(PolyvFixture.appID)
                app_secret: { file: \(secretPath) }
                endpoint: \(endpoint)
            """)
    }
}

extension TemporaryFolder {
    /// Writes `livewatch.yaml` here: a `daemon` section that keeps the database (named `database`) and
    /// `alerts.log` in this folder, then `sections` as they are. Returns the file's path.
    @discardableResult
    func writeConfiguration(database: String = "livewatch.db", _ sections: String) throws -> String {
        let path = file("livewatch.yaml")
        try Data(
            """
            daemon:
              database: \(file(database))
              alert_log: \(file("alerts.log"))
            \(sections)
            """.utf8
        ).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Writes `value` to the file `name` here, readable by its owner only (as a secret file must be). Returns its path.
    @discardableResult
    func writeSecret(_ name: String, _ value: String) throws -> String {
        let path = file(name)
        try Data(value.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        return path
    }
}

/// The built `livewatch` executable next to the test bundle (`swift build --build-tests` builds both).
func livewatchExecutable() throws -> String {
    let argument = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    var candidates = [
        argument, argument.deletingLastPathComponent(), Bundle.main.bundleURL.deletingLastPathComponent(),
    ]
    if let bundle = Bundle.main.executableURL { candidates.insert(bundle.deletingLastPathComponent(), at: 0) }
    for directory in candidates {
        let path = directory.appendingPathComponent("livewatch").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    throw RequireError(message: "the livewatch executable is not built next to the tests (swift build --build-tests)")
}

/// How a run of the built binary ended and what it printed.
struct CommandRun {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// The built `livewatch` as a child process; its standard output and error go to the files `stdout` and
/// `stderr` of a folder, so a long output never blocks it.
struct LivewatchProcess {
    let process: Process
    let stdoutPath: String
    let stderrPath: String

    /// Starts `livewatch ARGUMENTS` writing into `folder`. With a `umask` it starts through `/bin/sh`, which
    /// sets it (a child's umask is its own). The environment is this process's without `LIVEWATCH_CONFIG`
    /// unless one is given.
    static func start(
        _ arguments: [String], in folder: TemporaryFolder, umask: String? = nil, environment: [String: String]? = nil
    ) throws -> LivewatchProcess {
        let executable = try livewatchExecutable()
        let process = Process()
        if let umask {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "umask \(umask) && exec \"$0\" \"$@\"", executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        process.environment = environment ?? ProcessInfo.processInfo.environment.filter { $0.key != "LIVEWATCH_CONFIG" }
        let started = LivewatchProcess(
            process: process, stdoutPath: folder.file("stdout"), stderrPath: folder.file("stderr"))
        for path in [started.stdoutPath, started.stderrPath] {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw RequireError(message: "cannot create \(path)")
            }
        }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: started.stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: started.stderrPath))
        try process.run()
        return started
    }

    /// What it wrote to standard output so far.
    var stdout: String { Self.read(stdoutPath) }
    /// What it wrote to standard error so far.
    var stderr: String { Self.read(stderrPath) }

    /// Waits (at most `timeout` real seconds, see `waitForExit`) for it to exit; returns what it printed.
    func finish(timeout: Double = 60) async throws -> CommandRun {
        try await waitForExit(process, timeout: timeout)
        return CommandRun(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    private static func read(_ path: String) -> String {
        String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
    }
}

/// Runs `livewatch ARGUMENTS` to its end (at most `timeout` real seconds) and returns what it printed.
func runLivewatch(_ arguments: [String], timeout: Double = 60) async throws -> CommandRun {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    return try await LivewatchProcess.start(arguments, in: folder).finish(timeout: timeout)
}
