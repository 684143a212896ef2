import Foundation
import SQLite
import Testing
@testable import LiveWatch
import VendorSimulator

/// The database file as the built `livewatch` meets it: a schema version it did not write, and the
/// mode of the files it creates. Each run is a child process, so its umask is its own.
@Suite struct DatabaseFileTests {
    static let appID = "file-app"
    static let secret = "file-test-secret-3c9d2a"

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// A folder with a configuration (one Polyv monitor at `endpoint`) and the secret it reads.
    struct Setup {
        let folder: TemporaryFolder
        let config: String

        var database: String { folder.file("livewatch.db") }

        init(endpoint: String) throws {
            folder = try TemporaryFolder()
            let secretPath = folder.file("polyv.secret")
            #expect(FileManager.default.createFile(
                atPath: secretPath, contents: Data(DatabaseFileTests.secret.utf8), attributes: [.posixPermissions: 0o600]))
            config = folder.file("livewatch.yaml")
            try Data("""
                daemon:
                  database: \(folder.file("livewatch.db"))
                  alert_log: \(folder.file("alerts.log"))
                defaults:
                  interval: 1s
                  jitter: 0%
                  timeout: 2s
                polyv:
                  - name: polyv-main
                    app_id: \(DatabaseFileTests.appID)
                    app_secret: { file: \(secretPath) }
                    endpoint: \(endpoint)
                """.utf8).write(to: URL(fileURLWithPath: config))
        }
    }

    /// Starts `livewatch ARGUMENTS` through `/bin/sh` with the given umask; output goes to files in `folder`.
    static func start(_ arguments: [String], umask: String, in folder: TemporaryFolder) throws -> Process {
        let executable = try LinkCommandTests.executable()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "umask \(umask) && exec \"$0\" \"$@\"", executable.path] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "LIVEWATCH_CONFIG")
        process.environment = environment
        for name in ["stdout", "stderr"] {
            #expect(FileManager.default.createFile(atPath: folder.file(name), contents: nil))
        }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: folder.file("stdout")))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: folder.file("stderr")))
        try process.run()
        return process
    }

    /// Waits (at most 30 s) for `process` to exit and returns what it printed.
    static func finish(_ process: Process, in folder: TemporaryFolder) async throws -> Run {
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning {
            guard Date() < deadline else {
                process.terminate()
                throw WaitTimeout()
            }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        func read(_ name: String) -> String {
            String(decoding: FileManager.default.contents(atPath: folder.file(name)) ?? Data(), as: UTF8.self)
        }
        return Run(status: process.terminationStatus, stdout: read("stdout"), stderr: read("stderr"))
    }

    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return ((attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1) & 0o777
    }

    /// A schema version livewatch never wrote stops `poll` and `run` with one line and status 1, no trap.
    @Test(arguments: [-1, Int(Int32.min), Schema.migrator.latestVersion + 1, Int(Int32.max)], [["poll"], ["run"]])
    func aSchemaVersionItDidNotWriteIsOneLineAndStatus1(version: Int, command: [String]) async throws {
        // Nothing is polled: the database is refused first (port 9 is discard; nothing listens there).
        let setup = try Setup(endpoint: "http://127.0.0.1:9")
        defer { setup.folder.remove() }
        do {
            let database = try Database(path: setup.database)
            try database.setUserVersion(version)
        }
        let run = try await Self.finish(
            try Self.start(command + ["--config", setup.config], umask: "077", in: setup.folder), in: setup.folder)
        let latest = Schema.migrator.latestVersion
        let problem = version < 0
            ? "database schema version \(version) was not written by livewatch"
            : "database schema version \(version) is newer than this livewatch (\(latest)); upgrade livewatch"
        #expect(run.status == 1, "\(command): \(run.stderr)")
        #expect(run.stderr == "error: \(setup.database): \(problem)\n", "\(command)")
        #expect(run.stdout.isEmpty, "\(command): \(run.stdout)")
        let untouched = try Database(path: setup.database, options: .init(readOnly: true))
        #expect(try untouched.userVersion() == version)
        #expect(try untouched.query("SELECT name FROM sqlite_master").isEmpty, "nothing was migrated")
    }

    /// Under umask 022 the daemon creates its database, WAL and shared-memory files 0600; a database
    /// file the operator created keeps the mode they gave it.
    @Test func theDatabaseFilesAreOwnerOnlyWhateverTheUmaskAndAnOperatorsModeIsKept() async throws {
        let simulator = VendorSimulator()
        try await simulator.start()
        simulator.polyv.addApplication(appID: Self.appID, secret: Self.secret, total: 5, used: 1)
        let setup = try Setup(endpoint: simulator.baseURL)
        defer { setup.folder.remove() }

        let daemon = try Self.start(["run", "--config", setup.config], umask: "022", in: setup.folder)
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        // Wait (with a deadline) until a poll is stored and the WAL and shared memory exist.
        let deadline = Date().addingTimeInterval(30)
        var stored = false
        while Date() < deadline, daemon.isRunning, !stored {
            let files = ["", "-wal", "-shm"].allSatisfy { FileManager.default.fileExists(atPath: setup.database + $0) }
            if files, let reader = try? Database(path: setup.database, options: .init(readOnly: true)),
               (try? reader.scalarInt64("SELECT count(*) FROM polls WHERE ok = 1")) ?? 0 > 0 {
                stored = true
            } else {
                try await Task.sleep(nanoseconds: 50_000_000)
            }
        }
        #expect(stored, "no poll stored while the daemon ran")
        for suffix in ["", "-wal", "-shm"] {
            #expect(try Self.mode(setup.database + suffix) == 0o600, "livewatch.db\(suffix)")
        }
        kill(daemon.processIdentifier, SIGTERM)
        let stopped = try await Self.finish(daemon, in: setup.folder)
        #expect(stopped.status == 0, "\(stopped.stderr)")

        // The operator made the file, with the mode they want: it stays.
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: setup.database + suffix) {
            try FileManager.default.removeItem(atPath: setup.database + suffix)
        }
        #expect(FileManager.default.createFile(atPath: setup.database, contents: nil, attributes: [.posixPermissions: 0o644]))
        let poll = try await Self.finish(
            try Self.start(["poll", "--config", setup.config], umask: "022", in: setup.folder), in: setup.folder)
        #expect(poll.status == 0, "\(poll.stderr)")
        #expect(try Self.mode(setup.database) == 0o644)
        await simulator.shutdown()
    }
}
