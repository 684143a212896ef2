import Foundation
import Synchronization
import Testing
import VendorSimulator

@testable import LiveWatch

#if canImport(Glibc)
    import Glibc
#endif

/// A datagram socket standing in for systemd's notify socket.
final class NotifySocket {
    let path: String
    let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw RequireError(message: "bind failed") }
    }

    /// The next datagram, waiting at most `timeout` real seconds. The socket is read without blocking and
    /// the wait sleeps between reads: a blocking read would hold a thread of the cooperative pool, which the
    /// daemon needs to send the very datagram awaited (a parallel run on two cores has two such threads).
    func receive(timeout: Double = 60) async -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while Date() < deadline {
            let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 { return String(decoding: buffer.prefix(count), as: UTF8.self) }
            do {
                try await Task.sleep(nanoseconds: 5_000_000)
            } catch {
                return nil
            }
        }
        return nil
    }

    /// Reads datagrams until one starts with `prefix` (at most 10, each waited for at most 60 s).
    func expect(_ prefix: String) async -> Bool {
        for _ in 0..<10 {
            guard let message = await receive() else { return false }
            if message.hasPrefix(prefix) { return true }
        }
        return false
    }

    deinit { close(descriptor) }
}

/// A configuration file the test rewrites between reloads.
final class ReloadableFile: Sendable {
    let path: String
    init(path: String) { self.path = path }
    func write(_ text: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }
    func load() throws -> Configuration {
        try ConfigurationLoader(environment: ["TEST_SECRET": PolyvFixture.secret]).load(path: path)
    }
}

@Suite struct DaemonReloadTests {
    func yaml(folder: TemporaryFolder, endpoint: String, monitors: [String], interval: Int = 10, timeout: Int = 10)
        -> String
    {
        var text = """
            daemon:
              database: \(folder.file("livewatch.db"))
              alert_log: \(folder.file("alerts.log"))
            defaults:
              interval: \(interval)s
              timeout: \(timeout)s
              jitter: 0%
            polyv:

            """
        for name in monitors {
            text += """
                  - name: \(name)
                    app_id: \(PolyvFixture.appID)
                    app_secret: { env: TEST_SECRET }
                    endpoint: \(endpoint)

                """
        }
        return text
    }

