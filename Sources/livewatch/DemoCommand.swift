import ArgumentParser
import Foundation
import LiveWatch
import LiveWatchDemo

/// `livewatch demo`: the simulator on loopback, the daemon against it, and a
/// scripted story: concurrency used up, the alert firing and resolving, the
/// vendor failing and recovering.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the daemon against the built-in vendor simulator and show alerts firing and resolving.")

    @Option(name: .long, help: "How long the demo runs, in seconds (20-86400).")
    var seconds: Int = 40

    @Option(name: .long, help: "Keep the demo's files here instead of a new temporary folder.")
    var directory: String?

    func run() async throws {
        guard (20...86_400).contains(seconds) else {
            Console.error("error: --seconds must be between 20 and 86400 (got \(seconds))")
            throw ExitCode(2)
        }
        LoggingBootstrap.once(level: .error)
        try await DemoScenario(seconds: Double(seconds), directory: directory).run { Console.output($0 + "\n") }
    }
}
