import ArgumentParser
import Foundation
import LiveWatch
import Logging
import VendorSimulator

let benchMetaStudioProject = "0123456789abcdef0123456789abcdef"
let benchMetaStudioAccessKey = "HPUABENCHACCESSKEY01"
let benchMetaStudioSecretKey = "bench-metastudio-sk-0123456789"

/// (internal) The simulator with a MetaStudio project of `platforms` platforms, for `metastudio-poll`.
struct ServeMetaStudio: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve-metastudio", abstract: "(internal) run the simulator with a MetaStudio project and print its URL.")

    @Option var platforms = 1_000

    func run() async throws {
        let simulator = VendorSimulator()
        try await simulator.start()
        simulator.metaStudio.addProject(benchMetaStudioProject)
        simulator.metaStudio.addAccessKey(benchMetaStudioAccessKey, secretKey: benchMetaStudioSecretKey)
        simulator.metaStudio.addPlatforms(count: platforms, project: benchMetaStudioProject)
        FileHandle.standardOutput.write(Data((simulator.baseURL + "\n").utf8))
        while true { try await Task.sleep(nanoseconds: 3_600_000_000_000) }
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
        let child = try ChildSimulator(arguments: ["serve-metastudio", "--platforms", String(platforms)])
        defer { child.stop() }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        guard let endpoint = URL(string: child.baseURL) else { throw ValidationError("bad simulator URL") }
        let monitor = MetaStudioMonitorConfiguration(
            name: "metastudio-bench", projectID: benchMetaStudioProject, endpoint: endpoint,
            authentication: .accessKey(accessKey: Secret(benchMetaStudioAccessKey), secretKey: Secret(benchMetaStudioSecretKey)),
            maxPages: 1_000, poll: PollSettings(interval: 60, timeout: 10, jitter: 0))
        let store = try Store(path: folder + "/bench.db")
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let recorder = PollRecorder(
            store: store, alertLog: AlertLog(path: folder + "/alerts.log"), repeatInterval: 3_600, failureThreshold: 3,
            logger: logger)
        let transport = AsyncHTTPTransport()
        let pipeline = PollPipeline(recorder: recorder, logger: logger)
        let runtime = MonitorRuntime.make(.metaStudio(monitor), transport: transport)
        for _ in 0..<5 { _ = await pipeline.run(runtime, deadline: 60) }  // warm up
        let cpuBefore = processCPUSeconds()
        let wallBefore = Date()
        var failures = 0
        var requests = 0
        for _ in 0..<polls {
            let report = await pipeline.run(runtime, deadline: 60).0
            if !report.succeeded || report.items != platforms { failures += 1 }
            requests += report.requests
        }
        let cpu = processCPUSeconds() - cpuBefore
        let wall = Date().timeIntervalSince(wallBefore)
        await transport.shutdown()
        store.close()
        let perPoll = cpu * 1_000 / Double(polls)
        print(String(
            format: "metastudio-poll: %d polls of %d platforms (%d requests), %d failed; CPU %.2f ms/poll, %.1f µs/platform; wall %.2f ms/poll",
            polls, platforms, requests, failures, perPoll, perPoll * 1_000 / Double(max(1, platforms)), wall * 1_000 / Double(polls)))
    }
}
