import Foundation
import SQLite
import Testing
import VendorSimulator

@testable import LiveWatch

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon's `/metrics`, `/-/healthy` and `/-/ready` over real HTTP on 127.0.0.1 (port 0), the
/// daemon polling the simulator's four vendors and notifying its webhook receiver.
@Suite struct MetricsEndpointTests {
    static let monitors = [
        ("m-polyv", "polyv"), ("m-tim", "tencent_chat"), ("m-meta", "metastudio"), ("m-volc", "volcengine"),
    ]

    /// Fires the due timers until `condition` holds for the page (at most 20 real seconds).
    static func page(
        _ world: MetricsWorld, port: Int, clock: ManualClock, until condition: (Exposition) -> Bool
    ) async throws -> Exposition {
        let deadline = Date().addingTimeInterval(20)
        while true {
            let page = try await world.scrape(port)
            if condition(page) { return page }
            guard Date() < deadline else {
                throw RequireError(message: "the page never got there; last page:\n\(page.text)")
            }
            clock.advance(by: 0)
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    /// Once the daemon runs, lets the clock reach the four monitors' staggered first polls (0 to 0.75 s).
    static func firstPolls(_ daemon: RunningDaemon) async throws {
        try await waitUntil { daemon.log.text.contains("livewatch started") }
        daemon.clock.advance(by: 0.75)
    }

    static func polled(_ page: Exposition, times: Double) -> Bool {
        monitors.allSatisfy { name, vendor in
            (page.value("livewatch_polls_total", ["monitor": name, "vendor": vendor, "outcome": "ok"]) ?? 0) >= times
        }
    }

    @Test func everyFamilyIsOnThePageWithTheStoredValues() async throws {
        try await withFixture({ try await MetricsWorld.start() }) { world in
            let daemon = RunningDaemon(try world.configuration(), transport: world.transport)
            let port = try await listenerPort(daemon.log)
            try await Self.firstPolls(daemon)
            // Every monitor polled, every notification delivered (the receiver's count read with the page).
            let page = try await Self.page(world, port: port, clock: daemon.clock) { page in
                let delivered = Double(world.receiver.received(.webhook).filter(\.accepted).count)
                return Self.polled(page, times: 1) && delivered >= 1
                    && page.value("livewatch_notifications_total", ["notifier": "hook", "outcome": "sent"]) == delivered
                    && page.value("livewatch_notifications_queued", ["notifier": "hook"]) == 0
            }

            // HELP and TYPE once per family, before its samples; every line well formed.
            #expect(page.malformed.isEmpty, "\(page.malformed)")
            for sample in page.samples {
                let family = page.family(of: sample.name)
                #expect(page.typeLines[family] == 1, "\(family): TYPE lines \(page.typeLines[family] ?? 0)")
                #expect(page.helps[family] == 1, "\(family): HELP lines \(page.helps[family] ?? 0)")
            }
            let expectedTypes: [String: String] = [
                "livewatch_build_info": "gauge", "livewatch_polls_total": "counter",
                "livewatch_poll_duration_seconds": "histogram", "livewatch_vendor_requests_total": "counter",
                "livewatch_last_success_timestamp_seconds": "gauge", "livewatch_mr_concurrency_total": "gauge",
                "livewatch_mr_concurrency_used": "gauge", "livewatch_mr_concurrency_residual": "gauge",
                "livewatch_live_rooms": "gauge", "livewatch_platform_authorization_expiry_timestamp_seconds": "gauge",
                "livewatch_platform_authorized": "gauge",
                "livewatch_live_client_link_expiry_timestamp_seconds": "gauge",
                "livewatch_alerts_firing": "gauge", "livewatch_notifications_queued": "gauge",
                "livewatch_notifications_total": "counter",
            ]
            for (family, type) in expectedTypes {
                #expect(page.types[family] == type, "\(family) is \(page.types[family] ?? "absent")")
            }

            #expect(page.value("livewatch_build_info", ["version": LiveWatchVersion.current]) == 1)
            let database = try Database(path: world.database, options: .init(readOnly: true))
            for (name, vendor) in Self.monitors {
                let labels = ["monitor": name, "vendor": vendor]
                #expect(page.value("livewatch_polls_total", labels.merging(["outcome": "failed"]) { $1 }) == 0)
                #expect(page.value("livewatch_poll_duration_seconds_count", labels) == 1)
                #expect(
                    page.value("livewatch_poll_duration_seconds_bucket", labels.merging(["le": "+Inf"]) { $1 }) == 1)
                #expect(page.value("livewatch_poll_duration_seconds_sum", labels) != nil)
                let requests = try database.scalarInt64("SELECT sum(requests) FROM polls WHERE monitor = ?", [name])
                #expect(page.value("livewatch_vendor_requests_total", labels) == requests.map(Double.init))
                let success = try database.scalarInt64(
                    "SELECT last_success_at FROM monitor_state WHERE monitor = ?", [name])
                #expect(page.value("livewatch_last_success_timestamp_seconds", labels) == success.map(Double.init))
            }
            // Buckets are cumulative and end in +Inf.
            let buckets = page.samples.filter {
                $0.name == "livewatch_poll_duration_seconds_bucket" && $0.labels["monitor"] == "m-polyv"
            }
            #expect(buckets.last?.labels["le"] == "+Inf")
            #expect(zip(buckets, buckets.dropFirst()).allSatisfy { $0.value <= $1.value })

            #expect(page.value("livewatch_mr_concurrency_total", ["monitor": "m-polyv"]) == 5)
            #expect(page.value("livewatch_mr_concurrency_used", ["monitor": "m-polyv"]) == 5)
            #expect(page.value("livewatch_mr_concurrency_residual", ["monitor": "m-polyv"]) == 0)
            #expect(page.value("livewatch_live_rooms", ["monitor": "m-tim"]) == 45)
            #expect(page.value("livewatch_platform_authorized", ["monitor": "m-meta", "platform_id": "p-1"]) == 1)
            #expect(page.value("livewatch_platform_authorized", ["monitor": "m-meta", "platform_id": "p-2"]) == 0)
            let p1Expiry = try database.scalarInt64(
                "SELECT expire_time FROM platform_authorizations WHERE platform_id = 'p-1'")
            #expect(
                page.value(
                    "livewatch_platform_authorization_expiry_timestamp_seconds",
                    ["monitor": "m-meta", "platform_id": "p-1"]) == p1Expiry.map(Double.init))
            #expect(
                page.series("livewatch_platform_authorization_expiry_timestamp_seconds") == [
                    ["monitor": "m-meta", "platform_id": "p-1"]
                ], "a platform without an expiry has no expiry series")
            let linkExpiry = try database.scalarInt64(
                "SELECT expire_time FROM live_client_links WHERE monitor = 'm-volc' AND login_type = 0")
            #expect(linkExpiry != nil)
            #expect(
                page.value(
                    "livewatch_live_client_link_expiry_timestamp_seconds",
                    ["monitor": "m-volc", "subject": String(MetricsWorld.activity)]) == linkExpiry.map(Double.init))

