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
}
