import Foundation
import Testing
import VendorSigning
import VendorSimulator

@testable import LiveWatch

@Suite struct TencentChatClientTests {
    static let vectorKey = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
    static let vectorSig =
        "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkKjIT87NK82CSxSnZiQUFmSlAKUMTAyiAyqVWFGQWpYJkTE1NjRDiJZm5YFFzNPXFmekgG3zKHM1T9D3LzdODi-OKs8vCqpxcAvydnV2SSv2cy03cPcpDnA2SMgu0nUxslWoBHdYzUg__"

    static func configuration(pageSize: Int = 20) throws -> TencentChatMonitorConfiguration {
        TencentChatMonitorConfiguration(
            name: "tim", sdkAppID: 1_400_000_000, identifier: "xiaojun", secretKey: Secret(vectorKey),
            endpoint: try #require(URL(string: "https://console.tim.qq.com/")), pageSize: pageSize, poll: PollSettings()
        )
    }

    static func client(clock: @escaping @Sendable () -> Date = { Date(timeIntervalSince1970: 1_700_000_000) }) throws
        -> TencentChatClient
    {
        let configuration = try configuration()
        let userSigs = TencentUserSigCache(
            secretKey: configuration.secretKey, sdkAppID: configuration.sdkAppID, identifier: configuration.identifier,
            lifetime: 15_552_000, clock: clock)
        return TencentChatClient(configuration: configuration, transport: UnusedTransport(), userSigs: userSigs)
    }

