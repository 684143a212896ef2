import ArgumentParser
import Foundation
import LiveWatch
import SQLite
import Synchronization
import VendorSimulator

let benchTencentAppID: UInt64 = 1_400_000_000
let benchTencentKey = "bench-tim-key-0123456789abcdef0123456789abcdef"

/// `tencent-crawl`: the Tencent Chat room list crawl's figures.
struct TencentCrawl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tencent-crawl",
        abstract: "Tencent Chat: crawl a large room list at a rate limit against the simulator (in a child process): "
            + "wall time against the ideal, rate-limit violations, CPU to parse and store, bytes per stored sample.")

    @Option(help: "Rooms in the simulated list.") var rooms = 10_000
    @Option(help: "rate_limit of the monitor and of the simulator, requests/s.") var rateLimit = 50
    @Option(help: "Crawls stored before measuring bytes per sample.") var crawls = 100

    func run() async throws {
        try await withChildSimulator(["serve-tencent", "--rooms", String(rooms), "--rate-limit", String(rateLimit)]) {
            child, folder in
            let endpoint = try child.endpoint()
            let monitor = TencentChatMonitorConfiguration(
                name: "tim-bench", sdkAppID: benchTencentAppID, identifier: "administrator",
                secretKey: Secret(benchTencentKey),
                endpoint: endpoint, pageSize: 20, rateLimit: rateLimit, maxPages: 100_000, crawlBudget: 3_600,
                poll: PollSettings(interval: 60, timeout: 10, jitter: 0))
            let bench = try BenchPipeline(folder: folder, database: "crawl.db")
            let http = AsyncHTTPTransport()
            let transport = RecordingTransport(http)
            let runtime = MonitorRuntime.make(.tencentChat(monitor), transport: transport)

            // 1. One crawl, end to end (sign, HTTP, parse, store).
            let cpuBefore = processCPUSeconds()
            let report = await bench.poll(runtime, deadline: monitor.crawlBudget)
            let crawlCPU = processCPUSeconds() - cpuBefore
            await http.shutdown()
            bench.store.close()
            guard case .observed(.liveRooms(let list)) = report.outcome else {
                throw ValidationError("the crawl failed: \(String(describing: report.failure))")
            }
            let counters = try Self.counters(of: child)
            let wall = report.finishedAt.timeIntervalSince(report.startedAt)
            let ideal = Double(list.pages) / Double(rateLimit)
            print(
                String(
                    format: "tencent-crawl: %d rooms (%d distinct stored), %d pages, %d requests at rate_limit %d",
                    rooms, list.rooms.count, list.pages, report.requests, rateLimit))
            print(
                String(
                    format: "tencent-crawl: wall %.2f s / (pages / rate limit = %.2f s) = %.3f (goal <= 1.05)", wall,
                    ideal, wall / ideal))
            print(
                "tencent-crawl: rate-limit violations counted by the simulator: \(counters.violations) of \(counters.requests) requests (goal 0)"
            )
            print(
                String(
                    format: "tencent-crawl: client CPU for the whole crawl (UserSig, HTTP, parse, store): %.0f ms",
                    crawlCPU * 1_000))

            // 2. Parse and store alone, from the recorded bodies: best of 5.
            let bodies = transport.bodies
            var bestParse = Double.infinity
            var bestStore = Double.infinity
            for round in 0..<5 {
                let parseStart = processCPUSeconds()
                let parsed = Self.parseCrawl(bodies)
                bestParse = min(bestParse, processCPUSeconds() - parseStart)
                let roundStore = try Store(path: folder + "/parse-store-\(round).db")
                let storeStart = processCPUSeconds()
                try roundStore.writeSynchronously { database in
                    try ObservationWriter.insertObservation(
                        .liveRooms(parsed), monitor: "tim-bench", at: Date(), in: database)
                }
                bestStore = min(bestStore, processCPUSeconds() - storeStart)
                roundStore.close()
            }
            print(
                String(
                    format:
                        "tencent-crawl: CPU to parse %d pages into %d rooms %.1f ms + store them in one transaction %.1f ms = %.1f ms",
                    bodies.count, list.rooms.count, bestParse * 1_000, bestStore * 1_000,
                    (bestParse + bestStore) * 1_000))

            // 3. Bytes on disk per sample after `crawls` crawls of this list (values moving between crawls).
            let (fileBytes, tableBytes, samples) = try Self.storeCrawls(
                list, count: crawls, path: folder + "/history.db")
            print(
                String(
                    format:
                        "tencent-crawl: after %d crawls (%d samples): %.1f bytes/sample for the whole database file, "
                        + "%@ for live_room_sample_data alone (goal <= 30)",
                    crawls, samples, Double(fileBytes) / Double(samples),
                    tableBytes.map { String(format: "%.1f", Double($0) / Double(samples)) } ?? "n/a (no dbstat)"))
        }
    }

    /// The child simulator's request and rate-limit violation counters (`serve-tencent` answers `counters`).
    static func counters(of child: ChildSimulator) throws -> (requests: Int, violations: Int) {
        let fields = (child.ask("counters") ?? "").split(separator: " ").compactMap { Int($0) }
        guard fields.count == 2 else { throw ValidationError("the simulator did not answer with its counters") }
        return (fields[0], fields[1])
    }

    /// What the monitor does with the bodies: parse each page, keep each room once (last values win).
    static func parseCrawl(_ bodies: [[UInt8]]) -> LiveRoomList {
        var rooms = DistinctListing<LiveRoom> { $0.roomID }
        for body in bodies {
            guard
                case .page(let page) = TencentChatClient.parse(IncomingResponse(status: 200, headers: [], body: body))
                    .answer
            else { continue }
            rooms.merge(page.rooms)
        }
        return LiveRoomList(rooms: rooms.entries, pages: bodies.count)
    }

    /// Stores `count` crawls a minute apart, each room's views growing a little, as the daemon would; returns
    /// the checkpointed file size, the sample table's size (if dbstat is available) and the samples stored.
    static func storeCrawls(_ list: LiveRoomList, count: Int, path: String) throws -> (Int, Int?, Int) {
        let store = try Store(path: path)
        var current = list
        var random: UInt64 = 0x9E37_79B9_7F4A_7C15
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for crawl in 0..<count {
            if crawl > 0 {
                for index in current.rooms.indices {
                    random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    current.rooms[index].viewCount = (current.rooms[index].viewCount ?? 0) + Int64(random >> 56)
                    if random >> 40 & 0xFF == 0 {
                        current.rooms[index].activityStatus = 1 - (current.rooms[index].activityStatus ?? 0)
                    }
                }
            }
            let snapshot = current
            try store.writeSynchronously { database in
                try ObservationWriter.insertObservation(
                    .liveRooms(snapshot), monitor: "tim-bench", at: start.addingTimeInterval(Double(crawl) * 60),
                    in: database)
            }
        }
        let tableBytes = try store.accessSynchronously { database -> Int? in
            try database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            // dbstat is optional in SQLite builds: without it, only the whole file is measured.
            return (try? database.scalarInt64("SELECT sum(pgsize) FROM dbstat WHERE name = 'live_room_sample_data'"))
                .map(Int.init)
        }
        store.close()
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return (size, tableBytes, count * list.rooms.count)
    }
}

