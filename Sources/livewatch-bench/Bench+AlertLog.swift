import ArgumentParser
import Foundation
import LiveWatch

/// What flushing each alert line to disk costs: lines per second appended through `AlertLog`
/// (one `write` and one `fdatasync` a line), through a plain `write(2)` loop on an `O_APPEND` file
/// (what the log did before lines were flushed), and through the outbox (one `fdatasync` a batch).
struct AlertLogRate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alert-log",
        abstract: "Alert-log lines/s with fdatasync (per line and per outbox batch) and without.")

    @Option(help: "Lines per measurement.") var lines = 2_000
    @Option(help: "Folder for the files (its file system is what is measured); default a new temporary folder.")
    var directory: String?

    func run() async throws {
        let folder =
            try directory.map { path -> String in
                let folder = path + "/livewatch-bench-alert-log-" + UUID().uuidString.prefix(8)
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                return folder
            } ?? temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let line = AlertLine(
            time: Date(timeIntervalSince1970: 1_800_000_000), state: .firing, severity: .critical,
            rule: .mrConcurrencyExhausted, monitor: "polyv-main", subject: "polyv-main",
            message: "Polyv MR concurrency exhausted: 0 of 5 left", value: 0, threshold: 0)
        let json = line.json

        // Without fdatasync: one write(2) per line, as the log did before.
        let plainPath = folder + "/plain.log"
        let descriptor = open(plainPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw ValidationError("cannot open \(plainPath)") }
        let bytes = Array((json + "\n").utf8)
        var started = Date()
        for _ in 0..<lines {
            _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        }
        let plain = Double(lines) / Date().timeIntervalSince(started)
        close(descriptor)

        // With fdatasync, one line at a time (a poll's line, or a storage alarm written directly).
        let log = AlertLog(path: folder + "/synced.log")
        started = Date()
        for _ in 0..<lines { try log.append(json) }
        let synced = Double(lines) / Date().timeIntervalSince(started)

        // Through the outbox: every queued line flushed in batches, one fdatasync per batch.
        let store = try Store(path: folder + "/bench.db")
        let recorder = PollRecorder(
            store: store, alertLog: AlertLog(path: folder + "/batched.log"), repeatInterval: 3_600, failureThreshold: 3,
            logger: silentLogger())
        let count = lines
        try store.writeSynchronously { database in
            // A limit that keeps every line (the outbox drops its oldest beyond daemon.outbox_limit).
            let policy = AlertPolicy(outboxLimit: max(count, OutboxLimit.defaultLimit))
            try PollRecorder.enqueue(Array(repeating: line, count: count), at: Date(), policy: policy, in: database)
        }
        started = Date()
        await recorder.flushAlertLog()
        let batched = Double(lines) / Date().timeIntervalSince(started)
        store.close()
        print(
            String(
                format:
                    "alert-log: %d lines: write only %.0f lines/s; write + fdatasync per line %.0f lines/s (%.3f ms/line); "
                    + "outbox flush (fdatasync per batch) %.0f lines/s",
                lines, plain, synced, 1_000 / synced, batched))
    }
}
