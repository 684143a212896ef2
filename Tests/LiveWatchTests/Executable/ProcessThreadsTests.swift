import Foundation
import Testing

@testable import LiveWatch

/// The built binary makes SwiftNIO's event loop Swift's executor, or says on standard error that it could not.
@Suite struct ProcessThreadsTests {
    @Test func theBinaryInstallsTheEventLoopAsTheExecutorWithoutAWord() async throws {
        let run = try await runLivewatch(["--version"])
        #expect(run.status == 0)
        #expect(!run.stderr.contains(ProcessThreads.notInstalledWarning), "\(run.stderr)")
        #expect(!run.stdout.isEmpty)
    }
}
