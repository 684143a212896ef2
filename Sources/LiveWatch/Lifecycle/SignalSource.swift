import Dispatch
import Foundation

/// SIGTERM, SIGINT and SIGHUP as a stream of daemon signals, delivered through
/// DispatchSource on a private serial queue (the default actions are ignored).
public enum SignalSource {
    /// A stream that yields `.stop` on SIGTERM/SIGINT and `.reload` on SIGHUP.
    public static func daemonSignals() -> AsyncStream<DaemonSignal> {
        let queue = DispatchQueue(label: "livewatch.signals")
        let (stream, continuation) = AsyncStream<DaemonSignal>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for (number, meaning) in [(SIGTERM, DaemonSignal.stop), (SIGINT, .stop), (SIGHUP, .reload)] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(meaning) }
            source.resume()
            sources.append(source)
        }
        let retained = SendableBox(sources)
        continuation.onTermination = { _ in
            for source in retained.value { source.cancel() }
        }
        return stream
    }
}

/// Keeps values alive inside a `@Sendable` closure; only read after creation.
final class SendableBox<Value>: @unchecked Sendable {
    // @unchecked: written once in init, then only read.
    let value: Value
    init(_ value: Value) { self.value = value }
}
