import Foundation
import Testing
import VendorSigning
import VendorSimulator

@testable import LiveWatch

@Suite struct PolyvClientTests {
    @Test func signsWithA13DigitTimestampAndTheDocumentedParameters() throws {
        let configuration = PolyvMonitorConfiguration(
            name: "p", appID: "frlr1zazn3", appSecret: Secret("fsq2k5weced1h8vui657xtdva66whf0g"),
            endpoint: try #require(URL(string: "https://api.polyv.net/")), poll: PollSettings())
        let client = PolyvClient(configuration: configuration, transport: UnusedTransport())
        let (request, sign) = client.makeRequest(at: Date(timeIntervalSince1970: 1_660_617_675), timeout: 5)
        // SIGNING.md vector polyv-2-concurrency-detail.
        #expect(sign == "3381155867F71FC97EEB6DDB0DCC59D2")
        #expect(
            request.url
                == "https://api.polyv.net/live/v4/user/mr/concurrency-detail/get?appId=frlr1zazn3&timestamp=1660617675000&sign=3381155867F71FC97EEB6DDB0DCC59D2"
        )
        #expect(request.method == "GET")
    }

    @Test func readsConcurrencyFromTheSimulator() async throws {
        try await withFixture({ try await PolyvFixture.start(total: 5, used: 3) }) { fixture in
            let report = await fixture.monitor().poll(deadline: 30)
            guard case .observed(.mrConcurrency(let concurrency)) = report.outcome else {
                Issue.record("poll failed: \(String(describing: report.failure))")
                return
            }
            #expect(
                concurrency
                    == MRConcurrency(total: 5, used: 3, residual: 2, channelIDs: ["3265597", "3265598", "3265599"]))
            #expect(report.requestID?.count == 36)
            #expect(report.httpStatus == 200)
            #expect(report.requests == 1)
            #expect(fixture.simulator.polyv.counters.accepted == 1)
            #expect(fixture.simulator.polyv.lastQuery?.contains("timestamp=") == true)
        }
    }

    @Test func aWrongSecretIsAnAuthenticationFailureWithTheVendorsCode() async throws {
        try await withFixture({ try await PolyvFixture.start(secret: "not-the-right-secret") }) { fixture in
            let report = await fixture.monitor().poll(deadline: 30)
            let failure = try #require(report.failure)
            #expect(failure.kind == .authentication)
            #expect(failure.code == "20004")
            #expect(failure.message == "Polyv: invalid signature.")
            #expect(report.httpStatus == 403)
            #expect(report.requestID != nil)
            #expect(fixture.simulator.polyv.counters.rejectedSignature == 1)
        }
    }

    @Test func aSkewedClockIsRejectedByTheTimestampWindow() async throws {
        try await withFixture({ try await PolyvFixture.start() }) { fixture in
            let report = await fixture.monitor(clock: { Date().addingTimeInterval(-600) }).poll(deadline: 30)
            #expect(report.failure?.code == "20003")
            #expect(fixture.simulator.polyv.counters.rejectedTimestamp == 1)
        }
    }

    static let faults = HostileAnswer.all(rateLimitCode: "429")

    @Test(arguments: faults)
    func mapsEveryFault(answer: HostileAnswer) async throws {
        // Generous deadlines: these cases run at once with the rest of a parallel test run. The poll's deadline is
        // also its one request's timeout: 10 s, and the slow answer comes 50 s after it.
        try await withFixture({ try await PolyvFixture.start() }) { fixture in
            fixture.simulator.polyv.faults.inject(answer.fault)
            try answer.expectFailure(of: await fixture.monitor().poll(deadline: 10))
            answer.expectRecovery(in: await fixture.monitor().poll(deadline: 30))
        }
    }

    @Test func missingFieldsAreNamed() {
        let response = IncomingResponse(
            status: 200, headers: [],
            body: Array(#"{"code":200,"status":"success","success":true,"data":{"mrLiveConcurrency":5}}"#.utf8))
        guard case .failure(let failure) = PolyvClient.parse(response, now: Date()) else {
            Issue.record("accepted")
            return
        }
        #expect(failure.message == "Polyv response lacks data.usedCount, data.residualConcurrency")
    }

    @Test func theDocumentedErrorExampleIsAVendorFailure() {
        let body = #"""
            {"code": 400, "status": "error", "requestId": "d310b70bc329403f87f77f9203d50f89.128.16360831552223589",
             "error": {"code": 20001, "desc": "application not found."}, "success": false}
            """#
        let response = IncomingResponse(status: 400, headers: [], body: Array(body.utf8))
        guard case .failure(let failure) = PolyvClient.parse(response, now: Date()) else {
            Issue.record("accepted")
            return
        }
        #expect(failure.kind == .vendor)
        #expect(failure.code == "20001")
        #expect(failure.message == "Polyv: application not found.")
    }
}

@Suite struct PolyvQueryEncodingTests {
    @Test func encodesOnlyWhatIsNotUnreserved() {
        #expect(PolyvClient.percentEncode("frlr1zazn3-_.~") == "frlr1zazn3-_.~")
        #expect(PolyvClient.percentEncode("a b/c+d&é") == "a%20b%2Fc%2Bd%26%C3%A9")
    }
}
