import Foundation
import Synchronization
import Testing
import VendorSigning
import VendorSimulator

@testable import LiveWatch

/// The MetaStudio client: request building against SIGNING.md's Huawei vectors,
/// round trips to the simulator in both authentication modes, paging, and the
/// mapping of every documented error and hostile answer.
@Suite struct MetaStudioClientTests {
    static func vectorConfiguration(
        _ authentication: MetaStudioMonitorConfiguration.Authentication, accessType: String? = nil
    ) throws -> MetaStudioMonitorConfiguration {
        MetaStudioMonitorConfiguration(
            name: "m", projectID: "0123456789abcdef0123456789abcdef",
            endpoint: try #require(URL(string: "https://metastudio.cn-north-4.myhuaweicloud.com")),
            authentication: authentication, accessType: accessType, poll: PollSettings())
    }

    static let vectorKeys = MetaStudioMonitorConfiguration.Authentication.accessKey(
        accessKey: Secret("HPUAEXAMPLEAK000001"), secretKey: Secret("ExampleSecretKey0123456789abcdefghijklmn"))

    @Test func signsTheFirstPageExactlyAsVectorHuawei2RawMinimal() throws {
        let client = MetaStudioClient(
            configuration: try Self.vectorConfiguration(Self.vectorKeys), transport: UnusedTransport())
        // 2025-01-01T00:00:00Z: the vector's X-Sdk-Date, from the injected date.
        let (request, signature) = client.makeRequest(
            offset: 0, at: Date(timeIntervalSince1970: 1_735_689_600), timeout: 5)
        let signed = try #require(signature)
        #expect(
            signed.canonicalRequest
                == "GET\n/v1/0123456789abcdef0123456789abcdef/live-platforms/platforms/\nlimit=100&offset=0\nhost:metastudio.cn-north-4.myhuaweicloud.com\nx-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20250101T000000Z\n\nhost;x-project-id;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
        let headers = Dictionary(request.headers, uniquingKeysWith: { $1 })
        #expect(
            headers["Authorization"]
                == "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK000001, SignedHeaders=host;x-project-id;x-sdk-date, Signature=1b0cd7a9853ffe9d4dd045d9ffd0cfa4ec92692e6d119b6ce18908163d7f95fd"
        )
        #expect(headers["X-Sdk-Date"] == "20250101T000000Z")
        #expect(headers["X-Project-Id"] == "0123456789abcdef0123456789abcdef")
        #expect(headers["Host"] == "metastudio.cn-north-4.myhuaweicloud.com")
        // The wire path keeps no trailing slash; the wire query is the canonical query.
        #expect(
            request.url
                == "https://metastudio.cn-north-4.myhuaweicloud.com/v1/0123456789abcdef0123456789abcdef/live-platforms/platforms?limit=100&offset=0"
        )
        #expect(request.method == "GET")
        #expect(request.body == nil)
    }

    @Test func theWireQueryIsTheCanonicalQueryWithTheAccessTypeFilter() throws {
        let client = MetaStudioClient(
            configuration: try Self.vectorConfiguration(Self.vectorKeys, accessType: "MSS_STANDARD"),
            transport: UnusedTransport())
        let (request, signature) = client.makeRequest(
            offset: 200, at: Date(timeIntervalSince1970: 1_735_689_600), timeout: 5)
        #expect(signature?.canonicalQuery == "access_type=MSS_STANDARD&limit=100&offset=200")
        #expect(request.url.hasSuffix("/live-platforms/platforms?access_type=MSS_STANDARD&limit=100&offset=200"))
        #expect(MetaStudioClient.canonicalQuery([("b", "x y/*"), ("a", "2"), ("a", "1")]) == "a=1&a=2&b=x%20y%2F%2A")
    }

    @Test func aTokenIsSentAsXAuthTokenAndNothingIsSigned() throws {
        let client = MetaStudioClient(
            configuration: try Self.vectorConfiguration(.token(Secret("iam-token-value"))), transport: UnusedTransport()
        )
        let (request, signature) = client.makeRequest(offset: 100, at: Date(), timeout: 5)
        #expect(signature == nil)
        let headers = Dictionary(request.headers, uniquingKeysWith: { $1 })
        #expect(headers["X-Auth-Token"] == "iam-token-value")
        #expect(headers["Authorization"] == nil)
        #expect(headers["X-Sdk-Date"] == nil)
        #expect(request.url.hasSuffix("/platforms?limit=100&offset=100"))
    }

    @Test func anEndpointWithAPathPrefixKeepsIt() throws {
        var configuration = try Self.vectorConfiguration(Self.vectorKeys)
        configuration.endpoint = try #require(URL(string: "http://127.0.0.1:8080/gateway/"))
        let (request, signature) = MetaStudioClient(configuration: configuration, transport: UnusedTransport())
            .makeRequest(offset: 0, at: Date(timeIntervalSince1970: 1_735_689_600), timeout: 5)
        #expect(
            request.url
                == "http://127.0.0.1:8080/gateway/v1/0123456789abcdef0123456789abcdef/live-platforms/platforms?limit=100&offset=0"
        )
        #expect(signature?.canonicalURI == "/gateway/v1/0123456789abcdef0123456789abcdef/live-platforms/platforms/")
        #expect(request.headers.first { $0.0 == "Host" }?.1 == "127.0.0.1:8080")
    }

    // MARK: Against the simulator

    @Test(arguments: [true, false])
    func listsEveryPlatformPageByPageInBothAuthenticationModes(signed: Bool) async throws {
        // The simulator's clock stands still: the expiries it renders (90 days from "now") are known to the second.
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        try await withFixture({
            try await MetaStudioFixture.start(signed ? .accessKey() : .token(), platforms: 250, simulatorClock: { now })
        }) { fixture in
            let report = await fixture.monitor().poll(deadline: 30)
            guard case .observed(.livePlatforms(let listing)) = report.outcome else {
                Issue.record("poll failed: \(String(describing: report.failure))")
                return
            }
            #expect(listing.platforms.count == 250)
            #expect(Set(listing.platforms.map(\.platformID)).count == 250)
            #expect(listing.platforms.first?.platformID == "p-0001")
            #expect(listing.platforms.last?.platformID == "p-0250")
            #expect(report.requests == 3)
            #expect(report.items == 250)
            #expect(report.httpStatus == 200)
            #expect(report.requestID?.count == 32)
            let counters = fixture.metaStudio.counters
            #expect(counters.accepted == 3)
            #expect(signed ? counters.acceptedSigned == 3 : counters.acceptedToken == 3)
            #expect(counters.rejectedSignature == 0)
            #expect(fixture.metaStudio.lastQuery == "limit=100&offset=200")
            if signed { #expect(fixture.metaStudio.lastSignedHeaders == "host;x-project-id;x-sdk-date") }
            let first = try #require(listing.platforms.first)
            #expect(first.authorizeState == "AUTHORIZED")
            #expect(first.accessType == "MSS_STANDARD")
            #expect(first.name == "Platform 1")
            #expect(first.authKeyFingerprint?.hasPrefix("sha256:") == true)
            #expect(first.authKeyFingerprint?.count == 23)
            #expect(
                first.callbacks == [
                    PlatformCallback(apiType: "LIVE_EVENT_CALLBACK", url: "https://live.example.com/callbacks/p-0001")
                ])
            let expiry = try #require(first.expireTime.date)
            #expect(expiry == now.addingTimeInterval(90 * 86_400))
        }
    }

    @Test func anExactMultipleOfTheLimitEndsOnAnEmptyPage() async throws {
        try await withFixture({ try await MetaStudioFixture.start(platforms: 200) }) { fixture in
            let report = await fixture.monitor().poll(deadline: 30)
            #expect(report.items == 200)
            #expect(report.requests == 3)
            #expect(fixture.metaStudio.lastQuery == "limit=100&offset=200")
        }
    }

    @Test func anEmptyProjectIsAnEmptyListing() async throws {
        try await withFixture({ try await MetaStudioFixture.start(platforms: 0) }) { fixture in
            let report = await fixture.monitor().poll(deadline: 30)
            #expect(report.succeeded)
            #expect(report.items == 0)
            #expect(report.requests == 1)
        }
    }

    @Test func theAccessTypeFilterIsSentAndApplied() async throws {
        try await withFixture({ try await MetaStudioFixture.start(platforms: 3, accessType: "MEITUAN_OFFICIAL") }) {
            fixture in
            fixture.metaStudio.update("p-0002", project: MetaStudioFixture.projectID) {
                $0.accessType = "MEITUAN_OFFICIAL"
            }
            let report = await fixture.monitor().poll(deadline: 30)
            guard case .observed(.livePlatforms(let listing)) = report.outcome else {
                Issue.record("poll failed: \(String(describing: report.failure))")
                return
            }
            #expect(listing.platforms.map(\.platformID) == ["p-0002"])
            #expect(fixture.metaStudio.lastQuery == "access_type=MEITUAN_OFFICIAL&limit=100&offset=0")
        }
    }

    @Test func aWrongSecretKeyIsAnAuthenticationFailureThatWaitsFiveMinutes() async throws {
        try await withFixture({
            try await MetaStudioFixture.start(.accessKey(secretKey: "not-the-right-secret-key"), platforms: 5)
        }) { fixture in
            let report = await fixture.monitor().poll(deadline: 30)
            let failure = try #require(report.failure)
            #expect(failure.kind == .authentication)
            #expect(failure.code == "APIG.0301")
            #expect(failure.retryAfter == 300)
            #expect(
                failure.message.hasPrefix(
                    "MetaStudio rejected the AK/SK: Incorrect IAM authentication information: verify aksk signature fail"
                ))
            #expect(
                failure.message.contains(
                    "no new attempt for 5m: Huawei locks an AK/SK for 5 minutes after more than 5 consecutive authentication failures"
                ))
            #expect(report.httpStatus == 401)
            #expect(report.requestID?.count == 32)
            #expect(report.requests == 1)
            #expect(fixture.metaStudio.counters.rejectedSignature == 1)
            #expect(fixture.metaStudio.counters.accepted == 0)
        }
    }

    @Test func anUnknownAccessKeyIsRedactedFromTheGatewaysMessage() async throws {
        try await withFixture({ try await MetaStudioFixture.start(.accessKey(accessKey: "HPUAUNKNOWNKEY77")) }) {
            fixture in
            let failure = try #require(await fixture.monitor().poll(deadline: 30).failure)
            #expect(failure.kind == .authentication)
            #expect(failure.message.contains("Get secretKey failed,ak:<redacted>,err:ak not exist"))
            #expect(!failure.message.contains("HPUAUNKNOWNKEY77"))
            #expect(fixture.metaStudio.counters.rejectedUnknownKey == 1)
        }
    }

    @Test func aWrongTokenIsAnAuthenticationFailure() async throws {
        try await withFixture({ try await MetaStudioFixture.start(.token("expired-iam-token-000")) }) { fixture in
            let failure = try #require(await fixture.monitor().poll(deadline: 30).failure)
            #expect(failure.kind == .authentication)
            #expect(failure.retryAfter == 300)
            #expect(
                failure.message.hasPrefix(
                    "MetaStudio rejected the token: Incorrect IAM authentication information: decrypt token fail"))
            #expect(fixture.metaStudio.counters.rejectedToken == 1)
        }
    }

    @Test(arguments: [-20.0 * 60, 20.0 * 60])
    func aSkewedClockIsRejectedAndTheErrorSaysToCheckTheHostClock(offset: Double) async throws {
        try await withFixture({ try await MetaStudioFixture.start(platforms: 2) }) { fixture in
            let report = await fixture.monitor(clock: { Date().addingTimeInterval(offset) }).poll(deadline: 30)
            let failure = try #require(report.failure)
            #expect(failure.code == "APIGW.0303")
            #expect(failure.kind == .authentication)
            #expect(failure.retryAfter == 300)
            #expect(failure.message.contains("check the host clock"))
            #expect(fixture.metaStudio.counters.rejectedClockSkew == 1)
            // 14 minutes off is still inside the gateway's window.
            let near = await fixture.monitor(clock: { Date().addingTimeInterval(offset * 0.7) }).poll(deadline: 30)
            #expect(near.succeeded, "\(String(describing: near.failure))")
        }
    }

    @Test func aThrottledPageIsRetriedAfterAPauseWithinThePoll() async throws {
        try await withFixture({ try await MetaStudioFixture.start(platforms: 150) }) { fixture in
            fixture.metaStudio.throttle(count: 1)
            let sleeps = SleepRecorder()
            let report = await fixture.monitor(sleeps: sleeps).poll(deadline: 30)
            #expect(report.succeeded, "\(String(describing: report.failure))")
            #expect(report.items == 150)
            #expect(report.requests == 3)
            #expect(sleeps.all == [1])
            #expect(fixture.metaStudio.counters.throttled == 1)
        }
    }

    @Test func persistentThrottlingFailsThePollAsRateLimited() async throws {
        try await withFixture({ try await MetaStudioFixture.start(platforms: 10) }) { fixture in
            fixture.metaStudio.throttle(count: 10)
            let sleeps = SleepRecorder()
            // The pauses are recorded, not slept; a long deadline keeps a loaded machine from cutting the retries short.
            let report = await fixture.monitor(sleeps: sleeps).poll(deadline: 30)
            let failure = try #require(report.failure)
            #expect(failure.kind == .rateLimited)
            #expect(failure.code == "APIG.0308")
            #expect(
                failure.message.hasPrefix("MetaStudio throttled the request: The throttling threshold has been reached")
            )
            #expect(report.requests == 1 + MetaStudioMonitor.throttleRetries)
            #expect(sleeps.all == [1, 2])
        }
    }

    @Test func aListingThatNeverEndsStopsAtMaxPages() async throws {
        try await withFixture({ try await MetaStudioFixture.start(maxPages: 3) }) { fixture in
            fixture.metaStudio.setNeverEnding(true)
            let report = await fixture.monitor().poll(deadline: 30)
            let failure = try #require(report.failure)
            #expect(failure.code == "too_many_pages")
            #expect(failure.kind == .invalidResponse)
            #expect(failure.message.contains("after 3 page(s) of 100 (max_pages)"))
            #expect(report.requests == 3)
        }
    }

    @Test func aServerThatIgnoresTheOffsetFailsOnTheFirstRepeatedPage() async throws {
        try await withFixture({ try await MetaStudioFixture.start(platforms: 250) }) { fixture in
            fixture.metaStudio.setIgnoresOffset(true)
            let report = await fixture.monitor().poll(deadline: 30)
            let failure = try #require(report.failure)
            #expect(failure.code == "listing_repeats")
            #expect(failure.message.hasPrefix("page 2 of the listing (offset 100) repeats platforms already listed"))
            #expect(report.requests == 2)
        }
    }

    @Test func aPollThatRunsOutOfTimeBetweenPagesFails() async throws {
        try await withFixture({ try await MetaStudioFixture.start(platforms: 300) }) { fixture in
            // Every request "takes" 20 s on this clock; the whole poll has 30 s. What is left of it when the first
            // request starts (20 s, capped by the 10 s timeout) is also that request's timeout in real time.
            let ticks = Mutex(0.0)
            let start = Date()
            let clock: @Sendable () -> Date = {
                start.addingTimeInterval(
                    ticks.withLock {
                        $0 += 10
                        return $0
                    })
            }
            let report = await fixture.monitor(clock: clock).poll(deadline: 30)
            #expect(report.failure?.code == "timeout")
            #expect(report.failure?.message.contains("deadline") == true)
            #expect(report.requests == 1)
        }
    }

    static let faults = HostileAnswer.all()

    @Test(arguments: faults)
    func mapsEveryHostileAnswer(answer: HostileAnswer) async throws {
        try await withFixture({ try await MetaStudioFixture.start(platforms: 150, timeout: 5) }) { fixture in
            // The fault hits the second page: a half-read listing is a failure, never a shorter one.
            fixture.metaStudio.faults.inject(.slow(seconds: 0), count: 1)
            fixture.metaStudio.faults.inject(answer.fault)
            let report = await fixture.monitor().poll(deadline: 30)
            try answer.expectFailure(of: report)
            #expect(report.requests == 2)
            // The first page's request id is not the failure's: these answers carry none.
            #expect(report.requestID == nil)
            // The next poll, without the fault, works: nothing is left broken.
            let next = await fixture.monitor().poll(deadline: 30)
            #expect(next.items == 150, "after \(answer.fault): \(String(describing: next.failure))")
        }
    }

    // MARK: Parsing

    static let parser = MetaStudioTimeParser(timeZone: TimeZone(identifier: "UTC") ?? .current)

    static func parse(_ status: Int, _ body: String, headers: [(String, String)] = []) -> MetaStudioExchange {
        MetaStudioClient.parse(
            IncomingResponse(status: status, headers: headers, body: Array(body.utf8)), now: Date(), parser: parser)
    }

    @Test func theDocumentedExamplesMapToTheirCodes() throws {
        let examples: [(Int, String, PollFailure.Kind, String, String)] = [
            (
                400, #"{"error_code": "MSS.00000003", "error_msg": "Invalid parameter"}"#, .vendor, "MSS.00000003",
                "MetaStudio: Invalid parameter"
            ),
            (
                401, #"{"error_code": "MSS.00000001", "error_msg": "Unauthorized"}"#, .authentication, "MSS.00000001",
                "MetaStudio rejected the AK/SK: Unauthorized"
            ),
            (
                500, #"{"error_code": "MSS.00000004", "error_msg": "Internal Error"}"#, .vendor, "MSS.00000004",
                "MetaStudio: Internal Error"
            ),
            (
                429, #"{"error_code": "APIG.0308", "error_msg": "The throttling threshold has been reached"}"#,
                .rateLimited,
                "APIG.0308", "MetaStudio throttled the request: The throttling threshold has been reached"
            ),
            (
                403,
                #"{"error_code": "APIG.0302", "error_msg": "The IAM user is forbidden in the currently selected region"}"#,
                .authentication, "APIG.0302",
                "MetaStudio refused access: The IAM user is forbidden in the currently selected region"
            ),
        ]
        for (status, body, kind, code, message) in examples {
            let exchange = Self.parse(status, body, headers: [("X-Request-Id", "rid-\(status)")])
            guard case .failure(let failure) = exchange.result else {
                Issue.record("\(status) accepted")
                continue
            }
            #expect(failure.kind == kind, "\(status)")
            #expect(failure.code == code, "\(status)")
            #expect(failure.message.hasPrefix(message), "\(status): \(failure.message)")
            #expect(exchange.requestID == "rid-\(status)")
        }
    }

    @Test func textFromTheVendorLosesControlCharactersAndIsBounded() {
        #expect(MetaStudioClient.sanitize("a\nb\u{7F}c\u{85}d", limit: 10) == "a b c d")
        #expect(MetaStudioClient.sanitize("平台名称", limit: 2) == "平台")
        #expect(MetaStudioClient.sanitize("plain", limit: 10) == "plain")
    }

    @Test func theBodysRequestIDIsUsedWithoutTheHeader() {
        let exchange = Self.parse(401, #"{"error_code":"APIG.0301","error_msg":"x","request_id":"body-rid"}"#)
        #expect(exchange.requestID == "body-rid")
        #expect(exchange.status == 401)
    }

    @Test func theDocumentedSuccessExampleAndMissingFieldsAreAccepted() throws {
        // The docs' own example: a platform with nothing but a name has no id, so it is skipped with a warning.
        let exchange = Self.parse(200, #"{"live_platforms" : [ {"name" : "meituan"} ]}"#)
        let page = try exchange.result.get()
        #expect(page.count == 1)
        #expect(page.platforms.isEmpty)
        #expect(page.warnings == ["live_platforms[0] has no platform_id; it is skipped"])

        let bare = try Self.parse(200, #"{"live_platforms":[{"platform_id":"p-1"}]}"#).result.get()
        #expect(bare.platforms == [LivePlatform(platformID: "p-1")])
        #expect(bare.warnings.isEmpty)
    }

    @Test func unreadableTimesAreNilWithAWarningAndNumbersAreRead() throws {
        let body = #"""
            {"live_platforms":[
              {"platform_id":"p-1","name":"A","authorization_info":{"authorize_state":"AUTHORIZED",
               "authorized_time":"next tuesday","expire_time":"2026-11-22T14:00:00Z","account":"op-1"},
               "auth_config":{"key":"very-secret-auth-key"},
               "callback_config":[{"api_type":"PRODUCT_QUERY","url":"http://insecure.example.com/q"},
                                  {"api_type":"LIVE_EVENT_CALLBACK","url":"https://a.example.com/cb"}]},
              {"platform_id":12345,"authorization_info":{"authorize_state":"UNAUTHORIZED","expire_time":1795356000000,
               "authorized_time":""}}
            ]}
            """#
        let page = try Self.parse(200, body).result.get()
        #expect(page.count == 2)
        let first = try #require(page.platforms.first)
        #expect(first.authorizedTime == .unreadable)
        #expect(first.expireTime == .parsed(Date(timeIntervalSince1970: 1_795_356_000)))
        #expect(first.account == "op-1")
        #expect(first.authKeyFingerprint == Secret.fingerprint(of: "very-secret-auth-key"))
        #expect(first.callbacks.map(\.apiType) == ["LIVE_EVENT_CALLBACK", "PRODUCT_QUERY"])
        #expect(
            page.warnings == [
                "platform p-1: authorized_time \"next tuesday\" is not a time livewatch can read; stored as NULL"
            ])
        let second = try #require(page.platforms.last)
        #expect(second.platformID == "12345")
        #expect(second.expireTime == .parsed(Date(timeIntervalSince1970: 1_795_356_000)))
        #expect(second.authorizedTime == .absent)
    }

    @Test func aTwoHundredWithoutAListOrWithAnErrorCodeIsAFailure() {
        if case .failure(let failure) = Self.parse(200, "{}").result {
            #expect(failure.code == "missing_field")
        } else {
            Issue.record("{} accepted")
        }
        if case .failure(let failure) = Self.parse(200, #"{"error_code":"MSS.00000004","error_msg":"Internal Error"}"#)
            .result
        {
            #expect(failure.code == "MSS.00000004")
        } else {
            Issue.record("an error body accepted")
        }
        // A 200 body is never quoted: it may hold auth keys.
        if case .failure(let failure) = Self.parse(200, #"{"live_platforms":[{"auth_config":{"key":"k-123456"}"#).result
        {
            #expect(!failure.message.contains("k-123456"))
        } else {
            Issue.record("truncated JSON accepted")
        }
    }
}
