import ArgumentParser
import Foundation
import LiveWatch
import SQLite
import VendorSigning
import VendorSimulator

/// `serve-all`: the four vendors of the steady workload in one simulator (a child process); answers `counters`
/// with the requests each vendor received and the Tencent rate-limit violations.
struct ServeAll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve-all",
        abstract: "(internal) run the four-vendor simulator; print its URL, then counters on request.")

    @Option var rooms = 500
    @Option var platforms = 20
    @Option var rateLimit = 50

    func run() async throws {
        try await serveSimulator { simulator in
            simulator.polyv.addApplication(appID: benchAppID, secret: benchSecret, total: 10, used: 3)
            simulator.tencentChat.addApplication(
                sdkAppID: benchTencentAppID, secretKey: benchTencentKey, administrator: "administrator")
            simulator.tencentChat.setRooms(count: rooms)
            simulator.tencentChat.setRateLimit(rateLimit)
            simulator.metaStudio.addProject(benchMetaStudioProject)
            simulator.metaStudio.addAccessKey(benchMetaStudioAccessKey, secretKey: benchMetaStudioSecretKey)
            simulator.metaStudio.addPlatforms(count: platforms, project: benchMetaStudioProject)
            simulator.volcengine.addAccount(accessKey: benchVolcengineAccessKey, secretKey: benchVolcengineSecretKey)
            simulator.volcengine.enforcesRateLimits = false
            for activity in benchVolcengineActivities {
                simulator.volcengine.addActivity(activity, restrictions: [.sample(type: 1), .sample(type: 2)])
            }
        } then: { simulator in
            // The server runs on NIO's threads; blocking here on standard input is fine.
            while let line = Swift.readLine() {
                if line == "counters" {
                    let counts = [
                        simulator.polyv.counters.requests, simulator.tencentChat.counters.requests,
                        simulator.metaStudio.counters.requests, simulator.volcengine.counters.requests,
                        simulator.tencentChat.counters.rateLimitViolations,
                    ]
                    FileHandle.standardOutput.write(Data((counts.map(String.init).joined(separator: " ") + "\n").utf8))
                }
            }
        }
    }
}

/// What the `serve-all` simulator has counted.
struct VendorCounts {
    var polyv = 0
    var tencent = 0
    var metaStudio = 0
    var volcengine = 0
    var violations = 0
    var total: Int { polyv + tencent + metaStudio + volcengine }

    init() {}

    init(asking child: ChildSimulator) throws {
        let fields = (child.ask("counters") ?? "").split(separator: " ").compactMap { Int($0) }
        guard fields.count == 5 else { throw BenchError("the simulator did not answer with its counters") }
        (polyv, tencent, metaStudio, volcengine, violations) = (fields[0], fields[1], fields[2], fields[3], fields[4])
    }

    static func - (lhs: VendorCounts, rhs: VendorCounts) -> VendorCounts {
        var difference = VendorCounts()
        difference.polyv = lhs.polyv - rhs.polyv
        difference.tencent = lhs.tencent - rhs.tencent
        difference.metaStudio = lhs.metaStudio - rhs.metaStudio
        difference.volcengine = lhs.volcengine - rhs.volcengine
        difference.violations = lhs.violations - rhs.violations
        return difference
    }
}

/// The secrets of the bench configurations, passed to `livewatch` in its environment (never in the file).
let benchSecretEnvironment = [
    "BENCH_POLYV_SECRET": benchSecret, "BENCH_TIM_KEY": benchTencentKey, "BENCH_MS_AK": benchMetaStudioAccessKey,
    "BENCH_MS_SK": benchMetaStudioSecretKey, "BENCH_VOLC_AK": benchVolcengineAccessKey,
    "BENCH_VOLC_SK": benchVolcengineSecretKey,
]

/// The environment `livewatch` runs in: the secrets, PATH, and any MALLOC_/LIVEWATCH_ variable of ours.
func benchChildEnvironment() -> [String: String] {
    var environment = benchSecretEnvironment
    environment["PATH"] = "/usr/bin:/bin"
    for (name, value) in ProcessInfo.processInfo.environment
    where name.hasPrefix("MALLOC_") || name.hasPrefix("GLIBC_TUNABLES") {
        environment[name] = value
    }
    return environment
}

/// The Tencent Chat monitor of the bench configurations, as YAML.
func tencentMonitorYAML(endpoint: String, rateLimit: Int) -> String {
    """
    tencent_chat:
      - name: tim-bench
        sdk_app_id: \(benchTencentAppID)
        identifier: administrator
        secret_key: { env: BENCH_TIM_KEY }
        endpoint: \(endpoint)
        page_size: 20
        rate_limit: \(rateLimit)
        max_pages: 100000
        crawl_budget: 1h

    """
}

