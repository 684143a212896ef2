import Dispatch
import NIOCore
import NIOPosix
import Testing

@testable import LiveWatch

/// A task that prefers the event loop runs there, and comes back there after waiting on another thread.
@Suite struct EventLoopTaskExecutorTests {
    @Test func aTaskPreferringTheLoopRunsOnItBeforeAndAfterASuspension() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let executor = EventLoopTaskExecutor(loop)
        let onLoop = await Task(executorPreference: executor) { () -> [Bool] in
            let before = loop.inEventLoop
            // Resumed from a Dispatch queue, as a store write is: the task must come back to the loop.
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async { continuation.resume() }
            }
            let afterDispatch = loop.inEventLoop
            try? await EventLoopSleep.sleep(0.001)
            return [before, afterDispatch, loop.inEventLoop]
        }.value
        #expect(onLoop == [true, true, true])
        let elsewhere = await Task { loop.inEventLoop }.value
        #expect(!elsewhere)
        try await group.shutdownGracefully()
    }

    /// The group's loop is asked for only when a poll first wants the executor, then never again; before
    /// `configure` and with `LIVEWATCH_EXECUTOR=swift` there is no executor and no loop is asked for.
    @Test func theLoopIsAskedForOnlyWhenFirstNeeded() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var asked = 0
        let loop = { () -> any EventLoop in
            asked += 1
            return group.next()
        }
        var preference = ExecutorPreference()
        #expect(preference.executor(loop: loop) == nil)
        preference.configure(executorVariable: "swift")
        #expect(preference.executor(loop: loop) == nil)
        #expect(asked == 0)

        preference.configure(executorVariable: nil)
        #expect(asked == 0)
        let first = try #require(preference.executor(loop: loop) as? EventLoopTaskExecutor)
        let second = try #require(preference.executor(loop: loop) as? EventLoopTaskExecutor)
        #expect(asked == 1)
        #expect(first === second)
        #expect(first.loop === group.next())
        try await group.shutdownGracefully()
    }
}
