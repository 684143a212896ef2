import Foundation
import SQLite
import Synchronization
import Testing
import VendorSimulator

@testable import LiveWatch

#if canImport(Glibc)
    import Glibc
#endif

/// The built binary with its standard output or error closed under it.
@Suite struct StandardStreamTests {
    /// A pipe whose read end is already closed: every write to the other end fails with EPIPE (or raises SIGPIPE).
    static func brokenPipe() throws -> FileHandle {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else { throw RequireError(message: "pipe() failed") }
        close(descriptors[0])
        return FileHandle(fileDescriptor: descriptors[1], closeOnDealloc: true)
    }

    /// A process running `command` with SIGPIPE at its default action, as a shell pipeline starts it
    /// (the test process ignores SIGPIPE, and an ignored signal would be inherited).
    static func process(_ command: [String], stdout: Any, stderr: Any) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["--default-signal=PIPE"] + command
        process.standardOutput = stdout
        process.standardError = stderr
        return process
    }

    /// Runs `command` (SIGPIPE at its default action), waiting at most 30 s for it to exit.
    static func run(_ command: [String], stdout: Any, stderr: Any) async throws -> Process {
        let process = process(command, stdout: stdout, stderr: stderr)
        try process.run()
        try await waitForExit(process, timeout: 30)
        return process
    }

    /// `livewatch report ... | head -1` and the like: standard output is a pipe nobody reads any more.
    @Test func aClosedStandardOutputDoesNotKillACommand() async throws {
        let setup = try CommandSetup()
        defer { setup.folder.remove() }
        let store = try Store(path: setup.databasePath)
        try HistorySeed.seed(store, now: Date())
        store.close()
        // The harness is sound: a program writing to this pipe dies of SIGPIPE.
        let yes = try await Self.run(["yes"], stdout: try Self.brokenPipe(), stderr: FileHandle.nullDevice)
        #expect(yes.terminationReason == .uncaughtSignal && yes.terminationStatus == SIGPIPE)
        let executable = try livewatchExecutable()
        for arguments in [["report", "polls"], ["report", "rooms", "--format", "csv"], ["alerts"], ["check-config"]] {
            let process = try await Self.run(
                [executable] + arguments + ["--config", setup.configPath], stdout: try Self.brokenPipe(),
                stderr: FileHandle.nullDevice)
            #expect(process.terminationReason == .exit, "\(arguments): killed by signal \(process.terminationStatus)")
            #expect(process.terminationStatus == 0, "\(arguments)")
        }
    }

    /// The daemon's standard error is a pipe whose reader goes away while it runs: it keeps polling
    /// (log lines are dropped) and still stops cleanly on SIGTERM.
    @Test func theDaemonOutlivesItsStandardErrorReader() async throws {
        let simulator = VendorSimulator()
        try await simulator.start()
        simulator.polyv.addApplication(appID: PolyvFixture.appID, secret: PolyvFixture.secret, total: 5, used: 1)
        let setup = try CommandSetup(endpoint: simulator.baseURL)
        defer { setup.folder.remove() }
        let stderr = Pipe()
        let received = Mutex("")
        stderr.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            received.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        let process = Self.process(
            [try livewatchExecutable(), "run", "--config", setup.configPath, "--log-level", "info"],
            stdout: FileHandle.nullDevice, stderr: stderr)
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        try? stderr.fileHandleForWriting.close()

        // Logging works: a poll's line arrives.
        try await waitUntil(timeout: 30, every: 0.02) { received.withLock { $0.contains("poll ok") } }
        stderr.fileHandleForReading.readabilityHandler = nil
        try stderr.fileHandleForReading.close()

        func polls() throws -> Int {
            let database = try Database(
                path: setup.databasePath, options: .init(readOnly: true, busyTimeoutMilliseconds: 2_000))
            return Int(try database.scalarInt64("SELECT count(*) FROM polls") ?? 0)
        }
        let before = try polls()
        // Each poll logs a line into the broken pipe; three more polls stored means three lines survived.
        try await waitUntil(timeout: 30, every: 0.02) {
            guard process.isRunning else {
                throw RequireError(message: "the daemon died: status \(process.terminationStatus)")
            }
            return try polls() >= before + 3
        }
        process.terminate()
        try await waitForExit(process, timeout: 30)
        #expect(process.terminationReason == .exit, "killed by signal \(process.terminationStatus)")
        #expect(process.terminationStatus == 0)
        await simulator.shutdown()
    }
}
