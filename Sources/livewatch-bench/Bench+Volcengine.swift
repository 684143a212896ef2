import ArgumentParser
import Foundation
import LiveWatch
import VendorSigning
import VendorSimulator

/// The Volcengine benchmarks, registered in `Bench`.
var volcengineBenchmarks: [any ParsableCommand.Type] {
    [VolcengineSign.self, VolcenginePollCPU.self, ServeVolcengine.self]
}

let benchVolcengineAccessKey = "AKLTbenchAccessKey000000"
let benchVolcengineSecretKey = "bench-volc-secret-0123456789abcdef=="
let benchVolcengineActivities: [Int64] = [1_776_000_089_138, 1_776_000_089_139, 1_776_000_089_140]

struct ServeVolcengine: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve-volcengine",
        abstract: "(internal) run the simulator with a Volcengine account and print its URL.")

    func run() async throws {
        try await serveSimulator { simulator in
            simulator.volcengine.addAccount(accessKey: benchVolcengineAccessKey, secretKey: benchVolcengineSecretKey)
            simulator.volcengine.enforcesRateLimits = false
            for activity in benchVolcengineActivities {
                simulator.volcengine.addActivity(activity, restrictions: [.sample(type: 1), .sample(type: 2)])
            }
        }
    }
}

struct VolcengineSign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volcengine-sign",
        abstract: "Time to build one V4-signed Volcengine request (GET restriction, POST link).")

    @Option var requests = 100_000

    func run() async throws {
        guard let endpoint = URL(string: "https://livesaas.volcengineapi.com") else { return }
        let client = VolcengineClient(
            configuration: VolcengineMonitorConfiguration(
                name: "bench", accessKey: Secret(benchVolcengineAccessKey), secretKey: Secret(benchVolcengineSecretKey),
                endpoint: endpoint, activityIDs: benchVolcengineActivities, poll: PollSettings()),
            transport: UnusedBenchTransport())
        let date = Date()
        var sink = 0
        for (name, build) in [
            (
                "GET restriction",
                { (index: Int) in client.makeRestrictionRequest(activityID: Int64(index), at: date, timeout: 5) }
            ),
            (
                "POST link",
                { (index: Int) in
                    client.makeLinkRequest(activityID: Int64(index), kind: .guest("嘉宾A"), at: date, timeout: 5)
                }
            ),
        ] as [(String, (Int) -> (request: OutgoingRequest, signature: String))] {
            for index in 0..<1_000 { sink &+= build(index).signature.utf8.count }
            let cpuBefore = processCPUSeconds()
            for index in 0..<requests { sink &+= build(index).signature.utf8.count }
            let cpu = processCPUSeconds() - cpuBefore
            print(
                String(
                    format: "volcengine-sign: %@: %.1f µs/request (%.0f requests/s CPU)",
                    name, cpu * 1e6 / Double(requests), Double(requests) / cpu))
        }
        if sink == 0 { print("(unreachable)") }
    }
}

struct VolcenginePollCPU: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volcengine-poll-cpu",
        abstract:
            "CPU time per Volcengine poll (3 activities: 3 restriction + 6 link requests, sign, parse, store, alert).")

    @Option var polls = 500

    func run() async throws {
        try await withChildSimulator(["serve-volcengine"]) { child, folder in
            let endpoint = try child.endpoint()
            let volcengine = VolcengineMonitorConfiguration(
                name: "volc-bench", accessKey: Secret(benchVolcengineAccessKey),
                secretKey: Secret(benchVolcengineSecretKey),
                endpoint: endpoint, activityIDs: benchVolcengineActivities, viewingRestrictions: true,
                liveClientLinks: true,
                guestNames: ["嘉宾A"], poll: PollSettings(interval: 1, timeout: 5, jitter: 0))
            let bench = try BenchPipeline(folder: folder)
            let transport = AsyncHTTPTransport()
            // The documented limits would make this a test of patience: raised here, and off in the child simulator.
            let limiters = VolcengineRateLimiters(
                restrictions: RateLimiter(perSecond: 1_000_000), links: RateLimiter(perSecond: 1_000_000))
            let runtime = MonitorRuntime(
                configuration: .volcengine(volcengine),
                monitor: VolcengineMonitor(configuration: volcengine, transport: transport, limiters: limiters),
                evaluator: VolcengineEvaluator(
                    monitor: volcengine.name, linkExpiryWarning: volcengine.linkExpiryWarning))
            for _ in 0..<20 { _ = await bench.poll(runtime, deadline: 5) }
            let figures = await measurePolls(polls) { await bench.poll(runtime, deadline: 5) }
            await transport.shutdown()
            bench.store.close()
            print(
                String(
                    format:
                        "volcengine-poll-cpu: %d polls (9 requests each), %d failed; CPU %.3f ms/poll (%.3f ms/request), wall %.3f ms/poll",
                    polls, figures.failures, figures.cpu * 1_000 / Double(polls),
                    figures.cpu * 1_000 / Double(polls * 9),
                    figures.wall * 1_000 / Double(polls)))
        }
    }
}

/// A transport for building requests without sending them.
struct UnusedBenchTransport: HTTPTransport {
    func perform(_ request: OutgoingRequest) async throws(HTTPTransportError) -> IncomingResponse {
        throw .connectionFailed("the benchmark sends nothing")
    }
}
