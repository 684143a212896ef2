import Foundation
import SQLite
import Testing
import VendorSimulator

@testable import LiveWatch

/// The database file as the built `livewatch` meets it: a schema version it did not write, and the
/// mode of the files it creates. Each run is a child process, so its umask is its own.
@Suite struct DatabaseFileTests {
    /// Runs `livewatch ARGUMENTS` under `umask` to its end; its output goes to files in `folder`.
    static func run(_ arguments: [String], umask: String, in folder: TemporaryFolder) async throws -> CommandRun {
        try await LivewatchProcess.start(arguments, in: folder, umask: umask).finish()
    }

    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return ((attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1) & 0o777
    }

    /// A schema version livewatch never wrote stops `poll` and `run` with one line and status 1, no trap.
    @Test(arguments: [-1, Int(Int32.min), Schema.migrator.latestVersion + 1, Int(Int32.max)], [["poll"], ["run"]])
    func aSchemaVersionItDidNotWriteIsOneLineAndStatus1(version: Int, command: [String]) async throws {
        // Nothing is polled: the database is refused first (port 9 is discard; nothing listens there).
        let setup = try CommandSetup(timeout: "2s")
        defer { setup.folder.remove() }
        do {
            let database = try Database(path: setup.databasePath)
            try database.setUserVersion(version)
        }
        let run = try await Self.run(command + ["--config", setup.configPath], umask: "077", in: setup.folder)
        let latest = Schema.migrator.latestVersion
        let problem =
            version < 0
            ? "database schema version \(version) was not written by livewatch"
            : "database schema version \(version) is newer than this livewatch (\(latest)); upgrade livewatch"
        #expect(run.status == 1, "\(command): \(run.stderr)")
        #expect(run.stderr == "error: \(setup.databasePath): \(problem)\n", "\(command)")
        #expect(run.stdout.isEmpty, "\(command): \(run.stdout)")
        let untouched = try Database(path: setup.databasePath, options: .init(readOnly: true))
        #expect(try untouched.userVersion() == version)
        #expect(try untouched.query("SELECT name FROM sqlite_master").isEmpty, "nothing was migrated")
    }

    /// Under umask 022 the daemon creates its database, WAL and shared-memory files 0600; a database
    /// file the operator created keeps the mode they gave it.
    @Test func theDatabaseFilesAreOwnerOnlyWhateverTheUmaskAndAnOperatorsModeIsKept() async throws {
        let simulator = VendorSimulator()
        try await simulator.start()
        simulator.polyv.addApplication(appID: PolyvFixture.appID, secret: PolyvFixture.secret, total: 5, used: 1)
        let setup = try CommandSetup(endpoint: simulator.baseURL, timeout: "2s")
        defer { setup.folder.remove() }

        let running = try LivewatchProcess.start(["run", "--config", setup.configPath], in: setup.folder, umask: "022")
        let daemon = running.process
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        // Wait (with a deadline) until a poll is stored and the WAL and shared memory exist.
        let deadline = Date().addingTimeInterval(30)
        var stored = false
        while Date() < deadline, daemon.isRunning, !stored {
            let files = ["", "-wal", "-shm"].allSatisfy {
                FileManager.default.fileExists(atPath: setup.databasePath + $0)
            }
            if files, let reader = try? Database(path: setup.databasePath, options: .init(readOnly: true)),
                (try? reader.scalarInt64("SELECT count(*) FROM polls WHERE ok = 1")) ?? 0 > 0
            {
                stored = true
            } else {
                try await Task.sleep(nanoseconds: 50_000_000)
            }
        }
        #expect(stored, "no poll stored while the daemon ran")
        for suffix in ["", "-wal", "-shm"] {
            #expect(try Self.mode(setup.databasePath + suffix) == 0o600, "livewatch.db\(suffix)")
        }
        kill(daemon.processIdentifier, SIGTERM)
        let stopped = try await running.finish()
        #expect(stopped.status == 0, "\(stopped.stderr)")

        // The operator made the file, with the mode they want: it stays.
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: setup.databasePath + suffix) {
            try FileManager.default.removeItem(atPath: setup.databasePath + suffix)
        }
        #expect(
            FileManager.default.createFile(
                atPath: setup.databasePath, contents: nil, attributes: [.posixPermissions: 0o644]))
        let poll = try await Self.run(["poll", "--config", setup.configPath], umask: "022", in: setup.folder)
        #expect(poll.status == 0, "\(poll.stderr)")
        #expect(try Self.mode(setup.databasePath) == 0o644)
        await simulator.shutdown()
    }
}
