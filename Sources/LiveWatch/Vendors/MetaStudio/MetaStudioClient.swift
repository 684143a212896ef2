import Foundation
import VendorSigning

/// One page of `ListLivePlatforms` as the client read it.
public struct MetaStudioPage: Sendable, Equatable {
    /// The platforms of the page that have a `platform_id`.
    public var platforms: [LivePlatform]
    /// Entries in the page as sent, with or without an id: a page shorter than the limit is the last.
    public var count: Int
    /// What deserves a warning line: unreadable times, platforms without an id. Never a secret.
    public var warnings: [String]

    public init(platforms: [LivePlatform], count: Int, warnings: [String] = []) {
        self.platforms = platforms
        self.count = count
        self.warnings = warnings
    }
}

/// One request and what came of it.
public struct MetaStudioExchange: Sendable {
    /// The HTTP status, if a response arrived.
    public var status: Int?
    /// `X-Request-Id`, or the error body's `request_id`.
    public var requestID: String?
    /// The page, or why there is none.
    public var result: Result<MetaStudioPage, PollFailure>

    public init(status: Int?, requestID: String?, result: Result<MetaStudioPage, PollFailure>) {
        self.status = status
        self.requestID = requestID
        self.result = result
    }
}

/// Talks to Huawei MetaStudio's `GET /v1/{project_id}/live-platforms/platforms`:
/// builds the request (AK/SK-signed or with an IAM token) and maps every kind
/// of answer to a page or a `PollFailure`.
public struct MetaStudioClient: Sendable {
    /// Platforms per request: the API's maximum `limit`.
    public static let pageSize = 100
    /// The least wait after an authentication failure: Huawei locks an AK/SK
    /// for 5 minutes after more than 5 consecutive failures.
    public static let authenticationPause: Double = 300

    /// The monitor's settings: project, endpoint, credentials, filter, time zone.
    public let configuration: MetaStudioMonitorConfiguration
    let transport: any HTTPTransport
    let timeParser: MetaStudioTimeParser

    public init(configuration: MetaStudioMonitorConfiguration, transport: any HTTPTransport) {
        self.configuration = configuration
        self.transport = transport
        self.timeParser = MetaStudioTimeParser(timeZone: configuration.timeZone)
    }

    /// The API path for the configured project.
    public var path: String { "/v1/\(configuration.projectID)/live-platforms/platforms" }

    /// The query pairs of one page, unencoded.
    public func queryPairs(offset: Int) -> [(String, String)] {
        var pairs = [("offset", String(offset)), ("limit", String(Self.pageSize))]
        if let accessType = configuration.accessType { pairs.append(("access_type", accessType)) }
        return pairs
    }

    /// The request for the page at `offset`, authenticated for `date` (the
    /// `X-Sdk-Date`), and the signature when AK/SK signing is used. The URL's
    /// query is the canonical query (sorted, encoded) the signature covers.
    public func makeRequest(offset: Int, at date: Date, timeout: Double) -> (
        request: OutgoingRequest, signature: HuaweiSignature?
    ) {
        let base = Self.trimmingTrailingSlashes(configuration.endpoint.absoluteString)
        let query = Self.canonicalQuery(queryPairs(offset: offset))
        let unsigned = base + path + "?" + query
        switch configuration.authentication {
        case .token(let token):
            let headers = [("X-Auth-Token", token.reveal()), ("Accept", "application/json")]
            return (OutgoingRequest(method: "GET", url: unsigned, headers: headers, timeout: timeout), nil)
        case .accessKey(let accessKey, let secretKey):
            let signer = HuaweiSigner(accessKey: accessKey.reveal(), secretKey: secretKey.reveal())
            let signature: HuaweiSignature
            if let url = URL(string: unsigned) {
                signature = signer.sign(
                    method: "GET", url: url, headers: [("X-Project-Id", configuration.projectID)], body: [],
                    sdkDate: HuaweiSigner.sdkDate(date))
            } else {
                // Unreachable with a validated endpoint; the transport reports the URL as invalid.
                signature = signer.sign(
                    method: "GET", host: "", path: path, query: queryPairs(offset: offset),
                    headers: [("X-Project-Id", configuration.projectID)], body: [], sdkDate: HuaweiSigner.sdkDate(date))
            }
            let url = base + path + "?" + signature.canonicalQuery
            let headers = signature.headers.map { ($0.name, $0.value) }
            return (OutgoingRequest(method: "GET", url: url, headers: headers, timeout: timeout), signature)
        }
    }

