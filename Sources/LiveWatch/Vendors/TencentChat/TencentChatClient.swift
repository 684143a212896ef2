import Foundation
import VendorSigning

/// Talks to Tencent Cloud Chat's `get_room_list`: builds one page's request
/// (UserSig, random, JSON body) and maps every kind of answer to a page, a
/// vendor error code, or a `PollFailure`.
public struct TencentChatClient: Sendable {
    /// The API path, relative to the endpoint.
    public static let roomListPath = "/v4/live_engine_http_srv/get_room_list"

    /// The monitor's settings (app, identifier, key, endpoint, page size).
    public let configuration: TencentChatMonitorConfiguration
    /// Where the UserSig comes from (cached, renewed before expiry).
    public let userSigs: TencentUserSigCache
    let transport: any HTTPTransport
    let random: @Sendable () -> UInt32

    /// - Parameters:
    ///   - random: the `random` query parameter of each request.
    public init(
        configuration: TencentChatMonitorConfiguration, transport: any HTTPTransport, userSigs: TencentUserSigCache,
        random: @escaping @Sendable () -> UInt32 = { UInt32.random(in: .min ... .max) }
    ) {
        self.configuration = configuration
        self.transport = transport
        self.userSigs = userSigs
        self.random = random
    }

    /// One page of the room list.
    public struct Page: Sendable, Equatable {
        /// The cursor of the next page; "" when the list is complete.
        public var next: String
        /// The rooms on this page, in the vendor's order.
        public var rooms: [LiveRoom]
    }

    /// What one request produced.
    public enum Answer: Sendable, Equatable {
        /// `ActionStatus: OK`, a page.
        case page(Page)
        /// `ActionStatus: FAIL` (or a non-zero `ErrorCode`): the vendor's code and its scrubbed `ErrorInfo`.
        case vendorError(code: Int64, info: String)
        /// No usable answer: transport, HTTP without a Tencent body, unreadable body.
        case failure(PollFailure)
    }

    /// One request and its answer.
    public struct Exchange: Sendable {
        /// The HTTP status, if a response arrived.
        public var httpStatus: Int?
        /// Tencent's `RequestId`, if the body had one.
        public var requestID: String?
        /// What the answer meant.
        public var answer: Answer
    }

    /// The POST for one page, with the UserSig and `random` in the query.
    public func makeRequest(next: String, userSig: String, random: UInt32, timeout: Double) -> OutgoingRequest {
        // Built by appending (no CharacterSet, no intermediate arrays): the same bytes as joining
        // `name=percent-encoded value` pairs with `&`.
        var url = Self.join(configuration.endpoint, Self.roomListPath)
        url.reserveCapacity(url.utf8.count + userSig.utf8.count + configuration.identifier.utf8.count * 3 + 80)
        url += "?sdkappid="
        url += String(configuration.sdkAppID)
        url += "&identifier="
        Self.appendPercentEncoded(configuration.identifier, to: &url)
        url += "&usersig="
        Self.appendPercentEncoded(userSig, to: &url)
        url += "&random="
        url += String(random)
        url += "&contenttype=json"
        let body = "{\"Next\":\(JSONText.quote(next)),\"Count\":\(configuration.pageSize)}"
        return OutgoingRequest(
            method: "POST", url: url, headers: [("Content-Type", "application/json"), ("Accept", "application/json")],
            body: Array(body.utf8), timeout: timeout)
    }

    /// Fetches the page after `next` ("" for the first).
    public func fetchPage(next: String, timeout: Double) async -> Exchange {
        let userSig: String
        do {
            userSig = try userSigs.current()
        } catch {
            return Exchange(answer: .failure(PollFailure(kind: .local, code: "usersig", message: "\(error)")))
        }
        let request = makeRequest(next: next, userSig: userSig, random: random(), timeout: timeout)
        let redact = Redactor([configuration.secretKey.reveal(), userSig])
        let response: IncomingResponse
        do {
            response = try await transport.perform(request)
        } catch {
            return Exchange(answer: .failure(PollFailure(transport: error)))
        }
        var exchange = Self.parse(response)
        switch exchange.answer {
        case .page: break
        case .vendorError(let code, let info): exchange.answer = .vendorError(code: code, info: redact(info))
        case .failure(var failure):
            failure.message = redact(failure.message)
            exchange.answer = .failure(failure)
        }
        exchange.requestID = exchange.requestID.map(redact.callAsFunction)
        return exchange
    }

