import NIOCore
import NIOPosix

/// The threads a livewatch process runs on. A daemon that does little at once needs few: one SwiftNIO event
/// loop does the sockets (vendors, notifiers, `/metrics`) and also runs every Swift task, so an answer read
/// from a socket is handled on the thread that read it, without waking another; SQLite writes keep their own
/// serial queue, so a slow disk never stalls the sockets.
public enum ProcessThreads {
    /// Whether `configure` made the event loop Swift's global executor.
    public enum Executor: Sendable, Equatable {
        /// Swift tasks run on the SwiftNIO event loop.
        case eventLoop
        /// Swift tasks run on Swift's own thread pool (`LIVEWATCH_EXECUTOR=swift`, or the hook was taken).
        case swift
    }

    /// The environment variable that keeps Swift's own executor (`swift`), for comparison or troubleshooting.
    public static let environmentVariable = "LIVEWATCH_EXECUTOR"

    /// What the process says on standard error when the event loop could not become the executor (another
    /// library took the hook, or the binary does not export the runtime's hook symbol).
    public static let notInstalledWarning =
        "warning: Swift tasks run on Swift's own thread pool: SwiftNIO's event loop could not be installed as their executor"

    /// Sizes SwiftNIO's shared event loop group to one thread and, unless `LIVEWATCH_EXECUTOR=swift`, installs
    /// it as Swift's global executor. Call it first thing in `main`, on the main thread, once, before any task
    /// is created and before anything touches SwiftNIO's shared group.
    @discardableResult
    public static func configure(environment: [String: String]) -> Executor {
        NIOSingletons.groupLoopCountSuggestion = 1
        NIOSingletons.blockingPoolThreadCountSuggestion = 1
        guard environment[environmentVariable] != "swift" else { return .swift }
        return NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
            ? .eventLoop : .swift
    }
}
