import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import VendorSimulator

@testable import LiveWatch

/// The production transport against a real loopback server: a header it may not send is refused by
/// name before anything leaves, and no failure it reports carries a header value.
@Suite struct AsyncHTTPTransportTests {
    static let value = "header-value-secret-2f7c"

    @Test(arguments: ["\n", "\r", "\u{0}", "\u{1B}", "\u{7F}"])
    func aHeaderWithAControlCharacterIsRefusedByName(character: String) async throws {
        let simulator = VendorSimulator()
        try await simulator.start()
        let transport = AsyncHTTPTransport()
        let request = OutgoingRequest(
            method: "GET", url: simulator.baseURL + "/anything",
            headers: [("Accept", "application/json"), ("X-Auth-Token", "tok" + character + Self.value)], timeout: 2)
        do {
            _ = try await transport.perform(request)
            Issue.record("the request was sent")
        } catch {
            #expect(error == .invalidHeader(name: "X-Auth-Token"))
            #expect(error.code == "transport")
            #expect(!error.description.contains(Self.value))
        }
        await transport.shutdown()
        await simulator.shutdown()
    }

    /// livewatch bootstraps no tracer: AsyncHTTPClient's default would still build a no-op span per request.
    @Test func noRequestIsTraced() async {
        let transport = AsyncHTTPTransport()
        #expect(!transport.tracesRequests)
        await transport.shutdown()
    }

    @Test func aTabInAValueIsAllowed() {
        #expect(AsyncHTTPTransport.firstInvalidHeader([("X-A", "a\tb"), ("X-B", "中文")]) == nil)
        #expect(AsyncHTTPTransport.firstInvalidHeader([("Bad Name", "v")]) == "(unnamed)")
    }

    /// Errors whose descriptions quote request data are described by a fixed text only.
    @Test func describingALowerLevelErrorNeverQuotesIt() {
        struct Quoting: Error, CustomStringConvertible {
            var description: String { "value: \(AsyncHTTPTransportTests.value)" }
        }
        #expect(AsyncHTTPTransport.describe(Quoting()) == "Quoting")
        #expect(
            AsyncHTTPTransport.describe(HTTPClientError.invalidHeaderFieldValues([Self.value]))
                == "Invalid header field values")
        #expect(
            AsyncHTTPTransport.describe(IOError(errnoCode: ECONNREFUSED, reason: "connect")).contains(
                "errno \(ECONNREFUSED)"))
        #expect(
            AsyncHTTPTransport.describe(ChannelError.connectTimeout(.seconds(3))) == "channel error Connect timeout")
    }
}