    /// Every secret a request or an error could carry: for scrubbing messages.
    func redactor(signature: HuaweiSignature?) -> Redactor {
        var secrets: [String] = []
        switch configuration.authentication {
        case .token(let token): secrets.append(token.reveal())
        case .accessKey(let accessKey, let secretKey): secrets += [accessKey.reveal(), secretKey.reveal()]
        }
        if let signature { secrets += [signature.signature, signature.authorization] }
        return Redactor(secrets)
    }

    /// Fetches the page at `offset`.
    public func fetchPage(offset: Int, now: Date, timeout: Double) async -> MetaStudioExchange {
        let (request, signature) = makeRequest(offset: offset, at: now, timeout: timeout)
        let redact = redactor(signature: signature)
        let response: IncomingResponse
        do {
            response = try await transport.perform(request)
        } catch {
            return MetaStudioExchange(
                status: nil, requestID: nil,
                result: .failure(PollFailure(transport: error)))
        }
        var exchange = Self.parse(response, now: now, parser: timeParser, tokenAuthentication: isTokenAuthentication)
        exchange.result = exchange.result.mapError { failure in
            var scrubbed = failure
            scrubbed.message = redact(failure.message)
            scrubbed.code = failure.code.map { redact($0) }
            return scrubbed
        }
        exchange.requestID = exchange.requestID.map { redact($0) }
        return exchange
    }

    var isTokenAuthentication: Bool {
        if case .token = configuration.authentication { return true }
        return false
    }

    /// Maps a response to a page or a failure. Pure: no secret is known here,
    /// so the caller scrubs the failure's message.
    public static func parse(
        _ response: IncomingResponse, now: Date, parser: MetaStudioTimeParser, tokenAuthentication: Bool = false
    ) -> MetaStudioExchange {
        let errorBody = try? JSONDecoder().decode(MetaStudioErrorBody.self, from: Data(response.body))
        let headerID = response.header("X-Request-Id").map { String($0.prefix(128)) }
        let requestID = headerID ?? errorBody?.requestID.map { String($0.prefix(128)) }
        func failed(_ failure: PollFailure) -> MetaStudioExchange {
            MetaStudioExchange(status: response.status, requestID: requestID, result: .failure(failure))
        }
        let retryAfter = response.retryAfter(now: now)
        if let errorBody, let code = errorBody.errorCode?.value, !code.isEmpty {
            return failed(
                vendorFailure(
                    status: response.status, code: String(code.prefix(64)), message: errorBody.errorMsg ?? "",
                    retryAfter: retryAfter, tokenAuthentication: tokenAuthentication))
        }
        guard (200..<300).contains(response.status) else {
            if response.status == 401 {
                return failed(
                    vendorFailure(
                        status: 401, code: "http_401", message: response.bodyExcerpt(), retryAfter: retryAfter,
                        tokenAuthentication: tokenAuthentication))
            }
            let excerpt = response.bodyExcerpt()
            return failed(
                PollFailure(
                    kind: response.status == 429 ? .rateLimited : .http, code: "http_\(response.status)",
                    message: "HTTP \(response.status)" + (excerpt.isEmpty ? "" : ": \(excerpt)"), retryAfter: retryAfter
                ))
        }
        // A 200 body is never quoted in a message: it may hold platforms' auth keys.
        let listing: MetaStudioListResponse
        do {
            listing = try JSONDecoder().decode(MetaStudioListResponse.self, from: Data(response.body))
        } catch {
            let what = response.body.isEmpty ? "an empty body" : "a body that is not a MetaStudio platform list"
            return failed(
                PollFailure(kind: .invalidResponse, code: "invalid_response", message: "MetaStudio sent \(what)"))
        }
        guard let entries = listing.livePlatforms else {
            return failed(
                PollFailure(
                    kind: .invalidResponse, code: "missing_field", message: "MetaStudio response has no live_platforms")
            )
        }
        var platforms: [LivePlatform] = []
        var warnings: [String] = []
        for (index, entry) in entries.enumerated() {
            guard let id = entry.platformID?.value, !id.isEmpty else {
                warnings.append("live_platforms[\(index)] has no platform_id; it is skipped")
                continue
            }
            let platformID = sanitize(id, limit: 128)
            let info = entry.authorizationInfo
            let authorized = readTime(info?.authorizedTime?.value, parser: parser)
            let expires = readTime(info?.expireTime?.value, parser: parser)
            for (field, text, value) in [
                ("authorized_time", info?.authorizedTime?.value, authorized),
                ("expire_time", info?.expireTime?.value, expires),
            ] where value == .unreadable {
                warnings.append(
                    "platform \(platformID): \(field) \(quoted(text ?? "")) is not a time livewatch can read; stored as NULL"
                )
            }
            let callbacks = (entry.callbackConfig ?? []).compactMap { callback -> PlatformCallback? in
                guard let url = callback.url, !url.isEmpty else { return nil }
                return PlatformCallback(
                    apiType: sanitize(callback.apiType?.value ?? "", limit: 64), url: sanitize(url, limit: 2_048))
            }.sorted()
            platforms.append(
                LivePlatform(
                    platformID: platformID,
                    name: entry.name.map { sanitize($0.value, limit: 256) },
                    accessType: entry.accessType.map { sanitize($0.value, limit: 64) },
                    authorizeState: info?.authorizeState.map { sanitize($0.value, limit: 64) },
                    authorizedTime: authorized,
                    expireTime: expires,
                    account: info?.account.map { sanitize($0.value, limit: 256) },
                    authKeyFingerprint: entry.authConfig?.key.flatMap { $0.isEmpty ? nil : Secret.fingerprint(of: $0) },
                    callbacks: callbacks))
        }
        return MetaStudioExchange(
            status: response.status, requestID: requestID,
            result: .success(MetaStudioPage(platforms: platforms, count: entries.count, warnings: warnings)))
    }

