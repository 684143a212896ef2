import Foundation
import Testing

@testable import LiveWatch

/// `daemon.listen` as the loader reads it, and the registry's page on its own (hostile label values
/// included), checked by the exposition rules and by promtool.
@Suite struct ListenAddressAndRegistryTests {
    static func load(_ listen: String) throws(ConfigurationError) -> Configuration {
        try ConfigurationLoader(environment: [:]).parse("daemon:\n  listen: \"\(listen)\"\n")
    }

    @Test(arguments: [
        ("127.0.0.1:9464", "127.0.0.1", 9464), ("0.0.0.0:0", "0.0.0.0", 0), ("localhost:65535", "localhost", 65535),
        ("[::1]:9464", "::1", 9464), ("metrics-host.example:80", "metrics-host.example", 80),
    ])
    func acceptsHostAndPort(text: String, host: String, port: Int) throws {
        let configuration = try Self.load(text)
        #expect(configuration.daemon.listen == ListenAddress(host: host, port: port))
        #expect(configuration.daemon.listen?.description == text)
    }

    @Test(arguments: [
        "9464", "127.0.0.1", "127.0.0.1:", ":9464", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:99999999999999999999",
        "127.0.0.1:94a", "::1:9464", "[::1:9464", "[]:9464", "host name:80", "hőst:80", "http://127.0.0.1:9464",
        String(repeating: "a", count: 400) + ":80",
    ])
    func refusesAnythingElse(text: String) {
        #expect(throws: ConfigurationError.self) { try Self.load(text) }
        do {
            _ = try Self.load(text)
        } catch {
            #expect(error.problems.contains { $0.key == "daemon.listen" }, "\(error)")
        }
    }

    @Test func absentMeansNoListener() throws {
        #expect(try ConfigurationLoader(environment: [:]).parse("daemon:\n  retention: 1d\n").daemon.listen == nil)
    }

    /// Reports of every vendor, with label values a vendor could send (quotes, backslashes, line breaks,
    /// non-ASCII, very long), give a page the exposition rules and promtool accept.
    @Test func hostileLabelValuesStillMakeAValidPage() async throws {
        let polyv = PolyvMonitorConfiguration(
            name: "p", appID: "a", appSecret: Secret("s"), endpoint: try require(URL(string: "http://127.0.0.1:1")),
            poll: PollSettings(), residualWarning: 1, residualCritical: 0)
        let metrics = LiveWatchMetrics(monitors: [.polyv(polyv)], notifiers: ["n\"1"])
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        func report(_ monitor: String, _ vendor: String, _ observation: Observation) -> PollReport {
            PollReport(
                monitor: monitor, vendor: vendor, startedAt: now, finishedAt: now.addingTimeInterval(0.3), requests: 2,
                httpStatus: 200, requestID: nil, outcome: .observed(observation))
        }
        let hostile = ["quote\"d", "back\\slash", "line\nbreak", "平台-一", String(repeating: "x", count: 5_000)]
        var platforms = hostile.map { id in
            var platform = LivePlatform(platformID: id)
            platform.authorizeState = "AUTHORIZED"
            platform.expireTime = .parsed(now.addingTimeInterval(86_400))
            return platform
        }
        platforms.append(platforms[0])
        metrics.pollFinished(
            report("p", "polyv", .mrConcurrency(MRConcurrency(total: 9, used: 4, residual: 5, channelIDs: []))))
        metrics.pollFinished(report("meta", "metastudio", .livePlatforms(LivePlatformListing(platforms: platforms))))
        metrics.pollFinished(
            PollReport(
                monitor: "p", vendor: "polyv", startedAt: now, finishedAt: now, requests: 1, httpStatus: 500,
                requestID: nil, outcome: .failed(PollFailure(kind: .http, code: "500", message: "no"))))
        metrics.alertsFiring([FiringAlerts(rule: "monitor_failing", severity: "warning", count: 2)])
        metrics.alertsFiring([])
        metrics.notification(.gaveUp(notifier: "n\"1", attempts: 3, error: "gone"))

        let page = Exposition(String(decoding: metrics.exposition(), as: UTF8.self))
        #expect(page.malformed.isEmpty, "\(page.malformed)")
        let ids = Set(page.series("livewatch_platform_authorized").compactMap { $0["platform_id"] })
        #expect(ids.count == hostile.count, "one series per platform, duplicates once")
        #expect(ids.contains("line\nbreak") && ids.contains("quote\"d") && ids.contains("back\\slash"))
        #expect(ids.allSatisfy { $0.count <= LiveWatchMetrics.maximumLabelLength })
        #expect(page.value("livewatch_polls_total", ["monitor": "p", "vendor": "polyv", "outcome": "failed"]) == 1)
        #expect(page.value("livewatch_polls_total", ["monitor": "p", "vendor": "polyv", "outcome": "ok"]) == 1)
        #expect(page.value("livewatch_vendor_requests_total", ["monitor": "p", "vendor": "polyv"]) == 3)
        #expect(page.value("livewatch_alerts_firing", ["rule": "monitor_failing", "severity": "warning"]) == 0)
        #expect(page.value("livewatch_notifications_total", ["notifier": "n\"1", "outcome": "given_up"]) == 1)
        #expect(page.value("livewatch_notifications_queued", ["notifier": "n\"1"]) == 0)
        if let problems = try await promtoolProblems(page.text) {
            #expect(problems.isEmpty, "promtool check metrics: \(problems)\n\(page.text)")
        }

        // The next listing without them drops their series.
        metrics.pollFinished(report("meta", "metastudio", .livePlatforms(LivePlatformListing(platforms: []))))
        let emptied = Exposition(String(decoding: metrics.exposition(), as: UTF8.self))
        #expect(emptied.series("livewatch_platform_authorized").isEmpty)
        #expect(emptied.series("livewatch_platform_authorization_expiry_timestamp_seconds").isEmpty)
    }
}

/// SIGHUP with another `daemon.listen`: no monitor restarts for it, the log says it needs a restart,
/// and the listener stays where it is.
@Suite struct ListenReloadTests {
    @Test func aChangedListenRestartsNothing() {
        var old = Configuration(daemon: DaemonSettings(), monitors: [])
        old.daemon.listen = ListenAddress(host: "127.0.0.1", port: 9464)
        var new = old
        new.daemon.listen = ListenAddress(host: "0.0.0.0", port: 9464)
        #expect(ReloadPlan(from: old, to: new) == ReloadPlan(from: old, to: old))
    }

    @Test func theListenerStaysAndTheLogSaysARestartIsNeeded() async throws {
        try await withFixture({ try await MetricsWorld.start() }) { world in
            let configuration = try world.configuration()
            let moved = try world.configuration(listen: "127.0.0.1:1")
            let daemon = RunningDaemon(configuration, transport: world.transport, reloadConfiguration: { moved })
            let port = try await listenerPort(daemon.log)
            try await waitUntil { daemon.log.text.contains("livewatch started") }
            daemon.control.yield(.reload)
            try await waitUntil { daemon.log.text.contains("SIGHUP: configuration reloaded") }
            #expect(daemon.log.text.contains("daemon.listen change takes effect after a restart"))
            #expect(try await world.request(port, "/-/healthy").status == 200)
            try await daemon.stop()
        }
    }
}
