import Foundation
import SQLite
import Synchronization
import Testing

@testable import LiveWatch

#if canImport(Glibc)
    import Glibc
#endif

/// The alert log when the disk fills up or will not flush: a real file, a real outbox in a real
/// SQLite file; only `write(2)` and `fdatasync(2)` are wrapped, to fail when the test says so
/// (a short write really writes its part of the line to the file first).
@Suite struct AlertLogDiskFullTests {
    /// What the wrapped system calls do next.
    final class Disk: Sendable {
        enum Mode: Sendable {
            /// Every call does what the system does.
            case healthy
            /// `whole` more writes succeed; the next writes half its bytes; every later write fails with ENOSPC.
            case fillsUp(whole: Int)
            /// Writes succeed; `fdatasync` fails with EIO.
            case syncFails
        }

        private struct State {
            var mode = Mode.healthy
            var syncs = 0
            var onSync: (@Sendable () -> Void)?
        }

        private let state = Mutex(State())

        func set(_ mode: Mode) { state.withLock { $0.mode = mode } }

        /// Runs at every `fdatasync`, before it.
        func onSync(_ action: @escaping @Sendable () -> Void) { state.withLock { $0.onSync = action } }

        var syncs: Int { state.withLock { $0.syncs } }

        var calls: AlertLog.FileCalls {
            AlertLog.FileCalls(
                write: { descriptor, bytes, count in
                    let allowed: Int? = self.state.withLock { state in
                        switch state.mode {
                        case .healthy, .syncFails:
                            return count
                        case .fillsUp(let whole) where whole > 0:
                            state.mode = .fillsUp(whole: whole - 1)
                            return count
                        case .fillsUp(let whole) where whole == 0:
                            state.mode = .fillsUp(whole: -1)
                            return count / 2
                        case .fillsUp:
                            return nil
                        }
                    }
                    guard let allowed else {
                        errno = ENOSPC
                        return -1
                    }
                    return write(descriptor, bytes, allowed)
                },
                sync: { descriptor in
                    let (mode, action) = self.state.withLock { state in
                        state.syncs += 1
                        return (state.mode, state.onSync)
                    }
                    action?()
                    if case .syncFails = mode {
                        errno = EIO
                        return -1
                    }
                    return fdatasync(descriptor)
                })
        }
    }

    struct Harness {
        let folder: TemporaryFolder
        let store: Store
        let disk = Disk()
        let log = CapturedLog()
        let recorder: PollRecorder

        var alertLogPath: String { folder.file("alerts.log") }

        init() throws {
            folder = try TemporaryFolder()
            store = try Store(path: folder.file("livewatch.db"))
            recorder = PollRecorder(
                store: store, alertLog: AlertLog(path: folder.file("alerts.log"), calls: disk.calls),
                repeatInterval: 3_600,
                failureThreshold: 3, logger: log.logger)
        }

        static func line(_ message: String) -> AlertLine {
            AlertLine(
                time: Date(timeIntervalSince1970: 1_800_000_000), state: .notice, severity: .warning,
                rule: .viewingRestrictionChanged, monitor: "volc", subject: "7", message: message)
        }

        /// Queues lines as a poll's transaction does, then flushes the outbox to the log.
        func record(_ messages: [String]) async throws {
            try store.writeSynchronously { database in
                try PollRecorder.enqueue(messages.map(Self.line), at: Date(), in: database)
            }
            await recorder.flushAlertLog()
        }

        /// The log file, exactly as it is on disk.
        var contents: String {
            String(decoding: FileManager.default.contents(atPath: alertLogPath) ?? Data(), as: UTF8.self)
        }

        /// The file as the whole lines it should hold, one per message.
        static func file(_ messages: [String]) -> String {
            messages.map { line($0).json + "\n" }.joined()
        }

        func queued() throws -> [String] {
            try store.accessSynchronously { database in
                try database.query("SELECT line FROM alert_log_outbox ORDER BY id").compactMap { $0.string("line") }
            }
        }

        func finish() {
            store.close()
            folder.remove()
        }
    }

    /// The disk fills up in the middle of a line: what is in the file stays whole lines only, the
    /// line stays queued, and once there is space again it is written exactly once.
    @Test func aShortWriteThenAFullDiskLeavesOnlyWholeLinesAndTheLineIsWrittenOnceLater() async throws {
        let harness = try Harness()
        defer { harness.finish() }
        try await harness.record(["first"])
        #expect(harness.contents == Harness.file(["first"]))

        // "second" fits, "third" is cut short by the full disk.
        harness.disk.set(.fillsUp(whole: 1))
        try await harness.record(["second", "third"])
        #expect(harness.contents == Harness.file(["first", "second"]), "no fragment of the third line is left")
        #expect(try harness.queued() == [Harness.line("third").json])
        #expect(harness.log.text.contains("No space left on device"))
        // Still full: another attempt (the next poll's lines) writes nothing and leaves nothing behind.
        try await harness.record(["fourth"])
        #expect(harness.contents == Harness.file(["first", "second"]))
        #expect(try harness.queued().count == 2)

        harness.disk.set(.healthy)
        await harness.recorder.flushAlertLog()
        #expect(harness.contents == Harness.file(["first", "second", "third", "fourth"]))
        #expect(alertLogLines(harness.alertLogPath).count == 4, "every line is whole JSON")
        #expect(try harness.queued().isEmpty)
    }

    /// `fdatasync` fails: the lines of that flush are taken out of the file again and stay queued,
    /// so the retry neither loses nor repeats them.
    @Test func aFailedFlushToDiskTakesTheLinesBackAndTheRetryWritesEachOnce() async throws {
        let harness = try Harness()
        defer { harness.finish() }
        try await harness.record(["first"])
        harness.disk.set(.syncFails)
        try await harness.record(["second", "third"])
        #expect(harness.contents == Harness.file(["first"]))
        #expect(try harness.queued().count == 2)
        #expect(harness.log.text.contains("cannot flush to disk"))

        harness.disk.set(.healthy)
        await harness.recorder.flushAlertLog()
        #expect(harness.contents == Harness.file(["first", "second", "third"]))
        #expect(try harness.queued().isEmpty)
    }

    /// A line is on disk before its outbox row is deleted: at the `fdatasync`, every line of the
    /// batch is in the file and every row still in the outbox; one flush to disk per batch.
    @Test func linesAreFlushedToDiskBeforeTheirOutboxRowsAreDeleted() async throws {
        let harness = try Harness()
        defer { harness.finish() }
        let seen = Mutex<[(rows: Int64, file: String)]>([])
        let databasePath = harness.folder.file("livewatch.db")
        let logPath = harness.alertLogPath
        harness.disk.onSync {
            // A second connection sees what is committed: the rows, not yet deleted.
            let rows =
                (try? Database(path: databasePath, options: .init(readOnly: true))
                    .scalarInt64("SELECT count(*) FROM alert_log_outbox")) ?? -1
            let file = String(decoding: FileManager.default.contents(atPath: logPath) ?? Data(), as: UTF8.self)
            seen.withLock { $0.append((rows, file)) }
        }
        try await harness.record(["one", "two", "three"])
        let syncs = seen.withLock { $0 }
        #expect(syncs.count == 1)
        #expect(syncs.first?.rows == 3)
        #expect(syncs.first?.file == Harness.file(["one", "two", "three"]))
        #expect(try harness.queued().isEmpty)
    }
}
