import Foundation
import Testing
import VendorSigning
import VendorSimulator

@testable import LiveWatch

@Suite struct VolcengineClientTests {
    static func vectorClient() throws -> VolcengineClient {
        let configuration = VolcengineMonitorConfiguration(
            name: "v", accessKey: Secret("AKLTexampleAccessKeyId000000"),
            secretKey: Secret("ExampleSecretAccessKey0000000000000000000=="),
            endpoint: try #require(URL(string: "https://livesaas.volcengineapi.com")), activityIDs: [1_776_000_089_138],
            poll: PollSettings())
        return VolcengineClient(configuration: configuration, transport: UnusedTransport())
    }

    static let vectorDate = Date(timeIntervalSince1970: 1_725_957_000) // 2024-09-10T08:30:00Z

    static func header(_ name: String, in request: OutgoingRequest) -> String? {
        request.headers.first { $0.0 == name }?.1
    }

    // MARK: - Request building (SIGNING.md vectors)

    @Test func theRestrictionRequestIsVectorVolc1WithTheCanonicalQueryOnTheWire() throws {
        let (request, signature) = try Self.vectorClient().makeRestrictionRequest(
            activityID: 1_776_000_089_138, at: Self.vectorDate, timeout: 5)
        #expect(request.method == "GET")
        #expect(request.body == nil)
        #expect(
            request.url
                == "https://livesaas.volcengineapi.com/?Action=GetCustomViewingRestrictionInfoAPI&ActivityId=1776000089138&Version=2020-06-01&ViewingRestriction=0"
        )
        #expect(
            Self.header("Authorization", in: request)
                == "HMAC-SHA256 Credential=AKLTexampleAccessKeyId000000/20240910/cn-north-1/livesaas/request, SignedHeaders=host;x-content-sha256;x-date, Signature=485b150c5fcdc6102af76484a1d0d9b3ab2ebf62a82b13d25c0066e71ada637c"
        )
        #expect(signature == "485b150c5fcdc6102af76484a1d0d9b3ab2ebf62a82b13d25c0066e71ada637c")
        #expect(Self.header("X-Date", in: request) == "20240910T083000Z")
        #expect(Self.header("Host", in: request) == "livesaas.volcengineapi.com")
        #expect(
            Self.header("X-Content-Sha256", in: request)
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Self.header("Accept", in: request) == "application/json")
    }

    @Test func theHostLinkRequestIsVectorVolc2() throws {
        let (request, _) = try Self.vectorClient().makeLinkRequest(
            activityID: 1_776_000_089_138, kind: .host, at: Self.vectorDate, timeout: 5)
        #expect(request.method == "POST")
        #expect(request.url == "https://livesaas.volcengineapi.com/?Action=GetDownloadLiveClient&Version=2023-08-01")
        #expect(
            request.body.map { String(decoding: $0, as: UTF8.self) } == #"{"ActivityId":1776000089138,"LoginType":0}"#)
        #expect(Self.header("Content-Type", in: request) == "application/json")
        #expect(
            Self.header("Authorization", in: request)
                == "HMAC-SHA256 Credential=AKLTexampleAccessKeyId000000/20240910/cn-north-1/livesaas/request, SignedHeaders=content-type;host;x-content-sha256;x-date, Signature=720fc478226bea3bd3a2c82cf1ad807633781e2a69ace2c9172a0fc776f3e280"
        )
    }

    @Test func aGuestLinkRequestCarriesLoginType1AndTheNameUnescaped() throws {
        let (request, _) = try Self.vectorClient().makeLinkRequest(
            activityID: 42, kind: .guest("嘉宾A"), at: Self.vectorDate, timeout: 5)
        #expect(
            request.body.map { String(decoding: $0, as: UTF8.self) }
                == #"{"ActivityId":42,"LoginType":1,"UserName":"嘉宾A"}"#)
    }

    @Test func aLoopbackEndpointSignsAndSendsItsPort() throws {
        let configuration = VolcengineMonitorConfiguration(
            name: "v", accessKey: Secret("ak"), secretKey: Secret("sk"),
            endpoint: try #require(URL(string: "http://127.0.0.1:8443")), activityIDs: [1], poll: PollSettings())
        let client = VolcengineClient(configuration: configuration, transport: UnusedTransport())
        let (request, _) = client.makeRestrictionRequest(activityID: 1, at: Self.vectorDate, timeout: 5)
        #expect(request.url.hasPrefix("http://127.0.0.1:8443/?Action="))
        #expect(Self.header("Host", in: request) == "127.0.0.1:8443")
    }

    @Test func guestNamesAreOneToFifteenCharacters() {
        #expect(StartLinkKind.isValidGuestName("嘉宾A"))
        #expect(StartLinkKind.isValidGuestName(String(repeating: "客", count: 15)))
        #expect(!StartLinkKind.isValidGuestName(String(repeating: "客", count: 16)))
        #expect(!StartLinkKind.isValidGuestName(""))
    }

    // MARK: - Round trips to the simulator

    // Their deadlines are generous: none of them is about timing, and when the whole suite starts at once on two
    // cores a first answer took more than 2 s (seen once in CI).

    @Test func readsAnActivitysRestrictionsFromTheSimulator() async throws {
        try await withFixture({ try await VolcengineFixture.start(activities: [101]) }) { fixture in
            let secondary = VolcengineSimulation.Restriction.sample(type: 2)
            fixture.volcengine.setRestrictions(activityID: 101, [secondary, .sample(type: 1)])
            let call = await fixture.client().fetchRestrictions(
                activityID: 101, limiter: RateLimiter(perSecond: 100), until: .now + .seconds(30), requestTimeout: 20,
                now: Date.init)
            let restrictions = try call.result.get()
            #expect(restrictions.entries.map(\.type) == [1, 2])
            #expect(restrictions.entries[1].secretFingerprint == Secret.fingerprint(of: secondary.secretKey))
            #expect(restrictions.entries[1].customURL == secondary.customURL)
            #expect(restrictions.entries[1].customApp == "sso-app-2")
            #expect(restrictions.mainButtonTitle == "Company login")
            #expect(call.requests == 1)
            #expect(call.httpStatus == 200)
            #expect(call.requestID?.count == 32)
            #expect(fixture.volcengine.counters.acceptedRestrictions == 1)
        }
    }

    @Test func readsHostAndGuestLinksFromTheSimulator() async throws {
        try await withFixture({ try await VolcengineFixture.start(activities: [101], linkExpiresIn: 3_600) }) {
            fixture in
            let client = fixture.client()
            let limiter = RateLimiter(perSecond: 10)
            let host = try await client.fetchStartLink(
                activityID: 101, kind: .host, limiter: limiter, until: .now + .seconds(30), requestTimeout: 20,
                now: Date.init
            ).result.get()
            let expected = try #require(fixture.volcengine.hostLink(activityID: 101))
            #expect(host.url.reveal() == expected.url)
            #expect(host.temporaryURL?.reveal() == expected.temporaryURL)
            #expect(host.expireTime == expected.expireTime)
            #expect("\(host.url)" == "<redacted>")
            let guest = try await client.fetchStartLink(
                activityID: 101, kind: .guest("嘉宾A"), limiter: limiter, until: .now + .seconds(30), requestTimeout: 20,
                now: Date.init
            ).result.get()
            #expect(guest.url.reveal() == fixture.volcengine.guestLink(activityID: 101, name: "嘉宾A"))
            #expect(guest.temporaryURL == nil)
            #expect(guest.expireTime == nil)
            #expect(fixture.volcengine.counters.acceptedLinks == 2)
        }
    }

    @Test func aWrongSecretKeyIsSignatureDoesNotMatch() async throws {
        try await withFixture({
            try await VolcengineFixture.start(activities: [101], secretKey: "not-the-right-secret-key")
        }) { fixture in
            let report = await fixture.monitor().poll(deadline: 30)
            let failure = try #require(report.failure)
            #expect(failure.kind == .authentication)
            #expect(failure.code == "100010")
            #expect(failure.message.contains("SignatureDoesNotMatch (100010)"))
            #expect(failure.message.contains("check access_key and secret_key"))
            #expect(!failure.message.contains("not-the-right-secret-key"))
            #expect(report.httpStatus == 401)
            #expect(report.requestID?.count == 32)
            #expect(fixture.volcengine.counters.rejectedSignature >= 1)
            #expect(fixture.volcengine.counters.accepted == 0)
        }
    }

    @Test func anUnknownAccessKeyIsInvalidAccessKey() async throws {
        try await withFixture({ try await VolcengineFixture.start(activities: [101]) }) { fixture in
            var configuration = fixture.configuration
            configuration.accessKey = Secret("AKLTsomeoneelse0000000")
            let report = await VolcengineMonitor(configuration: configuration, transport: fixture.transport).poll(
                deadline: 30)
            #expect(report.failure?.kind == .authentication)
            #expect(report.failure?.code == "100009")
            #expect(fixture.volcengine.counters.rejectedAccessKey >= 1)
        }
    }

    @Test func aSkewedClockIsInvalidTimestampAndSaysToCheckTheClock() async throws {
        try await withFixture({ try await VolcengineFixture.start(activities: [101], links: false) }) { fixture in
            let report = await fixture.monitor(clock: { Date().addingTimeInterval(-1_800) }).poll(deadline: 30)
            let failure = try #require(report.failure)
            #expect(failure.code == "100006")
            #expect(failure.kind == .authentication)
            #expect(failure.message.contains("check the host clock"))
            #expect(fixture.volcengine.counters.rejectedTimestamp == 1)
        }
    }

    @Test func anUnknownActivityIsAVendorFailureNamingTheActivity() async throws {
        try await withFixture({ try await VolcengineFixture.start(activities: [101], links: false) }) { fixture in
            var configuration = fixture.configuration
            configuration.activityIDs = [101, 999]
            let report = await VolcengineMonitor(configuration: configuration, transport: fixture.transport).poll(
                deadline: 30)
            let failure = try #require(report.failure)
            #expect(failure.kind == .vendor)
            #expect(failure.code == "10001")
            #expect(
                failure.message
                    == "GetCustomViewingRestrictionInfoAPI for activity 999: Volcengine InvalidParameter.ActivityId (10001): The activity does not exist."
            )
        }
    }

    // MARK: - Hostile answers

    static let faults = HostileAnswer.all()

    @Test(arguments: faults, [false, true])
    func mapsEveryStandingFaultOfEitherAPI(answer: HostileAnswer, onLinks: Bool) async throws {
        // Generous timeouts: eighteen of these run at once in a parallel test run.
        try await withFixture({
            try await VolcengineFixture.start(activities: [101], restrictions: !onLinks, links: onLinks, timeout: 5)
        }) { fixture in
            let script = onLinks ? fixture.volcengine.linkFaults : fixture.volcengine.faults
            script.setStanding(answer.fault)
            let report = await fixture.monitor().poll(deadline: 30)
            try answer.expectFailure(of: report)
            if answer.fault == .serverError || answer.fault == .html {
                #expect(report.requests == VolcengineClient.maximumAttempts, "5xx is retried with backoff")
            }
            // Without the fault the next poll works: nothing is left broken.
            script.setStanding(nil)
            answer.expectRecovery(in: await fixture.monitor().poll(deadline: 30))
        }
    }

    @Test func aSingleServerErrorIsRetriedAfterABackoff() async throws {
        try await withFixture({ try await VolcengineFixture.start(activities: [101], links: false) }) { fixture in
            fixture.volcengine.faults.inject(.serverError)
            let report = await fixture.monitor().poll(deadline: 30)
            #expect(report.succeeded)
            #expect(report.requests == 2)
            // Backoff is real time by nature: read from the server's own arrival times, not a stopwatch. The
            // first arrival precedes its answer, and the backoff (0.5 s) starts after the answer.
            let arrivals = fixture.volcengine.arrivals(of: VolcengineClient.restrictionAction)
            try #require(arrivals.count == 2)
            #expect(arrivals[1].timeIntervalSince(arrivals[0]) >= 0.45)
        }
    }

    @Test func throttlingIsRetriedAfterRetryAfterAndPausesTheLimiter() async throws {
        try await withFixture({ try await VolcengineFixture.start(activities: [101], restrictions: false) }) {
            fixture in
            fixture.volcengine.linkFaults.inject(.rateLimited(retryAfter: 1))
            let report = await fixture.monitor().poll(deadline: 30)
            #expect(report.succeeded)
            #expect(report.requests == 2)
            // Read from the server's own arrival times: the wait of Retry-After (1 s) starts after the 429 answer.
            let arrivals = fixture.volcengine.arrivals(of: VolcengineClient.linkAction)
            try #require(arrivals.count == 2)
            #expect(arrivals[1].timeIntervalSince(arrivals[0]) >= 0.95)
        }
    }

    // MARK: - Parsing

    @Test func theDocumentedRestrictionExampleParses() throws {
        let body = #"""
            {"ResponseMetadata": {"Action": "GetCustomViewingRestrictionInfoAPI", "Region": "cn-north-1",
              "RequestId": "202303101311119BAEE6215ADC71105DF5", "Service": "livesaas", "Version": "2020-06-01",
              "SystemTime": 1685969459},
             "Result": {"ActivityId": 175980616, "CustomViewingRestriction": [
                {"CustomApp": "example1", "CustomUrl": "https://www.example1.com", "SecretKey": "xxxxx1",
                 "ViewingRestrictionType": 1, "ErrorRedirectUrl": "https://www.error.com"},
                {"CustomApp": "example2", "CustomUrl": "https://www.example2.com", "SecretKey": "xxxxx2",
                 "ViewingRestrictionType": 2, "ErrorRedirectUrl": "https://www.error.com"}],
              "MainViewingRestrictionButtonTitle": "自定义观看1", "SubViewingRestrictionButtonTitle": "自定义观看2"}}
            """#
        let response = IncomingResponse(status: 200, headers: [], body: Array(body.utf8))
        let parsed = try VolcengineClient.parseRestrictions(response, activityID: 175_980_616).get()
        #expect(
            parsed.entries == [
                ViewingRestriction(
                    type: 1, customApp: "example1", customURL: "https://www.example1.com",
                    errorRedirectURL: "https://www.error.com",
                    secretFingerprint: Secret.fingerprint(of: "xxxxx1")),
                ViewingRestriction(
                    type: 2, customApp: "example2", customURL: "https://www.example2.com",
                    errorRedirectURL: "https://www.error.com",
                    secretFingerprint: Secret.fingerprint(of: "xxxxx2")),
            ])
        #expect(parsed.mainButtonTitle == "自定义观看1")
        #expect(parsed.subButtonTitle == "自定义观看2")
        let metadata = try VolcengineJSON.decoder().decode(VolcengineMetadataEnvelope.self, from: Data(body.utf8))
        #expect(metadata.responseMetadata?.requestId == "202303101311119BAEE6215ADC71105DF5")
        #expect(VolcengineClient.failure(response, metadata: metadata, context: "x", now: Date()) == nil)
    }

    @Test func anActivityWithoutRestrictionsHasNoEntries() throws {
        let body =
            #"{"ResponseMetadata":{"RequestId":"r"},"Result":{"ActivityId":"7","CustomViewingRestriction":null}}"#
        let parsed = try VolcengineClient.parseRestrictions(
            IncomingResponse(status: 200, headers: [], body: Array(body.utf8)), activityID: 7
        ).get()
        #expect(parsed.entries.isEmpty)
    }

    @Test func anAnswerForAnotherActivityIsRejected() {
        let body = #"{"ResponseMetadata":{"RequestId":"r"},"Result":{"ActivityId":8}}"#
        let result = VolcengineClient.parseRestrictions(
            IncomingResponse(status: 200, headers: [], body: Array(body.utf8)), activityID: 7)
        #expect(throws: PollFailure.self) { try result.get() }
    }

    @Test func theDocumentedLinkExampleParsesAndAGuestsEmptyTmpUrlIsNone() throws {
        let host = #"""
            {"ResponseMetadata": {"RequestId": "20230604110420****100232280022D31", "Action": "GetDownloadLiveClient",
              "Version": "2023-08-01", "Service": "livesaas", "Region": "cn-north-1", "SystemTime": 1696067132},
             "Result": {"Url": "http://livesaas.example.com/***", "TmpUrl":"http://livesaas.example.com/tmp", "ExpireTime": 1730111187}}
            """#
        let link = try VolcengineClient.parseLink(
            IncomingResponse(status: 200, headers: [], body: Array(host.utf8)), kind: .host
        ).get()
        #expect(link.url.reveal() == "http://livesaas.example.com/***")
        #expect(link.temporaryURL?.reveal() == "http://livesaas.example.com/tmp")
        #expect(link.expireTime == 1_730_111_187)
        let guest =
            #"{"ResponseMetadata":{"RequestId":"r"},"Result":{"Url":"https:\/\/x.example\/g","TmpUrl":"","ExpireTime":0}}"#
        let guestLink = try VolcengineClient.parseLink(
            IncomingResponse(status: 200, headers: [], body: Array(guest.utf8)), kind: .guest("g")
        ).get()
        #expect(guestLink.url.reveal() == "https://x.example/g")
        #expect(guestLink.temporaryURL == nil)
        #expect(guestLink.expireTime == nil)
    }

    @Test func aLinkWithoutUrlIsAMissingField() {
        let body = #"{"ResponseMetadata":{"RequestId":"r"},"Result":{"TmpUrl":"https://t.example/x"}}"#
        guard
            case .failure(let failure) = VolcengineClient.parseLink(
                IncomingResponse(status: 200, headers: [], body: Array(body.utf8)), kind: .host)
        else {
            Issue.record("accepted")
            return
        }
        #expect(failure.code == "missing_field")
        #expect(!failure.message.contains("t.example"))
    }

    @Test func everyDocumentedGatewayErrorMapsToItsKind() {
        let cases: [(Int, String, Int, PollFailure.Kind)] = [
            (100_006, "InvalidTimestamp", 403, .authentication),
            (100_009, "InvalidAccessKey", 401, .authentication),
            (100_010, "SignatureDoesNotMatch", 401, .authentication),
            (100_003, "MissingAuthenticationToken", 401, .authentication),
            (100_018, "FlowLimitExceeded", 429, .rateLimited),
            (100_013, "AccessDenied", 403, .vendor),
            (100_014, "InternalError", 500, .vendor),
        ]
        for (codeN, code, status, kind) in cases {
            let body =
                #"{"ResponseMetadata":{"RequestId":"r1","Error":{"CodeN":\#(codeN),"Code":"\#(code)","Message":"m"}}}"#
            let response = IncomingResponse(status: status, headers: [("Retry-After", "7")], body: Array(body.utf8))
            let metadata = try? VolcengineJSON.decoder().decode(VolcengineMetadataEnvelope.self, from: Data(body.utf8))
            let failure = VolcengineClient.failure(response, metadata: metadata, context: "ctx", now: Date())
            #expect(failure?.kind == kind, "\(code)")
            #expect(failure?.code == String(codeN), "\(code)")
            #expect(failure?.message.hasPrefix("ctx: Volcengine \(code) (\(codeN)): m") == true, "\(code)")
            #expect(failure?.retryAfter == 7)
        }
    }

    @Test func urlsInErrorTextAreScrubbed() {
        #expect(
            VolcengineClient.scrubURLs("bad link https://live.example/start?token=abc and http://x/y.")
                == "bad link <url> and <url>")
        #expect(VolcengineClient.scrubURLs("no links here") == "no links here")
        #expect(VolcengineClient.scrubURLs("\"https://a/b\"") == "\"<url>\"")
    }
}
