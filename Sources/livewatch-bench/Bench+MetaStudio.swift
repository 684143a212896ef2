import ArgumentParser
import Foundation
import LiveWatch
import VendorSimulator

let benchMetaStudioProject = "0123456789abcdef0123456789abcdef"
let benchMetaStudioAccessKey = "HPUABENCHACCESSKEY01"
let benchMetaStudioSecretKey = "bench-metastudio-sk-0123456789"

/// (internal) The simulator with a MetaStudio project of `platforms` platforms, for `metastudio-poll`.
struct ServeMetaStudio: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve-metastudio",
        abstract: "(internal) run the simulator with a MetaStudio project and print its URL.")

    @Option var platforms = 1_000

    func run() async throws {
        try await serveSimulator { simulator in
            simulator.metaStudio.addProject(benchMetaStudioProject)
            simulator.metaStudio.addAccessKey(benchMetaStudioAccessKey, secretKey: benchMetaStudioSecretKey)
            simulator.metaStudio.addPlatforms(count: platforms, project: benchMetaStudioProject)
        }
    }
}

/// CPU and wall time of one complete MetaStudio listing: sign every page, HTTP, parse, store every row, evaluate.
struct MetaStudioPoll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metastudio-poll",
        abstract: "CPU per MetaStudio poll (AK/SK-signed pages of 100, parse, store, alerts) against the simulator.")

    @Option(help: "Platforms in the simulated project.") var platforms = 1_000
    @Option(help: "Polls measured.") var polls = 100

    func run() async throws {
        try await withChildSimulator(["serve-metastudio", "--platforms", String(platforms)]) { child, folder in
            let endpoint = try child.endpoint()
            let monitor = MetaStudioMonitorConfiguration(
                name: "metastudio-bench", projectID: benchMetaStudioProject, endpoint: endpoint,
                authentication: .accessKey(
                    accessKey: Secret(benchMetaStudioAccessKey), secretKey: Secret(benchMetaStudioSecretKey)),
                maxPages: 1_000, poll: PollSettings(interval: 60, timeout: 10, jitter: 0))
            let bench = try BenchPipeline(folder: folder)
            let transport = AsyncHTTPTransport()
            let runtime = MonitorRuntime.make(.metaStudio(monitor), transport: transport)
            for _ in 0..<5 { _ = await bench.poll(runtime, deadline: 60) } // warm up
            let figures = await measurePolls(polls, succeeded: { $0.succeeded && $0.items == platforms }) {
                await bench.poll(runtime, deadline: 60)
            }
            await transport.shutdown()
            bench.store.close()
            let perPoll = figures.cpu * 1_000 / Double(polls)
            print(
                String(
                    format:
                        "metastudio-poll: %d polls of %d platforms (%d requests), %d failed; CPU %.2f ms/poll, %.1f µs/platform; wall %.2f ms/poll",
                    polls, platforms, figures.requests, figures.failures, perPoll,
                    perPoll * 1_000 / Double(max(1, platforms)),
                    figures.wall * 1_000 / Double(polls)))
        }
    }
}