/// Passes requests through and keeps every response body.
final class RecordingTransport: HTTPTransport {
    let inner: any HTTPTransport
    private let recorded = Mutex<[[UInt8]]>([])

    init(_ inner: any HTTPTransport) { self.inner = inner }

    var bodies: [[UInt8]] { recorded.withLock { $0 } }

    func perform(_ request: OutgoingRequest) async throws(HTTPTransportError) -> IncomingResponse {
        let response = try await inner.perform(request)
        recorded.withLock { $0.append(response.body) }
        return response
    }
}

/// `serve-tencent`: (internal) the child process of `tencent-crawl`: prints its URL, then answers each
/// `counters` line on standard input with one line of counters.
struct TencentServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve-tencent",
        abstract: "(internal) run the Tencent Chat simulator; print its URL, then counters on request.")

    @Option var rooms = 10_000
    @Option var rateLimit = 50

    func run() async throws {
        try await serveSimulator { simulator in
            simulator.tencentChat.addApplication(
                sdkAppID: benchTencentAppID, secretKey: benchTencentKey, administrator: "administrator")
            simulator.tencentChat.setRooms(count: rooms)
            simulator.tencentChat.setRateLimit(rateLimit)
        } then: { simulator in
            // The server runs on NIO's threads; blocking here on standard input is fine.
            while let line = Swift.readLine() {
                if line == "counters" {
                    let counters = simulator.tencentChat.counters
                    FileHandle.standardOutput.write(Data("\(counters.requests) \(counters.rateLimitViolations)\n".utf8))
                }
            }
        }
    }
}