            // Open episodes as the database has them (MR concurrency exhausted, the platform expiring and unauthorized).
            let firing = try database.query(
                "SELECT rule, severity, count(*) AS n FROM alerts WHERE state = 'firing' GROUP BY rule, severity")
            #expect(firing.count >= 2)
            for row in firing {
                let labels = ["rule": row.string("rule") ?? "", "severity": row.string("severity") ?? ""]
                #expect(page.value("livewatch_alerts_firing", labels) == Double(row.int64("n") ?? -1), "\(labels)")
            }
            #expect(page.value("livewatch_notifications_total", ["notifier": "hook", "outcome": "given_up"]) == 0)

            // No secret, nor the webhook's token, is on the page.
            for secret in MetricsWorld.secrets {
                #expect(!page.text.contains(secret), "a secret is on the page")
            }
            if let problems = try await promtoolProblems(page.text) {
                #expect(problems.isEmpty, "promtool check metrics: \(problems)")
            }

            // A platform gone from the listing takes its series with it; the rest follow the next poll.
            world.simulator.metaStudio.removePlatform("p-2", project: MetricsWorld.project)
            world.simulator.polyv.setUsed(appID: "metrics-app", used: 3)
            daemon.clock.advance(by: 1)
            let next = try await Self.page(world, port: port, clock: daemon.clock) { Self.polled($0, times: 2) }
            #expect(next.series("livewatch_platform_authorized") == [["monitor": "m-meta", "platform_id": "p-1"]])
            #expect(next.value("livewatch_mr_concurrency_used", ["monitor": "m-polyv"]) == 3)
            #expect(next.value("livewatch_mr_concurrency_residual", ["monitor": "m-polyv"]) == 2)
            #expect(
                next.value("livewatch_polls_total", ["monitor": "m-polyv", "vendor": "polyv", "outcome": "ok"]) == 2)
            try await daemon.stop()
        }
    }

    @Test func aRestartRestoresTheGaugesFromTheDatabase() async throws {
        try await withFixture({ try await MetricsWorld.start() }) { world in
            let configuration = try world.configuration()
            let first = RunningDaemon(configuration, transport: world.transport)
            try await Self.firstPolls(first)
            let before = try await Self.page(world, port: try await listenerPort(first.log), clock: first.clock) {
                Self.polled($0, times: 1)
            }
            try await first.stop()
            // The vendors change meanwhile; the restarted daemon has not polled them yet.
            world.simulator.polyv.setUsed(appID: "metrics-app", used: 1)
            world.simulator.tencentChat.setRooms(count: 3)

            let second = RunningDaemon(configuration, transport: world.transport)
            let port = try await listenerPort(second.log)
            try await waitUntil { second.log.text.contains("livewatch started") }
            let after = try await world.scrape(port)
            #expect(
                after.value("livewatch_polls_total", ["monitor": "m-polyv", "vendor": "polyv", "outcome": "ok"]) == 0,
                "the restarted daemon polled before the test looked")
            let kept = [
                "livewatch_last_success_timestamp_seconds", "livewatch_mr_concurrency_total",
                "livewatch_mr_concurrency_used", "livewatch_mr_concurrency_residual", "livewatch_live_rooms",
                "livewatch_platform_authorization_expiry_timestamp_seconds", "livewatch_platform_authorized",
                "livewatch_live_client_link_expiry_timestamp_seconds", "livewatch_alerts_firing",
            ]
            for family in kept {
                let series = before.samples.filter { $0.name == family }
                #expect(!series.isEmpty, "\(family) was empty before the restart")
                for sample in series {
                    #expect(after.value(family, sample.labels) == sample.value, "\(family)\(sample.labels)")
                }
            }
            try await second.stop()
        }
    }

    @Test func healthReadinessAndTheAnswersToOtherRequests() async throws {
        try await withFixture({ try await MetricsWorld.start() }) { world in
            var configuration = try world.configuration()
            configuration.monitors = configuration.monitors.filter { $0.name == "m-polyv" }
            // Before the daemon runs: a listener alone is healthy, not ready.
            let metrics = LiveWatchMetrics(monitors: configuration.monitors, notifiers: [])
            let server = try await MetricsServer.bind(ListenAddress(host: "127.0.0.1", port: 0), metrics: metrics)
            #expect(try await world.request(server.port, "/-/healthy").status == 200)
            #expect(try await world.request(server.port, "/-/ready").status == 503)
            await server.close()

            let daemon = RunningDaemon(configuration, transport: world.transport)
            let port = try await listenerPort(daemon.log)
            #expect(try await world.request(port, "/-/healthy").status == 200)
            try await waitUntil { daemon.log.text.contains("livewatch started") }
            var ready = try await world.request(port, "/-/ready")
            let readyDeadline = Date().addingTimeInterval(10)
            while ready.status != 200, Date() < readyDeadline {
                try await Task.sleep(nanoseconds: 10_000_000)
                ready = try await world.request(port, "/-/ready")
            }
            #expect(ready.status == 200)

            let metricsPage = try await world.request(port, "/metrics")
            #expect(metricsPage.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            let head = try await world.request(port, "/metrics", method: "HEAD")
            #expect(head.status == 200 && head.body.isEmpty)
            #expect(Int(head.header("Content-Length") ?? "") ?? 0 > 0)
            #expect(try await world.request(port, "/nothing").status == 404)
            #expect(try await world.request(port, "/metrics?x=1").status == 200)
            let post = try await world.request(port, "/metrics", method: "POST")
            #expect(post.status == 405 && post.header("Allow") == "GET, HEAD")
            #expect(try await world.request(port, "/-/ready", method: "DELETE").status == 405)

            // A hostile client: a header without end is cut off; the listener goes on answering.
            #expect(try HostileClient.sendsWithoutBeingCutOff(port: port, bytes: 64 << 20) == false)
            #expect(try await world.request(port, "/-/healthy").status == 200)

            // Stopping with a poll in flight: not ready at once, healthy until the listener closes.
            world.simulator.inFlight.hold(path: PolyvSimulation.path)
            daemon.clock.advance(by: 0)
            try await waitUntil { world.simulator.inFlight.current(path: PolyvSimulation.path) == 1 }
            daemon.control.yield(.stop)
            try await waitUntil { daemon.log.text.contains("waiting for polls in flight") }
            #expect(try await world.request(port, "/-/ready").status == 503)
            #expect(try await world.request(port, "/-/healthy").status == 200)
            world.simulator.inFlight.release(path: PolyvSimulation.path)
            try await daemon.task.value
        }
    }

    @Test func aDaemonWithoutListenServesNothing() async throws {
        try await withFixture({ try await MetricsWorld.start() }) { world in
            let daemon = RunningDaemon(try world.configuration(listen: nil), transport: world.transport)
            try await waitUntil { daemon.log.text.contains("livewatch started") }
            #expect(!daemon.log.text.contains("metrics listener"))
            try await daemon.stop()
        }
    }

    @Test func aPortInUseStopsTheStartWithOneClearError() async throws {
        try await withFixture({ try await MetricsWorld.start() }) { world in
            let taken = world.simulator.port
            let daemon = RunningDaemon(
                try world.configuration(listen: "127.0.0.1:\(taken)"), transport: world.transport)
            await #expect(throws: MetricsListenerError.self) { try await daemon.task.value }
            #expect(!FileManager.default.fileExists(atPath: world.database), "the database was opened anyway")

            // The executable: one line, the exit status of a bad configuration.
            let config = world.folder.file("taken.yaml")
            try Data(
                """
                daemon:
                  database: \(world.folder.file("cli.db"))
                  alert_log: \(world.folder.file("cli.log"))
                  listen: 127.0.0.1:\(taken)
                """.utf8
            ).write(to: URL(fileURLWithPath: config))
            let run = try await LivewatchProcess.start(["run", "--config", config], in: world.folder).finish()
            #expect(run.status == 2)
            let errors = run.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
            #expect(
                errors.count == 1
                    && errors.first?.contains("daemon.listen: cannot listen on 127.0.0.1:\(taken)") == true,
                "\(run.stderr)")
        }
    }
}

