import NIOCore
import NIOPosix
import Synchronization

/// The threads a livewatch process runs on. A daemon that does little at once needs few: one SwiftNIO event
/// loop does the sockets (vendors, notifiers, `/metrics`) and also runs the polls' Swift tasks (they prefer
/// `taskExecutor`), so an answer read from a socket is decoded on the thread that read it, without waking
/// another; SQLite writes keep their own serial queue, so a slow disk never stalls the sockets.
public enum ProcessThreads {
    /// The environment variable that keeps Swift's own thread pool for the polls (`swift`), for comparison or
    /// troubleshooting.
    public static let environmentVariable = "LIVEWATCH_EXECUTOR"

    private static let preference = Mutex(ExecutorPreference())

    /// Sizes SwiftNIO's shared event loop group to one thread and, unless `LIVEWATCH_EXECUTOR=swift`, makes its
    /// loop the executor the polls' tasks prefer. Call it first thing in `main`, before anything touches
    /// SwiftNIO's shared group. `executorVariable` is the value of `LIVEWATCH_EXECUTOR`, read with `getenv`
    /// (Foundation's `ProcessInfo.environment` alone costs `--version` about 0.8 MB of resident memory).
    public static func configure(executorVariable: String?) {
        NIOSingletons.groupLoopCountSuggestion = 1
        NIOSingletons.blockingPoolThreadCountSuggestion = 1
        preference.withLock { $0.configure(executorVariable: executorVariable) }
    }

    /// The executor polls run on: the event loop after `configure`, else nil (Swift's global pool; so in tests).
    /// The group's thread starts here, the first time a poll asks (or when a client first connects), so
    /// `--version`, `check` or `report` never start it.
    public static var taskExecutor: (any TaskExecutor)? {
        preference.withLock { $0.executor { MultiThreadedEventLoopGroup.singleton.any() } }
    }
}

/// What `ProcessThreads.taskExecutor` answers: nothing before `configure` or with `LIVEWATCH_EXECUTOR=swift`,
/// else one executor on the event loop that `loop` gives, asked for only when first needed.
struct ExecutorPreference {
    private enum State {
        case unconfigured
        case swiftPool
        case eventLoop(EventLoopTaskExecutor?)
    }

    private var state = State.unconfigured

    mutating func configure(executorVariable: String?) {
        state = executorVariable == "swift" ? .swiftPool : .eventLoop(nil)
    }

    mutating func executor(loop: () -> any EventLoop) -> (any TaskExecutor)? {
        switch state {
        case .unconfigured, .swiftPool:
            return nil
        case .eventLoop(let executor?):
            return executor
        case .eventLoop(nil):
            let executor = EventLoopTaskExecutor(loop())
            state = .eventLoop(executor)
            return executor
        }
    }
}

/// A SwiftNIO event loop as a Swift task executor: a task that prefers it runs its jobs on the loop's thread.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
