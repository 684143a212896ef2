import Foundation
import Logging
import Synchronization

@testable import LiveWatch

/// A temporary folder for one test, removed by `remove()`.
struct TemporaryFolder {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "livewatch-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Captures log lines so tests can search them (for secrets, or for messages).
final class CapturedLog: Sendable {
    private let lines = Mutex<[String]>([])

    var logger: Logger {
        let sink: @Sendable (String) -> Void = { [self] line in self.lines.withLock { $0.append(line) } }
        return Logger(label: "test") { label in JournalLogHandler(label: label, level: .debug, output: sink) }
    }

    var text: String { lines.withLock { $0.joined() } }
}

/// Collects scheduler events and lets a test wait for them with a deadline (never a bare sleep).
final class EventRecorder: Sendable {
    private let events = Mutex<[SchedulerEvent]>([])

    var observer: @Sendable (SchedulerEvent) -> Void {
        { [self] event in self.events.withLock { $0.append(event) } }
    }

    var all: [SchedulerEvent] { events.withLock { $0 } }

    var finished: [(String, Bool, Double)] {
        all.compactMap { event in
            if case .pollFinished(let job, let succeeded, let delay) = event { return (job, succeeded, delay) }
            return nil
        }
    }

    /// Polls started so far.
    var pollsStarted: Int {
        all.filter { if case .pollStarted = $0 { return true } else { return false } }.count
    }

    /// Waits (up to `timeout` real seconds) until `condition` holds over the events.
    func wait(timeout: Double = 60, until condition: ([SchedulerEvent]) -> Bool) async throws {
        try await waitUntil(timeout: timeout) { condition(all) }
    }

    /// Waits until `count` polls have finished.
    func waitForFinishedPolls(_ count: Int, timeout: Double = 60) async throws {
        try await wait(timeout: timeout) { events in
            events.filter { if case .pollFinished = $0 { return true } else { return false } }.count >= count
        }
    }
}

struct WaitTimeout: Error {}

/// Waits until `condition` holds, looking every `interval` seconds for at most `timeout` real seconds (never a
/// bare sleep); throws `WaitTimeout` when it never does.
func waitUntil(timeout: Double = 60, every interval: Double = 0.005, _ condition: () throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while try !condition() {
        guard Date() < deadline else { throw WaitTimeout() }
        try await Task.sleep(nanoseconds: UInt64(interval * 1e9))
    }
}

/// Reads the alert log as parsed JSON objects.
func alertLogLines(_ path: String) -> [[String: Any]] {
    guard let data = FileManager.default.contents(atPath: path) else { return [] }
    return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
    }
}

/// A transport for tests that build requests without sending them.
struct UnusedTransport: HTTPTransport {
    func perform(_ request: OutgoingRequest) async throws(HTTPTransportError) -> IncomingResponse {
        throw .connectionFailed("this test sends nothing")
    }
}

/// A test fixture that runs servers (the vendor simulator, an HTTP client's connections).
protocol ServerFixture {
    /// Shuts its servers and clients down.
    func stop() async
}

/// Starts a fixture, runs `body` with it and stops it before returning, whether `body` returned or
/// threw: a test's servers never outlive the test.
func withFixture<Fixture: ServerFixture, Result>(
    _ start: () async throws -> Fixture, _ body: (Fixture) async throws -> Result
) async throws -> Result {
    let fixture = try await start()
    let result: Result
    do {
        result = try await body(fixture)
    } catch {
        await fixture.stop()
        throw error
    }
    await fixture.stop()
    return result
}

/// A test harness that holds servers, HTTP clients or files until `finish()`.
protocol TestHarness {
    /// Shuts its servers and clients down and removes its files.
    func finish() async
}

/// Makes a harness, runs `body` with it and finishes it before returning, whether `body` returned or threw:
/// a failed `#require` never drops a harness's HTTP client unshut (which would end the whole test process).
func withHarness<Harness: TestHarness>(
    _ make: () async throws -> Harness, _ body: (Harness) async throws -> Void
) async throws {
    let harness = try await make()
    do {
        try await body(harness)
    } catch {
        await harness.finish()
        throw error
    }
    await harness.finish()
}

/// Waits for `process` to exit without blocking a thread of the cooperative pool (a parallel run on two
/// cores has only two, and every other test waits while one is blocked): polls, at most `timeout` real seconds.
func waitForExit(_ process: Process, timeout: Double = 60) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning {
        guard Date() < deadline else {
            process.terminate()
            throw WaitTimeout()
        }
        try await Task.sleep(nanoseconds: 5_000_000)
    }
}

/// Runs a command to its end; its standard output and error go (together) through a file, so a long output
/// never blocks it, and the wait never blocks a thread (see `waitForExit`).
func runToEnd(
    _ executable: String, _ arguments: [String], environment: [String: String], timeout: Double = 60
) async throws -> (reason: Process.TerminationReason, status: Int32, output: Data) {
    let outputPath = NSTemporaryDirectory() + "livewatch-tests-output-" + UUID().uuidString
    guard FileManager.default.createFile(atPath: outputPath, contents: nil) else { throw WaitTimeout() }
    defer { try? FileManager.default.removeItem(atPath: outputPath) }
    let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
    defer { try? output.close() }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = environment
    process.standardOutput = output
    process.standardError = output
    try process.run()
    try await waitForExit(process, timeout: timeout)
    return (
        process.terminationReason, process.terminationStatus, try Data(contentsOf: URL(fileURLWithPath: outputPath))
    )
}
