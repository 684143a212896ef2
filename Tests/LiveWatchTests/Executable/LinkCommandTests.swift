import Foundation
import Testing
import VendorSimulator

@testable import LiveWatch

/// `livewatch link`, run as the built binary against a simulator started here.
@Suite struct LinkCommandTests {
    static let activity: Int64 = 1_776_000_089_138

    struct Setup {
        let folder: TemporaryFolder
        let simulator: VendorSimulator
        let configPath: String

        var databasePath: String { folder.file("livewatch.db") }

        static func make(secretKey: String = VolcengineFixture.secretKey, monitors: Int = 1) async throws -> Setup {
            let folder = try TemporaryFolder()
            let simulator = VendorSimulator()
            try await simulator.start()
            simulator.volcengine.addAccount(
                accessKey: VolcengineFixture.accessKey, secretKey: VolcengineFixture.secretKey)
            simulator.volcengine.addActivity(LinkCommandTests.activity)
            let accessKeyPath = try folder.writeSecret("ak", VolcengineFixture.accessKey)
            let secretKeyPath = try folder.writeSecret("sk", secretKey)
            let configPath = try folder.writeConfiguration(
                "volcengine:\n"
                    + (1...monitors).map { index in
                        """
                          - name: volc-\(index)
                            access_key: { file: \(accessKeyPath) }
                            secret_key: { file: \(secretKeyPath) }
                            endpoint: \(simulator.baseURL)
                            activity_ids: [\(LinkCommandTests.activity)]
                            live_client_links: true

                        """
                    }.joined())
            return Setup(folder: folder, simulator: simulator, configPath: configPath)
        }

        func run(_ arguments: [String]) async throws -> CommandRun {
            try await runLivewatch(["link", "--config", configPath] + arguments)
        }

        func finish() async {
            await simulator.shutdown()
            folder.remove()
        }
    }

    @Test func printsTheHostsPermanentLinkAndNothingElse() async throws {
        let setup = try await Setup.make()
        let run = try await setup.run(["--activity", String(Self.activity)])
        let link = try #require(setup.simulator.volcengine.hostLink(activityID: Self.activity))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == link.url + "\n")
        #expect(run.stderr.isEmpty, "\(run.stderr)")
        #expect(setup.simulator.volcengine.counters.acceptedLinks == 1)
        #expect(!FileManager.default.fileExists(atPath: setup.databasePath), "link stores nothing")
        #expect(!FileManager.default.fileExists(atPath: setup.folder.file("alerts.log")))
        await setup.finish()
    }

    @Test func printsAGuestsLinkOrTheTemporaryLink() async throws {
        let setup = try await Setup.make(monitors: 2)
        let guest = try await setup.run(["--monitor", "volc-2", "--activity", String(Self.activity), "--guest", "嘉宾A"])
        #expect(guest.status == 0, "\(guest.stderr)")
        let guestURL = try #require(setup.simulator.volcengine.guestLink(activityID: Self.activity, name: "嘉宾A"))
        #expect(guest.stdout == guestURL + "\n")

        let temporary = try await setup.run(["--monitor", "volc-1", "--activity", String(Self.activity), "--temporary"])
        let link = try #require(setup.simulator.volcengine.hostLink(activityID: Self.activity))
        #expect(temporary.status == 0, "\(temporary.stderr)")
        #expect(temporary.stdout == link.temporaryURL + "\n")
        #expect(temporary.stderr.hasPrefix("the temporary link expires at "))
        #expect(!temporary.stderr.contains(link.temporaryURL))
        await setup.finish()
    }

    @Test func badArgumentsExitWith2AndPrintNothing() async throws {
        let setup = try await Setup.make(monitors: 2)
        let cases: [([String], String)] = [
            (
                [
                    "--monitor", "volc-1", "--activity", String(Self.activity), "--guest",
                    String(repeating: "客", count: 16),
                ],
                "error: --guest must be 1-15 characters (got 16)"
            ),
            (["--activity", String(Self.activity)], "volcengine monitors: name one with --monitor"),
            (
                ["--monitor", "nope", "--activity", String(Self.activity)],
                "error: --monitor nope: no volcengine monitor of that name"
            ),
            (
                ["--monitor", "volc-1", "--activity", String(Self.activity), "--guest", "A", "--temporary"],
                "error: --temporary: only the host's link has a temporary form"
            ),
        ]
        for (arguments, message) in cases {
            let run = try await setup.run(arguments)
            #expect(run.status == 2, "\(arguments)")
            #expect(run.stdout.isEmpty, "\(arguments)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        #expect(setup.simulator.volcengine.counters.requests == 0)
        await setup.finish()
    }

    @Test func aRejectedCallExitsWith1AndLeaksNothing() async throws {
        let wrongSecret = "wrong-secret-\(UUID().uuidString)"
        let setup = try await Setup.make(secretKey: wrongSecret)
        let run = try await setup.run(["--activity", String(Self.activity)])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(
            run.stderr.hasPrefix(
                "error: volc-1: authentication error 100010: GetDownloadLiveClient for activity \(Self.activity): "))
        #expect(run.stderr.split(separator: "\n").count == 1)
        #expect(!run.stderr.contains(wrongSecret))
        #expect(!run.stderr.contains(VolcengineFixture.accessKey))
        for signature in setup.simulator.volcengine.receivedSignatures {
            #expect(!run.stderr.contains(signature))
        }
        await setup.finish()
    }
}