/// `steady`: the daemon itself (the `livewatch` binary, `run`) polling four vendors every second for a minute.
struct Steady: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steady",
        abstract:
            "livewatch run, four vendors at 1 s (Polyv; Tencent 500 rooms; MetaStudio 20 platforms; Volcengine 3 "
            + "activities with links): peak RSS, CPU and context switches per vendor request, polls per minute; "
            + "beside the same number of requests made by a minimal SwiftNIO client (the floor).")

    @Option(help: "Seconds the daemon runs.") var seconds = 60
    @Option(help: "The livewatch binary (default: the one beside this benchmark).") var livewatch: String?
    @Option(help: "Rooms in the Tencent list.") var rooms = 500
    @Option(help: "Tencent rate_limit, requests/s.") var rateLimit = 50
    @Option(
        help: ArgumentHelp(
            "Run livewatch under this command, e.g. \"valgrind --tool=callgrind\" to trace the functions it runs "
                + "(`make order`); its CPU figures then mean nothing.", valueName: "command"))
    var wrapper: String?

    func run() async throws {
        let binary = try livewatchBinary(livewatch)
        let wrapping = wrapper?.split(separator: " ").map(String.init) ?? []
        try await withChildSimulator(
            ["serve-all", "--rooms", String(rooms), "--rate-limit", String(rateLimit)]
        ) { child, folder in
            let configPath = folder + "/steady.yaml"
            try steadyYAML(endpoint: child.baseURL, folder: folder).write(
                toFile: configPath, atomically: true, encoding: .utf8)
            let before = try VendorCounts(asking: child)
            let command = wrapping + [binary, "run", "--config", configPath, "--log-level", "warning"]
            let daemon = try SpawnedProcess(
                path: try executablePath(command[0]), arguments: Array(command.dropFirst()),
                environment: benchChildEnvironment(), output: folder + "/livewatch.out")
            // RSS every 10 s: after the first minute, nothing may grow.
            var samples: [(second: Int, rss: Int)] = []
            var elapsed = 0
            while elapsed < seconds {
                let step = min(10, seconds - elapsed)
                try await Task.sleep(nanoseconds: UInt64(step) * 1_000_000_000)
                elapsed += step
                samples.append((elapsed, procStatusBytes(String(daemon.pid), field: "VmRSS") ?? 0))
            }
            let resident = ResidentSet(pid: daemon.pid, binary: binary)
            daemon.send(SIGTERM)
            let usage = daemon.wait()
            let wall = Date().timeIntervalSince(daemon.started)
            let counts = try VendorCounts(asking: child) - before
            guard usage.exitCode == 0, counts.total > 0 else {
                let output = (try? String(contentsOfFile: folder + "/livewatch.out", encoding: .utf8)) ?? ""
                throw BenchError("livewatch run ended with status \(usage.status):\n\(output)")
            }
            let (polls, ok) = try Self.polls(database: folder + "/steady.db")
            let check = try Startup.measure(
                binary: binary, arguments: ["check", "--database", folder + "/steady.db"], runs: 5)

            // The floor: as many requests (Tencent room pages) at the same rate, from a minimal NIO client.
            let spacing = wall / Double(counts.total)
            let floor = try Self.floor(child: child, requests: counts.total, spacing: spacing)

            print("steady: livewatch \(binary)")
            print(
                String(
                    format:
                        "steady: %.0f s, %d vendor requests (Polyv %d, Tencent %d, MetaStudio %d, Volcengine %d), "
                        + "%d Tencent rate-limit violations; %d polls (%d ok) = %.0f polls/min",
                    wall, counts.total, counts.polyv, counts.tencent, counts.metaStudio, counts.volcengine,
                    counts.violations, polls, ok, Double(polls) / wall * 60))
            print(String(format: "steady: peak RSS %.1f MB (goal <= 20)", Double(usage.peakRSS) / 1e6))
            if let resident { print("steady: RSS at the end \(resident.summary)") }
            if let minute = samples.first(where: { $0.second >= 60 }), let last = samples.last, last.second > 60 {
                let highest = samples.filter { $0.second >= 60 }.map(\.rss).max() ?? last.rss
                print(
                    String(
                        format: "steady: RSS at %d s %.1f MB, at %d s %.1f MB, highest after the first minute %.1f MB "
                            + "(growth %+.1f MB)", minute.second, Double(minute.rss) / 1e6, last.second,
                        Double(last.rss) / 1e6, Double(highest) / 1e6, Double(highest - minute.rss) / 1e6))
            }
            let perRequest = usage.cpu / Double(counts.total)
            let floorPerRequest = floor.cpu / Double(max(1, floor.requests))
            print(
                String(
                    format:
                        "steady: CPU per vendor request %.3f ms (goal <= 0.2; all %.2f s of CPU / requests); "
                        + "floor %.3f ms (%d requests); ratio %.1f",
                    perRequest * 1_000, usage.cpu, floorPerRequest * 1_000, floor.requests,
                    perRequest / floorPerRequest))
            let switches = Double(usage.contextSwitches) / Double(counts.total)
            let floorSwitches = Double(floor.contextSwitches) / Double(max(1, floor.requests))
            print(
                String(
                    format: "steady: context switches per request %.1f; floor %.1f; ratio %.1f", switches,
                    floorSwitches, switches / max(0.01, floorSwitches)))
            print("steady: then `livewatch check --database` on its database, 5 runs, medians: \(check)")
        }
    }

    /// The polls stored, and how many of them succeeded.
    static func polls(database path: String) throws -> (Int, Int) {
        let database = try Database(path: path)
        let polls = try database.scalarInt64("SELECT count(*) FROM polls") ?? 0
        let ok = try database.scalarInt64("SELECT count(*) FROM polls WHERE ok = 1") ?? 0
        return (Int(polls), Int(ok))
    }

    /// `requests` first-page room-list requests, `spacing` seconds apart, from the minimal NIO client.
    static func floor(child: ChildSimulator, requests: Int, spacing: Double) throws -> NIOFloor.Figures {
        let endpoint = try child.endpoint()
        let path = try tencentRoomListPath()
        return try NIOFloor.run(host: endpoint.host ?? "127.0.0.1", port: endpoint.port ?? 80, spacing: spacing) {
            _, sent in
            sent < requests ? NIOFloor.Request(path: path, body: #"{"Next":"","Count":20}"#) : nil
        }
    }

    func steadyYAML(endpoint: String, folder: String) -> String {
        let activities = benchVolcengineActivities.map(String.init).joined(separator: ", ")
        return """
            daemon:
              database: \(folder)/steady.db
              alert_log: \(folder)/alerts.log
            defaults:
              interval: 1s
              timeout: 10s
              jitter: 0%
            polyv:
              - name: polyv-bench
                app_id: \(benchAppID)
                app_secret: { env: BENCH_POLYV_SECRET }
                endpoint: \(endpoint)
            metastudio:
              - name: metastudio-bench
                project_id: \(benchMetaStudioProject)
                endpoint: \(endpoint)
                access_key: { env: BENCH_MS_AK }
                secret_key: { env: BENCH_MS_SK }
            volcengine:
              - name: volc-bench
                access_key: { env: BENCH_VOLC_AK }
                secret_key: { env: BENCH_VOLC_SK }
                endpoint: \(endpoint)
                activity_ids: [\(activities)]
                viewing_restrictions: true
                live_client_links: true

            """ + tencentMonitorYAML(endpoint: endpoint, rateLimit: rateLimit)
    }
}

