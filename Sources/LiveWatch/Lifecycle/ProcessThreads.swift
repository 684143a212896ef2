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

    private static let preference = Mutex<EventLoopTaskExecutor?>(nil)

    /// Sizes SwiftNIO's shared event loop group to one thread and, unless `LIVEWATCH_EXECUTOR=swift`, makes its
    /// loop the executor the polls' tasks prefer. Call it first thing in `main`, before anything touches
    /// SwiftNIO's shared group.
    public static func configure(environment: [String: String]) {
        NIOSingletons.groupLoopCountSuggestion = 1
        NIOSingletons.blockingPoolThreadCountSuggestion = 1
        guard environment[environmentVariable] != "swift" else { return }
        preference.withLock { $0 = EventLoopTaskExecutor(MultiThreadedEventLoopGroup.singleton.any()) }
    }

    /// The executor polls run on: the event loop after `configure`, else nil (Swift's global pool; so in tests).
    public static var taskExecutor: (any TaskExecutor)? { preference.withLock { $0 } }
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