    /// The failure for a Huawei error code (`APIG.0301`, `MSS.00000003`, ...).
    static func vendorFailure(
        status: Int, code: String, message rawMessage: String, retryAfter: Double?, tokenAuthentication: Bool
    ) -> PollFailure {
        let message = sanitize(rawMessage, limit: 300)
        let lowered = message.lowercased()
        let gatewayCode = code.uppercased()
        let skew =
            lowered.contains("signature expired") || lowered.contains("server time")
            || ((gatewayCode == "APIG.0303" || gatewayCode == "APIGW.0303") && !lowered.contains("not found"))
        let authentication = skew || status == 401 || gatewayCode == "APIG.0301" || gatewayCode == "APIGW.0301"
        if authentication {
            let credentials = tokenAuthentication ? "token" : "AK/SK"
            var text =
                skew
                ? "MetaStudio rejected the request time, check the host clock (X-Sdk-Date must be within 15 minutes of Huawei's time)"
                : "MetaStudio rejected the \(credentials)"
            if !message.isEmpty { text += ": \(message)" }
            text +=
                "; no new attempt for \(DurationParser.format(authenticationPause)): Huawei locks an AK/SK for 5 minutes"
                + " after more than 5 consecutive authentication failures"
            return PollFailure(
                kind: .authentication, code: code, message: text, retryAfter: max(authenticationPause, retryAfter ?? 0))
        }
        if status == 429 || gatewayCode == "APIG.0308" || gatewayCode == "APIGW.0308" {
            return PollFailure(
                kind: .rateLimited, code: code, message: "MetaStudio throttled the request: \(message)",
                retryAfter: retryAfter)
        }
        if status == 403 {
            return PollFailure(
                kind: .authentication, code: code, message: "MetaStudio refused access: \(message)",
                retryAfter: retryAfter)
        }
        return PollFailure(
            kind: .vendor, code: code,
            message: "MetaStudio: " + (message.isEmpty ? "error without a message" : message),
            retryAfter: retryAfter)
    }

    static func readTime(_ text: String?, parser: MetaStudioTimeParser) -> LivePlatform.TimeField {
        guard let text, !MetaStudioTimeParser.isUnset(text) else { return .absent }
        return parser.parse(text).map { .parsed($0) } ?? .unreadable
    }

    /// At most `limit` characters, control characters replaced by spaces.
    static func sanitize(_ text: String, limit: Int) -> String {
        // Control characters (category Cc) are exactly U+0000...U+001F and U+007F...U+009F.
        func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) }
        guard text.unicodeScalars.contains(where: isControl) else {
            return text.count <= limit ? text : String(text.prefix(limit))
        }
        var cleaned = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            cleaned.append(isControl(scalar) ? " " : scalar)
        }
        return String(String(cleaned).prefix(limit))
    }

    static func quoted(_ text: String) -> String {
        "\"" + sanitize(text, limit: 40) + (text.count > 40 ? "…" : "") + "\""
    }

    /// Pairs sorted by name then value, names and values percent-encoded
    /// (RFC 3986 unreserved characters kept), as SIGNING.md section 3 step 5.
    static func canonicalQuery(_ pairs: [(String, String)]) -> String {
        pairs.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
            .map { percentEncode($0.0) + "=" + percentEncode($0.1) }
            .joined(separator: "&")
    }

    static func percentEncode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }

    static func trimmingTrailingSlashes(_ text: String) -> String {
        var text = text
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}
