import ArgumentParser
import Foundation
import LiveWatch

/// `/metrics` at fleet size: 50 monitors (of the four vendors) and 1,000 MetaStudio platforms worth
/// of series, scraped over loopback HTTP; prints the latency, the CPU per scrape and the memory the
/// registry and its listener cost.
struct MetricsScrape: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "/metrics latency (median, p99), CPU per scrape and the listener's RSS, 50 monitors, 1,000 platforms."
    )

    @Option(help: "Scrapes to time.") var scrapes = 1_000
    @Option(help: "Monitors, spread over the four vendors.") var monitors = 50
    @Option(help: "MetaStudio platforms, spread over the MetaStudio monitors.") var platforms = 1_000

    func run() async throws {
        guard let endpoint = URL(string: "http://127.0.0.1:1") else { throw ValidationError("bad URL") }
        let configurations = (0..<monitors).map { index in Self.monitor(index, endpoint: endpoint) }
        let before = residentBytes()

        let metrics = LiveWatchMetrics(
            monitors: configurations, notifiers: ["ops-webhook", "ops-wecom", "alertmanager"])
        Self.feed(metrics, configurations: configurations, platforms: platforms)
        let registered = residentBytes()
        let server = try await MetricsServer.bind(ListenAddress(host: "127.0.0.1", port: 0), metrics: metrics)
        let client = try ScrapeClient(port: server.port)
        for _ in 0..<20 { _ = try client.get() }

        // The page rendered alone: the CPU a scrape costs the daemon, without HTTP or the client.
        let renders = max(1, scrapes / 4)
        let renderStart = processCPUSeconds()
        var bytes = 0
        for _ in 0..<renders { bytes = metrics.exposition().count }
        let renderCPU = (processCPUSeconds() - renderStart) / Double(renders)

        // Whole scrapes over loopback HTTP (one keep-alive connection); the CPU counts the (small) client too.
        var latencies: [Double] = []
        latencies.reserveCapacity(scrapes)
        let cpuStart = processCPUSeconds()
        for _ in 0..<scrapes {
            let start = DispatchTime.now().uptimeNanoseconds
            let status = try client.get()
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            guard status == 200 else { throw ValidationError("/metrics answered \(status)") }
        }
        let scrapeCPU = (processCPUSeconds() - cpuStart) / Double(scrapes)
        let after = residentBytes()
        latencies.sort()
        let median = latencies[latencies.count / 2]
        let p99 = latencies[min(latencies.count - 1, Int(Double(latencies.count) * 0.99))]
        let series = String(decoding: metrics.exposition(), as: UTF8.self).split(separator: "\n").filter {
            !$0.hasPrefix("#")
        }.count
        print("metrics: \(monitors) monitors, \(platforms) platforms: \(series) samples, page \(bytes / 1_024) KiB")
        print(String(format: "metrics: scrape latency median %.2f ms, p99 %.2f ms (%d scrapes)", median, p99, scrapes))
        print(
            String(
                format: "metrics: CPU per scrape %.2f ms rendering, %.2f ms whole HTTP exchange (client included)",
                renderCPU * 1e3, scrapeCPU * 1e3))
        print(
            String(
                format:
                    "metrics: RSS %.1f MB without the listener; the registry's series %+.1f MB; listener, its threads and the scrapes %+.1f MB; in all %+.1f MB",
                Double(before) / 1e6, Double(registered - before) / 1e6, Double(after - registered) / 1e6,
                Double(after - before) / 1e6))
        client.close()
        await server.close()
    }

    /// Monitor `index`: the vendors in turn.
    static func monitor(_ index: Int, endpoint: URL) -> MonitorConfiguration {
        let poll = PollSettings(interval: 60, timeout: 10, jitter: 0.1)
        switch index % 4 {
        case 0:
            return .polyv(
                PolyvMonitorConfiguration(
                    name: "polyv-\(index)", appID: "app-\(index)", appSecret: Secret("s"), endpoint: endpoint,
                    poll: poll, residualWarning: 2, residualCritical: 0))
        case 1:
            return .tencentChat(
                TencentChatMonitorConfiguration(
                    name: "tim-\(index)", sdkAppID: 1_400_000_000, identifier: "administrator", secretKey: Secret("s"),
                    endpoint: endpoint, poll: poll))
        case 2:
            return .metaStudio(
                MetaStudioMonitorConfiguration(
                    name: "metastudio-\(index)", projectID: "0123456789abcdef0123456789abcdef", endpoint: endpoint,
                    authentication: .token(Secret("t")), accessType: nil, expiryWarning: 7 * 86_400,
                    expiryCritical: 86_400, timeZone: TimeZone(identifier: "UTC") ?? .current, maxPages: 100,
                    poll: poll))
        default:
            return .volcengine(
                VolcengineMonitorConfiguration(
                    name: "volc-\(index)", accessKey: Secret("a"), secretKey: Secret("s"), endpoint: endpoint,
                    activityIDs: [1, 2, 3, 4, 5], viewingRestrictions: true, liveClientLinks: true, guestNames: [],
                    linkExpiryWarning: 7_200, poll: poll))
        }
    }

    /// One poll of every monitor, then the platforms and links as a restart restores them: every series exists.
    static func feed(_ metrics: LiveWatchMetrics, configurations: [MonitorConfiguration], platforms: Int) {
        let now = Date()
        let metaStudio = configurations.filter { $0.vendor == MetaStudioMonitorConfiguration.vendor }
        let perMonitor = metaStudio.isEmpty ? 0 : (platforms + metaStudio.count - 1) / metaStudio.count
        var platformIndex = 0
        var snapshot = MetricsSnapshot()
        for configuration in configurations {
            var outcome = PollOutcome.failed(PollFailure(kind: .http, code: "503", message: "unavailable"))
            var stored = MetricsSnapshot.Monitor()
            stored.lastSuccess = now
            switch configuration {
            case .polyv:
                outcome = .observed(.mrConcurrency(MRConcurrency(total: 100, used: 42, residual: 58, channelIDs: [])))
            case .tencentChat:
                outcome = .observed(.liveRooms(LiveRoomList(rooms: [], pages: 1)))
            case .metaStudio:
                var listing: [MetricsSnapshot.Platform] = []
                for _ in 0..<perMonitor where platformIndex < platforms {
                    listing.append(
                        MetricsSnapshot.Platform(
                            platformID: String(format: "%032lx", platformIndex), authorized: true,
                            expiresAt: now.addingTimeInterval(Double(30 + platformIndex % 300) * 86_400)))
                    platformIndex += 1
                }
                stored.platforms = listing
            case .volcengine:
                stored.links = (1...5).map {
                    MetricsSnapshot.Link(subject: String($0), expiresAt: now.addingTimeInterval(86_400))
                }
            }
            snapshot.monitors[configuration.name] = stored
            metrics.pollFinished(
                PollReport(
                    monitor: configuration.name, vendor: configuration.vendor, startedAt: now,
                    finishedAt: now.addingTimeInterval(0.4), requests: 1, httpStatus: 200, requestID: nil,
                    outcome: outcome))
        }
        snapshot.firing = [
            FiringAlerts(rule: "platform_authorization_expiring", severity: "warning", count: 12),
            FiringAlerts(rule: "monitor_failing", severity: "warning", count: 1),
        ]
        snapshot.queued = ["ops-webhook": 0, "ops-wecom": 2]
        metrics.restore(snapshot)
    }
}