    @Test func buildsThePostWithTheDocumentedQueryAndBody() throws {
        let client = try Self.client()
        // The cache, at the vector's time and expiry, yields SIGNING.md's vector tencent-1 byte for byte.
        let userSig = try client.userSigs.current()
        #expect(userSig == Self.vectorSig)
        let request = client.makeRequest(
            next: "1693271355-123123123123", userSig: userSig, random: 99_999_999, timeout: 5)
        #expect(request.method == "POST")
        #expect(
            request.url == "https://console.tim.qq.com/v4/live_engine_http_srv/get_room_list?sdkappid=1400000000"
                + "&identifier=xiaojun&usersig=\(Self.vectorSig)&random=99999999&contenttype=json")
        #expect(
            String(decoding: request.body ?? [], as: UTF8.self) == #"{"Next":"1693271355-123123123123","Count":20}"#)
        #expect(request.headers.contains { $0.0 == "Content-Type" && $0.1 == "application/json" })
        #expect(request.timeout == 5)
        let first = client.makeRequest(next: "", userSig: userSig, random: 0, timeout: 5)
        #expect(String(decoding: first.body ?? [], as: UTF8.self) == #"{"Next":"","Count":20}"#)
        #expect(first.url.contains("&random=0&"))
    }

    @Test func escapesTheCursorAndTheIdentifier() throws {
        var configuration = try Self.configuration(pageSize: 7)
        configuration.identifier = "管理员 a&b"
        let userSigs = TencentUserSigCache(secretKey: configuration.secretKey, sdkAppID: 1, identifier: "x")
        let client = TencentChatClient(configuration: configuration, transport: UnusedTransport(), userSigs: userSigs)
        let request = client.makeRequest(next: "a\"b\\c\n", userSig: "ab*-_", random: 4_294_967_295, timeout: 1)
        #expect(String(decoding: request.body ?? [], as: UTF8.self) == #"{"Next":"a\"b\\c\n","Count":7}"#)
        #expect(request.url.contains("identifier=%E7%AE%A1%E7%90%86%E5%91%98%20a%26b&usersig=ab*-_&random=4294967295&"))
    }

    @Test func readsTheDocumentedSampleResponse() throws {
        let body = #"""
            {"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0,
             "RequestId": "Id-8c9858f01e954611ae2d4c1b1ed7d583-O-Seq-52720",
             "Response" : {"Next":"1693271355-123123123123", "RoomList":[
               {"RoomName":"name","RoomId":"room_id0","Owner_Account":"bren","CoverURL":"cover_url","Category":[1,2,3],
                "CreateTime":1693271354,"ActivityStatus":1,"ViewCount":1000},
               {"RoomName":"name","RoomId":"room_id19","Owner_Account":"bren","CoverURL":"cover_url","Category":[1,2,3],
                "CreateTime":1693271354,"ActivityStatus":1,"ViewCount":900}]}}
            """#
        let exchange = TencentChatClient.parse(IncomingResponse(status: 200, headers: [], body: Array(body.utf8)))
        #expect(exchange.requestID == "Id-8c9858f01e954611ae2d4c1b1ed7d583-O-Seq-52720")
        #expect(exchange.httpStatus == 200)
        guard case .page(let page) = exchange.answer else {
            Issue.record("not a page: \(exchange.answer)")
            return
        }
        #expect(page.next == "1693271355-123123123123")
        #expect(
            page.rooms == [
                LiveRoom(
                    roomID: "room_id0", roomName: "name", ownerAccount: "bren", coverURL: "cover_url",
                    categories: "[1,2,3]",
                    createTime: 1_693_271_354, activityStatus: 1, viewCount: 1_000),
                LiveRoom(
                    roomID: "room_id19", roomName: "name", ownerAccount: "bren", coverURL: "cover_url",
                    categories: "[1,2,3]",
                    createTime: 1_693_271_354, activityStatus: 1, viewCount: 900),
            ])
    }

    @Test func leftOutOrUnreadableFieldsBecomeNil() {
        let body = #"""
            {"ActionStatus":"OK","ErrorCode":0,"RequestId":"r","Response":{"Next":"","RoomList":[
              {"RoomId":12345,"Category":["体育","a\"b"],"CreateTime":"not a time","ActivityStatus":"2","ViewCount":null},
              {"RoomId":"r2","RoomName":7,"Category":"1,2","CreateTime":"1693271354"}]}}
            """#
        let exchange = TencentChatClient.parse(IncomingResponse(status: 200, headers: [], body: Array(body.utf8)))
        guard case .page(let page) = exchange.answer else {
            Issue.record("not a page: \(exchange.answer)")
            return
        }
        #expect(page.next == "")
        #expect(
            page.rooms == [
                LiveRoom(
                    roomID: "12345", categories: #"["体育","a\"b"]"#, createTime: nil, activityStatus: 2, viewCount: nil),
                LiveRoom(roomID: "r2", roomName: nil, categories: nil, createTime: 1_693_271_354),
            ])
    }

    @Test func aRoomWithoutARoomIdFailsThePage() {
        let body =
            #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"x","RoomList":[{"RoomId":"a"},{"RoomName":"b"}]}}"#
        let exchange = TencentChatClient.parse(IncomingResponse(status: 200, headers: [], body: Array(body.utf8)))
        #expect(
            exchange.answer
                == .failure(
                    PollFailure(
                        kind: .invalidResponse, code: "missing_field", message: "Tencent Chat RoomList[1] has no RoomId"
                    )))
    }

    @Test func failuresAreKeyedOnActionStatusAndErrorCodeNotOnTheHTTPStatus() {
        func parse(_ status: Int, _ body: String) -> TencentChatClient.Exchange {
            TencentChatClient.parse(IncomingResponse(status: status, headers: [], body: Array(body.utf8)))
        }
        // A vendor error inside an HTTP 200.
        var exchange = parse(
            200,
            #"{"ActionStatus":"FAIL","ErrorInfo":"REST API call frequency over limit","ErrorCode":60007,"RequestId":"rq-1"}"#
        )
        #expect(exchange.answer == .vendorError(code: 60007, info: "REST API call frequency over limit"))
        #expect(exchange.requestID == "rq-1")
        // A Tencent error inside an HTTP 500 is still the Tencent error.
        exchange = parse(
            500, #"{"ActionStatus":"FAIL","ErrorInfo":"Internal server error","ErrorCode":100001,"RequestId":"rq-2"}"#)
        #expect(exchange.answer == .vendorError(code: 100001, info: "Internal server error"))
        // A non-zero ErrorCode with ActionStatus OK is an error too.
        exchange = parse(
            200, #"{"ActionStatus":"OK","ErrorInfo":"odd","ErrorCode":70001,"Response":{"Next":"","RoomList":[]}}"#)
        #expect(exchange.answer == .vendorError(code: 70001, info: "odd"))
        // The status fields are read even when Response is unreadable.
        exchange = parse(200, #"{"ActionStatus":"FAIL","ErrorCode":70009,"ErrorInfo":"bad sig","Response":"oops"}"#)
        #expect(exchange.answer == .vendorError(code: 70009, info: "bad sig"))
        // No Tencent body: then the HTTP status speaks.
        exchange = parse(502, "<html><body>502 Bad Gateway</body></html>")
        #expect(
            exchange.answer
                == .failure(
                    PollFailure(
                        kind: .http, code: "http_502", message: "HTTP 502: <html><body>502 Bad Gateway</body></html>")))
        exchange = parse(200, "")
        #expect(
            exchange.answer
                == .failure(
                    PollFailure(
                        kind: .invalidResponse, code: "invalid_response", message: "Tencent Chat sent an empty body")))
        exchange = parse(200, #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"abc","RoomList":[{"Room"#)
        #expect(
            exchange.answer
                == .failure(
                    PollFailure(
                        kind: .invalidResponse, code: "invalid_response",
                        message: "Tencent Chat sent a body that is not Tencent JSON")))
        exchange = parse(200, #"{"ActionStatus":"OK","ErrorCode":0,"RequestId":"rq-3"}"#)
        #expect(
            exchange.answer
                == .failure(
                    PollFailure(
                        kind: .invalidResponse, code: "missing_field",
                        message: "Tencent Chat answer lacks Response.Next")))
        #expect(exchange.requestID == "rq-3")
        exchange = parse(200, #"{"ActionStatus":"MAYBE","ErrorCode":0}"#)
        #expect(
            exchange.answer
                == .failure(
                    PollFailure(
                        kind: .invalidResponse, code: "invalid_response",
                        message: "Tencent Chat sent a Tencent answer, but its ActionStatus is not OK or FAIL")))
    }

    @Test func everyDocumentedCodeHasItsHandling() {
        for code: Int64 in [60007, 60011, 60018, 60019] {
            #expect(TencentChatClient.handling(of: code) == .retryAfterBackoff, "\(code)")
        }
        #expect(TencentChatClient.handling(of: 70050) == .retryAfterMinute)
        #expect(TencentChatClient.handling(of: 100001) == .retryInternal)
        #expect(TencentChatClient.handling(of: 70001) == .renewUserSig)
        for code: Int64 in [60004, 60005, 60010, 70003, 70009, 70013, 70014, 70016, 70020, 70051, 70107] {
            #expect(TencentChatClient.handling(of: code) == .fail(.authentication), "\(code)")
        }
        for code: Int64 in [60002, 60003, 60006, 60008, 60009, 60012, 60016, 60017, 60020, 60021, 100002] {
            #expect(TencentChatClient.handling(of: code) == .fail(.vendor), "\(code)")
        }
    }

    @Test func fetchesOnePageFromTheSimulatorWithAValidUserSig() async throws {
        try await withFixture({ try await TencentChatFixture.start(rooms: 45, pageSize: 20) }) { fixture in
            let monitor = fixture.monitor()
            let exchange = await monitor.client.fetchPage(next: "", timeout: 30)
            guard case .page(let page) = exchange.answer else {
                Issue.record("not a page: \(exchange.answer)")
                return
            }
            #expect(page.rooms.count == 20)
            #expect(!page.next.isEmpty)
            #expect(exchange.requestID?.hasPrefix("Id-") == true)
            #expect(exchange.httpStatus == 200)
            // The first room is the most viewed, as generated (room_0).
            #expect(page.rooms.first?.roomID == "room_0")
            #expect(page.rooms.first?.roomName == "直播间 0")
            // The UserSig the simulator received verifies with the key, for this app and identifier, and is not expired.
            let received = try #require(fixture.tencent.userSigsSeen.first)
            let decoded = try TencentUserSig.verify(
                userSig: received, secretKey: TencentChatFixture.secretKey, sdkAppID: TencentChatFixture.sdkAppID,
                now: Int64(Date().timeIntervalSince1970))
            #expect(decoded.identifier == TencentChatFixture.administrator)
            #expect(decoded.expire == TencentUserSigCache.defaultLifetime)
        }
    }

    @Test func theSimulatorRefusesAUserSigSignedWithAnotherKey() async throws {
        try await withFixture({ try await TencentChatFixture.start(rooms: 5, secretKey: "not-the-application-key") }) {
            fixture in
            let exchange = await fixture.monitor().client.fetchPage(next: "", timeout: 30)
            #expect(exchange.answer == .vendorError(code: 70009, info: "UserSig verification failed"))
            #expect(fixture.tencent.counters.rejectedUserSig == 1)
            #expect(fixture.tencent.counters.pages == 0)
        }
    }

    @Test func anErrorInfoQuotingTheUserSigIsScrubbed() async throws {
        try await withFixture({ try await TencentChatFixture.start(rooms: 5) }) { fixture in
            fixture.tencent.inject(.errorEchoingUserSig(code: 70003))
            let monitor = fixture.monitor()
            let exchange = await monitor.client.fetchPage(next: "", timeout: 30)
            let userSig = try #require(monitor.client.userSigs.cached)
            #expect(exchange.answer == .vendorError(code: 70003, info: "UserSig <redacted> rejected"))
            #expect(fixture.tencent.userSigsSeen.contains(userSig))
        }
    }
}