    /// Maps a response to a page, a vendor error or a failure. The HTTP status
    /// matters only when the body is not a Tencent answer: errors are keyed on
    /// `ActionStatus`/`ErrorCode`.
    public static func parse(_ response: IncomingResponse) -> Exchange {
        let status: TencentChatStatus
        let envelopePage: TencentChatEnvelope.Page?
        switch TencentChatEnvelope.read(response.body) {
        case .unreadable:
            return Exchange(
                httpStatus: response.status, requestID: nil, answer: .failure(unreadable(response, reason: nil)))
        case .statusOnly(let readable):
            // The status fields may still be readable when `Response` is not.
            if let failed = vendorError(readable) {
                return Exchange(httpStatus: response.status, requestID: readable.requestID, answer: failed)
            }
            return Exchange(
                httpStatus: response.status, requestID: readable.requestID,
                answer: .failure(unreadable(response, reason: "its Response cannot be read")))
        case .envelope(let readable, let page):
            status = readable
            envelopePage = page
        }
        if let failed = vendorError(status) {
            return Exchange(httpStatus: response.status, requestID: status.requestID, answer: failed)
        }
        guard status.actionStatus == "OK" else {
            return Exchange(
                httpStatus: response.status, requestID: status.requestID,
                answer: .failure(
                    unreadable(
                        response, reason: status.actionStatus == nil ? nil : "its ActionStatus is not OK or FAIL")))
        }
        func missingField(_ message: String) -> Exchange {
            Exchange(
                httpStatus: response.status, requestID: status.requestID,
                answer: .failure(PollFailure(kind: .invalidResponse, code: "missing_field", message: message)))
        }
        guard let page = envelopePage, let next = page.next else {
            return missingField("Tencent Chat answer lacks Response.Next")
        }
        if let index = page.firstRoomWithoutID {
            return missingField("Tencent Chat RoomList[\(index)] has no RoomId")
        }
        return Exchange(
            httpStatus: response.status, requestID: status.requestID, answer: .page(Page(next: next, rooms: page.rooms))
        )
    }

    /// The vendor's error, when the answer says `FAIL` or carries a non-zero `ErrorCode`.
    static func vendorError(_ status: TencentChatStatus) -> Answer? {
        let code = status.errorCode ?? 0
        guard status.actionStatus == "FAIL" || code != 0 else { return nil }
        let info = String((status.errorInfo ?? "").prefix(300))
        return .vendorError(code: code, info: info)
    }

    static func unreadable(_ response: IncomingResponse, reason: String?) -> PollFailure {
        if !(200..<300).contains(response.status) {
            let excerpt = response.bodyExcerpt()
            return PollFailure(
                kind: .http, code: "http_\(response.status)",
                message: "HTTP \(response.status)" + (excerpt.isEmpty ? "" : ": \(excerpt)"))
        }
        let what: String
        if let reason {
            what = "a Tencent answer, but \(reason)"
        } else if response.body.isEmpty {
            what = "an empty body"
        } else {
            what = "a body that is not Tencent JSON"
        }
        return PollFailure(kind: .invalidResponse, code: "invalid_response", message: "Tencent Chat sent \(what)")
    }

    /// What to do about a vendor error code.
    public enum ErrorHandling: Sendable, Equatable {
        /// Too frequent (60007, 60011, 60018, 60019): wait, then retry the same page (a bounded number of times).
        case retryAfterBackoff
        /// 70050: UserSig checks rate-limited for a minute: the poll fails, asking the scheduler to wait that minute.
        case retryAfterMinute
        /// 100001: internal error, retry the same page (a bounded number of times).
        case retryInternal
        /// 70001: the UserSig expired; generate a new one and retry once.
        case renewUserSig
        /// Anything else: the poll fails with the code.
        case fail(PollFailure.Kind)
    }

    /// The handling of each code (SIGNING.md section 2 and the API page).
    public static func handling(of code: Int64) -> ErrorHandling {
        switch code {
        case 60007, 60011, 60018, 60019: return .retryAfterBackoff
        case 70050: return .retryAfterMinute
        case 100001: return .retryInternal
        case 70001: return .renewUserSig
        case 60004, 60005, 60010, 70003, 70009, 70013, 70014, 70016, 70020, 70051, 70107: return .fail(.authentication)
        default: return .fail(.vendor)
        }
    }

    /// `base` + `path` with exactly one slash between them.
    static func join(_ base: URL, _ path: String) -> String {
        var text = base.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return text + path
    }

    /// Percent-encodes a query value: RFC 3986 unreserved characters and `*`
    /// (the UserSig alphabet is `A-Za-z0-9*-_`) are kept, every other UTF-8 byte becomes `%XX` (upper-case hex,
    /// as Foundation's `addingPercentEncoding` writes it).
    static func percentEncode(_ text: String) -> String {
        var result = ""
        appendPercentEncoded(text, to: &result)
        return result
    }

    static func appendPercentEncoded(_ text: String, to result: inout String) {
        if text.utf8.allSatisfy(isKeptInQuery) {
            result += text
            return
        }
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count * 3)
        for byte in text.utf8 {
            if isKeptInQuery(byte) {
                bytes.append(byte)
            } else {
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0x0F)])
            }
        }
        result += String(decoding: bytes, as: UTF8.self)
    }

    static func isKeptInQuery(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"), UInt8(ascii: "*"):
            return true
        default:
            return false
        }
    }
}
