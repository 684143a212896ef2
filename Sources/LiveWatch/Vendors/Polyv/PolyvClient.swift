import Foundation
import VendorSigning

/// Talks to Polyv's MR concurrency API: builds the signed request and maps
/// every kind of answer to an observation or a `PollFailure`.
public struct PolyvClient: Sendable {
    /// The API path, relative to the endpoint.
    public static let concurrencyPath = "/live/v4/user/mr/concurrency-detail/get"

    public let configuration: PolyvMonitorConfiguration
    let transport: any HTTPTransport

    public init(configuration: PolyvMonitorConfiguration, transport: any HTTPTransport) {
        self.configuration = configuration
        self.transport = transport
    }

    /// The signed GET request for the given moment, and its signature (for redaction).
    public func makeRequest(at date: Date, timeout: Double) -> (request: OutgoingRequest, sign: String) {
        let parameters = [
            "appId": configuration.appID,
            "timestamp": PolyvSigner.timestampMilliseconds(date),
        ]
        let sign = PolyvSigner.sign(parameters, appSecret: configuration.appSecret.reveal())
        let query = [
            ("appId", parameters["appId"] ?? ""), ("timestamp", parameters["timestamp"] ?? ""), ("sign", sign),
        ]
        .map { "\($0.0)=\(Self.percentEncode($0.1))" }
        .joined(separator: "&")
        let url = Self.join(configuration.endpoint, Self.concurrencyPath) + "?" + query
        return (
            OutgoingRequest(method: "GET", url: url, headers: [("Accept", "application/json")], timeout: timeout), sign
        )
    }

    /// Fetches the current concurrency.
    public func fetchConcurrency(now: Date, timeout: Double) async -> (
        IncomingResponse?, Result<(MRConcurrency, String?), PollFailure>
    ) {
        let (request, sign) = makeRequest(at: now, timeout: timeout)
        let redact = Redactor([configuration.appSecret.reveal(), sign])
        let response: IncomingResponse
        do {
            response = try await transport.perform(request)
        } catch {
            return (nil, .failure(PollFailure(transport: error)))
        }
        return (
            response,
            Self.parse(response, now: now).mapError { failure in
                var scrubbed = failure
                scrubbed.message = redact(failure.message)
                return scrubbed
            }
        )
    }

    /// Maps a response to concurrency and the request id, or a failure.
    public static func parse(_ response: IncomingResponse, now: Date) -> Result<(MRConcurrency, String?), PollFailure> {
        let retryAfter = response.retryAfter(now: now)
        let envelope = try? JSONDecoder().decode(PolyvEnvelope.self, from: Data(response.body))
        let requestID = envelope?.requestId
        if let envelope, envelope.success == false || envelope.status == "error" || envelope.error != nil {
            let code = envelope.error?.code?.value
            let message = envelope.error?.desc ?? "Polyv reported an error without a description"
            return .failure(
                PollFailure(
                    kind: kind(forStatus: response.status, vendorMessage: message), code: code,
                    message: "Polyv: \(message.prefix(300))", retryAfter: retryAfter))
        }
        guard (200..<300).contains(response.status) else {
            let excerpt = response.bodyExcerpt()
            return .failure(
                PollFailure(
                    kind: kind(forStatus: response.status, vendorMessage: ""), code: "http_\(response.status)",
                    message: "HTTP \(response.status)" + (excerpt.isEmpty ? "" : ": \(excerpt)"), retryAfter: retryAfter
                ))
        }
        guard let envelope else {
            let what = response.body.isEmpty ? "an empty body" : "a body that is not Polyv JSON"
            return .failure(
                PollFailure(kind: .invalidResponse, code: "invalid_response", message: "Polyv sent \(what)"))
        }
        guard envelope.success == true else {
            return .failure(
                PollFailure(
                    kind: .invalidResponse, code: "invalid_response", message: "Polyv response has no \"success\": true"
                ))
        }
        guard let data = envelope.data else {
            return .failure(
                PollFailure(kind: .invalidResponse, code: "missing_field", message: "Polyv response has no data"))
        }
        guard let total = data.mrLiveConcurrency, let used = data.usedCount, let residual = data.residualConcurrency
        else {
            let missing = [
                data.mrLiveConcurrency == nil ? "mrLiveConcurrency" : nil,
                data.usedCount == nil ? "usedCount" : nil,
                data.residualConcurrency == nil ? "residualConcurrency" : nil,
            ].compactMap { $0 }
            return .failure(
                PollFailure(
                    kind: .invalidResponse, code: "missing_field",
                    message: "Polyv response lacks data." + missing.joined(separator: ", data.")))
        }
        let channels = (data.channelIds ?? []).map(\.value)
        return .success((MRConcurrency(total: total, used: used, residual: residual, channelIDs: channels), requestID))
    }

    static func kind(forStatus status: Int, vendorMessage: String) -> PollFailure.Kind {
        switch status {
        case 401, 403: return .authentication
        case 429: return .rateLimited
        default:
            if vendorMessage.lowercased().contains("signature") { return .authentication }
            return vendorMessage.isEmpty ? .http : .vendor
        }
    }

    /// `base` + `path` with exactly one slash between them.
    static func join(_ base: URL, _ path: String) -> String {
        var text = base.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return text + path
    }

    /// Percent-encodes a query value (RFC 3986 unreserved characters kept).
    static func percentEncode(_ text: String) -> String {
        // Fast path: ids, timestamps and hex signatures need no encoding.
        if text.utf8.allSatisfy({ unreserved(byte: $0) }) { return text }
        var encoded = ""
        for byte in text.utf8 {
            if unreserved(byte: byte) {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }

    static func unreserved(byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}

extension String {
    /// The string with leading zeros up to `width` characters.
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