/// A minimal blocking HTTP/1.1 client on one keep-alive connection: `GET /metrics`, the body read
/// whole (by `Content-Length`) and dropped.
final class ScrapeClient {
    private let socket: Int32
    private var buffer = [UInt8](repeating: 0, count: 256 * 1024)

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard socket >= 0, connected == 0 else { throw ValidationError("cannot connect to 127.0.0.1:\(port)") }
        var one: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// One scrape; returns the status.
    func get() throws -> Int {
        let request = Array("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\n\r\n".utf8)
        guard send(socket, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else {
            throw ValidationError("send failed")
        }
        var head: [UInt8] = []
        var bodyRead = 0
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            guard count > 0 else { throw ValidationError("connection closed") }
            head += buffer[0..<count]
            if let end = Self.headEnd(head) {
                bodyRead = head.count - end
                head = Array(head[0..<end])
                break
            }
        }
        let text = String(decoding: head, as: UTF8.self)
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        let length =
            text.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "") } ?? 0
        while bodyRead < length {
            let count = recv(socket, &buffer, min(buffer.count, length - bodyRead), 0)
            guard count > 0 else { throw ValidationError("connection closed") }
            bodyRead += count
        }
        return status
    }

    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count
        where bytes[index - 3] == 13 && bytes[index - 2] == 10 && bytes[index - 1] == 13 && bytes[index] == 10 {
            return index + 1
        }
        return nil
    }

    func close() { Glibc.close(socket) }
}