/// The path and query of a signed Tencent Chat room-list request (a UserSig valid for a day).
func tencentRoomListPath() throws -> String {
    let userSig = try TencentUserSig.generate(
        secretKey: benchTencentKey, sdkAppID: benchTencentAppID, identifier: "administrator",
        time: Int64(Date().timeIntervalSince1970), expire: 86_400)
    return TencentChatClient.roomListPath + "?sdkappid=\(benchTencentAppID)&identifier=administrator"
        + "&usersig=\(userSig)&random=1&contenttype=json"
}

/// `crawl`: one `livewatch poll` (the binary) crawling a large Tencent room list at its rate limit.
struct Crawl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crawl",
        abstract:
            "livewatch poll crawling 10,000 Tencent rooms at 50 req/s: CPU, context switches, wall / (pages / rate); "
            + "beside the same crawl made by a minimal SwiftNIO client (the floor).")

    @Option(help: "Rooms in the simulated list.") var rooms = 10_000
    @Option(help: "rate_limit of the monitor and of the simulator, requests/s.") var rateLimit = 50
    @Option(help: "The livewatch binary (default: the one beside this benchmark).") var livewatch: String?
    @Option(help: "Crawls of each (livewatch, floor), alternating; the medians are printed.") var runs = 1

    func run() async throws {
        let binary = try livewatchBinary(livewatch)
        try await withChildSimulator(
            ["serve-all", "--rooms", String(rooms), "--rate-limit", String(rateLimit)]
        ) { child, folder in
            let configPath = folder + "/crawl.yaml"
            try """
            daemon:
              database: \(folder)/crawl.db
              alert_log: \(folder)/alerts.log
            defaults:
              timeout: 10s

            """.appending(tencentMonitorYAML(endpoint: child.baseURL, rateLimit: rateLimit)).write(
                toFile: configPath, atomically: true, encoding: .utf8)
            var measured: [(cpu: Double, ratio: Double, switches: Double, rss: Int, pages: Int)] = []
            var floors: [(cpu: Double, ratio: Double, switches: Double)] = []
            for run in 0..<max(1, runs) {
                // The simulator counts starts in any one-second window, whoever sent them: let the previous
                // floor's last second pass before livewatch starts.
                if run > 0 { try await Task.sleep(nanoseconds: 1_100_000_000) }
                let before = try VendorCounts(asking: child)
                let poll = try SpawnedProcess(
                    path: binary, arguments: ["poll", "--config", configPath, "--log-level", "warning"],
                    environment: benchChildEnvironment(), output: folder + "/livewatch.out")
                let usage = poll.wait()
                let wall = Date().timeIntervalSince(poll.started)
                let counts = try VendorCounts(asking: child) - before
                guard usage.exitCode == 0, counts.violations == 0 else {
                    let output = (try? String(contentsOfFile: folder + "/livewatch.out", encoding: .utf8)) ?? ""
                    throw BenchError(
                        "livewatch poll ended with status \(usage.status), \(counts.violations) violations:\n\(output)")
                }
                let ideal = Double(counts.tencent) / Double(rateLimit)
                measured.append(
                    (
                        usage.cpu, wall / ideal, Double(usage.contextSwitches) / Double(counts.tencent),
                        usage.peakRSS, counts.tencent
                    ))
                let floor = try Self.floor(child: child, rateLimit: rateLimit)
                floors.append(
                    (
                        floor.cpu, floor.wall / (Double(floor.requests) / Double(rateLimit)),
                        Double(floor.contextSwitches) / Double(floor.requests)
                    ))
            }
            let cpu = median(measured.map(\.cpu))
            let floorCPU = median(floors.map(\.cpu))
            print("crawl: livewatch \(binary); \(rooms) rooms at \(rateLimit) req/s, \(measured.count) run(s), medians")
            print(
                String(
                    format:
                        "crawl: livewatch poll: %d pages, CPU %.3f s (goal <= 0.15), wall / (pages / rate) %.3f "
                        + "(goal <= 1.02), %.1f context switches per request, peak RSS %.1f MB",
                    measured[0].pages, cpu, median(measured.map(\.ratio)), median(measured.map(\.switches)),
                    Double(median(measured.map(\.rss))) / 1e6))
            print(
                String(
                    format: "crawl: floor (minimal NIO client): CPU %.3f s, wall / ideal %.3f, %.1f context switches "
                        + "per request", floorCPU, median(floors.map(\.ratio)), median(floors.map(\.switches))))
            print(String(format: "crawl: CPU ratio to the floor %.1f", cpu / floorCPU))
        }
    }

    /// The same crawl by the minimal NIO client: follows `Next`, a request every 1/rate s (+0.5 %).
    static func floor(child: ChildSimulator, rateLimit: Int) throws -> NIOFloor.Figures {
        let endpoint = try child.endpoint()
        let path = try tencentRoomListPath()
        return try NIOFloor.run(
            host: endpoint.host ?? "127.0.0.1", port: endpoint.port ?? 80, spacing: 1.005 / Double(rateLimit)
        ) { previous, sent in
            if sent == 0 { return NIOFloor.Request(path: path, body: #"{"Next":"","Count":20}"#) }
            guard let next = tencentNextCursor(in: previous), !next.isEmpty else { return nil }
            return NIOFloor.Request(path: path, body: #"{"Next":""# + next + #"","Count":20}"#)
        }
    }
}

/// The median of `values` (the lower middle one of an even count).
func median<T: Comparable>(_ values: [T]) -> T {
    let sorted = values.sorted()
    return sorted[(sorted.count - 1) / 2]
}

/// `floor`: the minimal NIO client alone, at a given rate: what a request costs this machine when nothing but
/// the sockets runs, and how that cost grows as the requests thin out (the CPU wakes from idle for each).
struct Floor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "floor",
        abstract: "The minimal SwiftNIO client alone: CPU and context switches per request at each rate.")

    @Option(help: "Requests per second, comma-separated.") var rates = "5,25,50,200"
    @Option(help: "Seconds at each rate.") var seconds = 10
    @Flag(help: "Crawl the room list (follow Next) instead of asking for the first page each time.") var follow = false

    func run() async throws {
        try await withChildSimulator(["serve-all"]) { child, _ in
            for rate in rates.split(separator: ",").compactMap({ Double($0) }) {
                let count = Int(rate * Double(seconds))
                let floor =
                    follow
                    ? try Crawl.floor(child: child, rateLimit: Int(rate))
                    : try Steady.floor(child: child, requests: count, spacing: 1 / rate)
                print(
                    String(
                        format: "floor: %6.0f req/s: %d requests, CPU %.3f ms per request, %.1f context switches "
                            + "per request", rate, floor.requests, floor.cpu / Double(floor.requests) * 1_000,
                        Double(floor.contextSwitches) / Double(floor.requests)))
            }
        }
    }
}