    @Test func sighupWithABrokenFileKeepsPollingThenAFixedFileAddsAMonitor() async throws {
        try await withFixture({ try await PolyvFixture.start() }) { fixture in
            let folder = try TemporaryFolder()
            defer { folder.remove() }
            let file = ReloadableFile(path: folder.file("livewatch.yaml"))
            try file.write(yaml(folder: folder, endpoint: fixture.simulator.baseURL, monitors: ["first"]))
            let notify = try NotifySocket(path: folder.file("notify.sock"))
            let daemon = RunningDaemon(
                try file.load(), transport: fixture.transport,
                notifier: SystemdNotifier(environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "20000000"]),
                reloadConfiguration: { try file.load() })
            let (clock, events, log, control) = (daemon.clock, daemon.events, daemon.log, daemon.control)
            #expect(await notify.expect("READY=1"))
            clock.advance(by: 0)
            try await events.waitForFinishedPolls(1)

            // The watchdog is fed from the scheduler's clock while nothing is stuck.
            clock.advance(by: 10)
            try await events.waitForFinishedPolls(2)
            #expect(await notify.expect("WATCHDOG=1"))

            try file.write("polyv:\n  - name: first\n    intervall: 5s\n")
            control.yield(.reload)
            #expect(await notify.expect("RELOADING=1"))
            #expect(await notify.expect("READY=1"))
            #expect(log.text.contains("intervall: unknown key"), "\(log.text)")
            #expect(log.text.contains("still running the previous one"))
            clock.advance(by: 10)
            try await events.waitForFinishedPolls(3)
            #expect(events.finished.map(\.0) == ["first", "first", "first"])

            try file.write(yaml(folder: folder, endpoint: fixture.simulator.baseURL, monitors: ["first", "second"]))
            control.yield(.reload)
            #expect(await notify.expect("RELOADING=1"))
            #expect(await notify.expect("READY=1"))
            clock.advance(by: 0)
            try await events.wait { events in events.contains { $0 == .pollStarted(job: "second", at: clock.now()) } }
            try await events.waitForFinishedPolls(4)
            #expect(log.text.contains("added=second"))

            try await daemon.stop()
            #expect(await notify.expect("STOPPING=1"))
        }
    }

    @Test func aRemovedMonitorStopsPollingAndAChangedOneRestarts() async throws {
        try await withFixture({ try await PolyvFixture.start() }) { fixture in
            let folder = try TemporaryFolder()
            defer { folder.remove() }
            let file = ReloadableFile(path: folder.file("livewatch.yaml"))
            try file.write(yaml(folder: folder, endpoint: fixture.simulator.baseURL, monitors: ["keep", "drop"]))
            let daemon = RunningDaemon(
                try file.load(), transport: fixture.transport, reloadConfiguration: { try file.load() })
            let (clock, events, control) = (daemon.clock, daemon.events, daemon.control)
            try await events.wait { _ in Set(clock.pendingTimers.map(\.label)) == ["keep", "drop", "retention"] }
            clock.advance(by: 1)
            try await events.waitForFinishedPolls(2)
            try file.write(yaml(folder: folder, endpoint: fixture.simulator.baseURL, monitors: ["keep"]))
            control.yield(.reload)
            try await events.wait { _ in !clock.pendingTimers.map(\.label).contains("drop") }
            clock.advance(by: 30)
            try await events.waitForFinishedPolls(3)
            #expect(events.finished.map(\.0).suffix(1) == ["keep"])
            #expect(clock.pendingTimers.filter { $0.label != "retention" }.map(\.delay) == [10])
            try await daemon.stop()
        }
    }

    /// SIGHUP while a poll waits on a slow vendor replaces the monitor's job, three times over: the vendor
    /// never has two requests of the monitor in flight, and the new configuration polls once the old poll ends.
    @Test func aReloadDuringASlowPollNeverPutsTwoRequestsOfTheMonitorInFlight() async throws {
        try await withFixture({ try await PolyvFixture.start() }) { fixture in
            let folder = try TemporaryFolder()
            defer { folder.remove() }
            let path = PolyvSimulation.path
            let vendor = fixture.simulator.inFlight
            // The vendor answers only when the test says so: the first poll stays in flight through the reloads.
            vendor.hold(path: path)
            let file = ReloadableFile(path: folder.file("livewatch.yaml"))
            try file.write(yaml(folder: folder, endpoint: fixture.simulator.baseURL, monitors: ["slow"], timeout: 60))
            let daemon = RunningDaemon(
                try file.load(), transport: fixture.transport, reloadConfiguration: { try file.load() })
            let (clock, events, log, control) = (daemon.clock, daemon.events, daemon.log, daemon.control)
            func started(_ events: [SchedulerEvent]) -> Int {
                events.filter { if case .pollStarted = $0 { return true } else { return false } }.count
            }
            try await events.wait { _ in clock.pendingTimers.map(\.label).contains("slow") }
            clock.advance(by: 0)
            try await events.wait { _ in vendor.current(path: path) == 1 }

            for round in 1...3 {
                try file.write(
                    yaml(
                        folder: folder, endpoint: fixture.simulator.baseURL, monitors: ["slow"], interval: 10 + round,
                        timeout: 60))
                control.yield(.reload)
                try await events.wait { _ in log.text.components(separatedBy: "changed=slow").count == round + 1 }
                // The replacement's first poll is due now; the old poll is still in flight at the vendor.
                clock.advance(by: 0)
                // Had a second poll started, wait until its request reaches the vendor.
                try await events.wait { events in started(events) == 1 || vendor.current(path: path) == 2 }
                #expect(started(events.all) == 1, "round \(round): a second poll of the monitor started")
                #expect(vendor.current(path: path) == 1)
            }

            // The vendor answers: the old poll ends, and the last configuration's job polls at once.
            vendor.release(path: path)
            try await events.wait { $0.contains(.pollSuperseded(job: "slow", succeeded: true)) }
            clock.advance(by: 0)
            try await events.waitForFinishedPolls(1)
            #expect(events.finished.map(\.0) == ["slow"])
            #expect(events.finished.first?.2 == 13, "the replacement runs on the reloaded interval")
            #expect(fixture.simulator.polyv.counters.requests == 2)
            #expect(vendor.maximum(path: path) == 1)

            try await daemon.stop()
        }
    }
}
