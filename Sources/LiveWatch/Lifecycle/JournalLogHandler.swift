import Foundation
import Logging
import Synchronization

/// A swift-log handler writing journald-friendly lines to standard error:
/// `<N>` syslog priority prefix, then the message and its metadata as key=value.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let output: @Sendable (String) -> Void

    public init(
        label: String, level: Logger.Level = .info,
        output: @escaping @Sendable (String) -> Void = JournalLogHandler.standardError
    ) {
        self.label = label
        self.logLevel = level
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var line = "<\(Self.priority(event.level))>\(event.message)"
        for key in merged.keys.sorted() {
            guard let value = merged[key] else { continue }
            let text = "\(value)"
            let needsQuotes = text.contains(" ") || text.contains("\"") || text.isEmpty
            line += " \(key)=" + (needsQuotes ? "\"" + text.replacingOccurrences(of: "\"", with: "'") + "\"" : text)
        }
        // One line per event, and no vendor text can send a terminal escape or reorder the line.
        output(DisplayText.terminal(line.replacingOccurrences(of: "\n", with: " ")) + "\n")
    }

    /// The syslog priority journald reads from the `<N>` prefix.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    private static let errorLock = Mutex(())

    /// Writes a line to standard error with `write(2)`, whole (lines of several threads never interleave);
    /// a line standard error refuses (closed, a broken pipe, full) is dropped: logging never kills the daemon.
    public static let standardError: @Sendable (String) -> Void = { text in
        errorLock.withLock { _ in
            _ = StandardStream.error.write(text)
        }
    }
}