/// A raw TCP client that sends one endless request head.
enum HostileClient {
    /// Sends `bytes` of header to the listener; false when the server closed the connection first.
    static func sendsWithoutBeingCutOff(port: Int, bytes: Int) throws -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw RequireError(message: "socket") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw RequireError(message: "connect") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let start = Array("GET /metrics HTTP/1.1\r\nX-Padding: ".utf8)
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 64 * 1024)
        var sent = 0
        if send(socket, start, start.count, Int32(MSG_NOSIGNAL)) < 0 { return false }
        while sent < bytes {
            let written = send(socket, chunk, chunk.count, Int32(MSG_NOSIGNAL))
            if written <= 0 { return false }
            sent += written
        }
        return true
    }
}

@Suite struct SilenceGaugeTests {
    /// `livewatch silence add` writes to the database while the daemon runs: the next poll counts it.
    @Test func aStoredSilenceIsCountedAtTheNextPoll() async throws {
        try await withFixture({ try await MetricsWorld.start() }) { world in
            let daemon = RunningDaemon(try world.configuration(), transport: world.transport)
            let port = try await listenerPort(daemon.log)
            try await MetricsEndpointTests.firstPolls(daemon)
            let before = try await MetricsEndpointTests.page(world, port: port, clock: daemon.clock) {
                MetricsEndpointTests.polled($0, times: 1)
                    && $0.value("livewatch_silences_active", ["source": "stored"]) != nil
            }
            #expect(before.value("livewatch_silences_active", ["source": "stored"]) == 0)
            #expect(before.value("livewatch_silences_active", ["source": "configured"]) == 0)

            let request = try SilenceRequest.make(
                monitor: "m-polyv", rule: nil, subject: nil, duration: "2h", until: nil, comment: "maintenance",
                createdBy: "tester", monitors: ["m-polyv"], now: daemon.clock.now())
            // On the daemon's clock: the silence starts at its "now", not the test machine's.
            _ = try SilenceStore.add(request, databasePath: world.database, now: daemon.clock.now())
            daemon.clock.advance(by: 1)
            let after = try await MetricsEndpointTests.page(world, port: port, clock: daemon.clock) {
                $0.value("livewatch_silences_active", ["source": "stored"]) == 1
            }
            #expect(after.value("livewatch_silences_active", ["source": "configured"]) == 0)
            try await daemon.stop()
        }
    }
}
