import Foundation
import VendorSigning

/// Talks to Volcengine livesaas: builds V4-signed requests for
/// `GetCustomViewingRestrictionInfoAPI` and `GetDownloadLiveClient`, holds the
/// rate limits, retries throttling and server errors, and maps every answer to
/// a value or a `PollFailure`.
///
/// The canonical query the signer produces is sent as the wire query, so what
/// is signed is byte for byte what arrives. Secrets (AK, SK, the signature,
/// SecretKeys, start links) never reach a failure message.
public struct VolcengineClient: Sendable {
    /// The viewing-restriction action.
    public static let restrictionAction = "GetCustomViewingRestrictionInfoAPI"
    /// The viewing-restriction API's version.
    public static let restrictionVersion = "2020-06-01"
    /// The start-link action.
    public static let linkAction = "GetDownloadLiveClient"
    /// The start-link API's version.
    public static let linkVersion = "2023-08-01"
    /// The signing service name.
    public static let service = "livesaas"
    /// Attempts per request when the vendor answers 429 or 500/502/503/504 (the official SDK's retry set).
    public static let maximumAttempts = 3

    /// The monitor's configuration (credentials, endpoint, region).
    public let configuration: VolcengineMonitorConfiguration
    let transport: any HTTPTransport
    let signer: VolcengineSigner
    /// First retry delay in seconds; doubles per attempt unless the vendor sent `Retry-After`.
    let retryDelay: Double

    /// Creates a client for one monitor's account.
    public init(configuration: VolcengineMonitorConfiguration, transport: any HTTPTransport, retryDelay: Double = 0.5) {
        self.configuration = configuration
        self.transport = transport
        self.signer = VolcengineSigner(
            accessKey: configuration.accessKey.reveal(), secretKey: configuration.secretKey.reveal(),
            region: configuration.region, service: Self.service)
        self.retryDelay = retryDelay
    }

    /// The outcome of one API call, retries included.
    public struct Call<Value: Sendable>: Sendable {
        /// HTTP requests made.
        public var requests: Int
        /// The last HTTP status, if a response arrived.
        public var httpStatus: Int?
        /// The last `ResponseMetadata.RequestId`, if one arrived.
        public var requestID: String?
        /// The value, or why there is none (never holding a secret).
        public var result: Result<Value, PollFailure>
    }

    // MARK: - Requests

    /// The signed `GetCustomViewingRestrictionInfoAPI` request (`ViewingRestriction` 0: both restrictions).
    public func makeRestrictionRequest(activityID: Int64, at date: Date, timeout: Double) -> (
        request: OutgoingRequest, signature: String
    ) {
        makeRequest(
            method: "GET", action: Self.restrictionAction, version: Self.restrictionVersion,
            query: [("ActivityId", String(activityID)), ("ViewingRestriction", "0")], body: nil, at: date,
            timeout: timeout)
    }

    /// The signed `GetDownloadLiveClient` request: a JSON body with `ActivityId`, `LoginType` and, for a guest, `UserName`.
    public func makeLinkRequest(activityID: Int64, kind: StartLinkKind, at date: Date, timeout: Double) -> (
        request: OutgoingRequest, signature: String
    ) {
        let body = VolcengineLinkRequestBody(activityId: activityID, loginType: kind.loginType, userName: kind.userName)
        // Encoding two integers and a string cannot fail; an empty body would be rejected by the vendor, not crash.
        let bytes = (try? VolcengineJSON.encoder().encode(body)).map { Array($0) } ?? []
        return makeRequest(
            method: "POST", action: Self.linkAction, version: Self.linkVersion, query: [], body: bytes, at: date,
            timeout: timeout)
    }

    func makeRequest(
        method: String, action: String, version: String, query: [(String, String)], body: [UInt8]?, at date: Date,
        timeout: Double
    ) -> (request: OutgoingRequest, signature: String) {
        let endpoint = configuration.endpoint
        let host = Self.hostHeader(endpoint)
        let path = endpoint.path.isEmpty ? "/" : endpoint.path
        var headers = [("Accept", "application/json")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let signature = signer.sign(
            method: method, host: host, path: path, query: [("Action", action), ("Version", version)] + query,
            headers: headers, body: body ?? [], date: date)
        let url = (endpoint.scheme ?? "https") + "://" + host + signature.canonicalURI + "?" + signature.canonicalQuery
        let request = OutgoingRequest(
            method: method, url: url, headers: signature.headers.map { ($0.name, $0.value) }, body: body,
            timeout: timeout)
        return (request, signature.signature)
    }

    /// The `Host` value for an endpoint: host, and the port when the URL names one.
    static func hostHeader(_ endpoint: URL) -> String {
        var host = endpoint.host ?? ""
        if host.contains(":"), !host.hasPrefix("[") { host = "[" + host + "]" }
        if let port = endpoint.port { host += ":\(port)" }
        return host
    }

    // MARK: - Calls

    /// Fetches one activity's viewing restrictions.
    public func fetchRestrictions(
        activityID: Int64, limiter: RateLimiter, until deadline: ContinuousClock.Instant, requestTimeout: Double,
        now: @escaping @Sendable () -> Date
    ) async -> Call<ActivityViewingRestrictions> {
        let context = "\(Self.restrictionAction) for activity \(activityID)"
        return await call(
            context: context, limiter: limiter, quotaWindow: 60, until: deadline, requestTimeout: requestTimeout,
            now: now
        ) { date, timeout in
            makeRestrictionRequest(activityID: activityID, at: date, timeout: timeout)
        } parse: { response in
            Self.parseRestrictions(response, activityID: activityID)
        }
    }

    /// Fetches a start link (host or guest). The returned links are secrets.
    public func fetchStartLink(
        activityID: Int64, kind: StartLinkKind, limiter: RateLimiter, until deadline: ContinuousClock.Instant,
        requestTimeout: Double, now: @escaping @Sendable () -> Date
    ) async -> Call<StartLink> {
        var context = "\(Self.linkAction) for activity \(activityID)"
        if let name = kind.userName { context += ", guest \(name)" }
        return await call(
            context: context, limiter: limiter, quotaWindow: 1, until: deadline, requestTimeout: requestTimeout,
            now: now
        ) { date, timeout in
            makeLinkRequest(activityID: activityID, kind: kind, at: date, timeout: timeout)
        } parse: { response in
            Self.parseLink(response, kind: kind)
        }
    }

    /// Sends a request built by `build` (signed at send time), retrying 429 and
    /// 500/502/503/504 with backoff while the deadline allows, and parses the answer.
    func call<Value: Sendable>(
        context: String, limiter: RateLimiter, quotaWindow: Double, until deadline: ContinuousClock.Instant,
        requestTimeout: Double, now: @escaping @Sendable () -> Date,
        build: (Date, Double) -> (request: OutgoingRequest, signature: String),
        parse: (IncomingResponse) -> Result<Value, PollFailure>
    ) async -> Call<Value> {
        var outcome = Call<Value>(
            requests: 0, httpStatus: nil, requestID: nil,
            result: .failure(PollFailure(kind: .local, code: "not_sent", message: "\(context): no request was sent")))
        var signatures: [String] = []
        for attempt in 1...Self.maximumAttempts {
            do {
                try await limiter.acquire()
            } catch {
                outcome.result = .failure(
                    PollFailure(kind: .transport, code: "cancelled", message: "\(context): cancelled"))
                break
            }
            let remaining = Self.seconds(from: .now, to: deadline)
            guard remaining > 0.05 else {
                outcome.result = .failure(
                    PollFailure(
                        kind: .transport, code: "timeout",
                        message: "\(context): the poll's deadline passed before the request could start"))
                break
            }
            let timeout = min(requestTimeout, remaining)
            let sentAt = now()
            let (request, signature) = build(sentAt, timeout)
            signatures.append(signature)
            outcome.requests += 1
            let response: IncomingResponse
            do {
                response = try await transport.perform(request)
            } catch {
                outcome.result = .failure(Self.transportFailure(error, context: context))
                break
            }
            outcome.httpStatus = response.status
            let metadata = try? VolcengineJSON.decoder().decode(
                VolcengineMetadataEnvelope.self, from: Data(response.body))
            if let requestID = metadata?.responseMetadata?.requestId { outcome.requestID = requestID }
            let result =
                Self.failure(response, metadata: metadata, context: context, now: sentAt)
                .map { Result<Value, PollFailure>.failure($0) }
                ?? parse(response).mapError { failure in
                    var located = failure
                    located.message = "\(context): \(failure.message)"
                    return located
                }
            outcome.result = result
            guard case .failure(let failure) = result, Self.isRetryable(response.status, failure: failure) else {
                break
            }
            var wait = failure.retryAfter ?? retryDelay * pow(2, Double(attempt - 1))
            if failure.kind == .rateLimited {
                limiter.pause(for: wait)
                // Without Retry-After, the scheduler waits out the quota's window before the next poll.
                if failure.retryAfter == nil { outcome.result = .failure(failure.withRetryAfter(quotaWindow)) }
            }
            wait = max(wait, 0)
            guard attempt < Self.maximumAttempts, Self.seconds(from: .now, to: deadline) > wait + 0.1 else { break }
            do {
                try await EventLoopSleep.sleep(wait)
            } catch {
                break
            }
        }
        let redact = Redactor([configuration.accessKey.reveal(), configuration.secretKey.reveal()] + signatures)
        outcome.result = outcome.result.mapError { failure in
            var scrubbed = failure
            scrubbed.message = redact(failure.message)
            return scrubbed
        }
        return outcome
    }

    static func seconds(from start: ContinuousClock.Instant, to end: ContinuousClock.Instant) -> Double {
        let duration = start.duration(to: end)
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func isRetryable(_ status: Int, failure: PollFailure) -> Bool {
        failure.kind == .rateLimited || [500, 502, 503, 504].contains(status)
    }

    static func transportFailure(_ error: HTTPTransportError, context: String) -> PollFailure {
        return PollFailure(transport: error, context: context)
    }

    // MARK: - Parsing

    /// The failure an answer carries (a `ResponseMetadata.Error`, an HTTP error
    /// status, or a body that is not a Volcengine envelope), or nil when it is a success.
    static func failure(_ response: IncomingResponse, metadata: VolcengineMetadataEnvelope?, context: String, now: Date)
        -> PollFailure?
    {
        let retryAfter = response.retryAfter(now: now)
        if let error = metadata?.responseMetadata?.error {
            var failure = vendorFailure(error, status: response.status)
            failure.message = "\(context): \(failure.message)"
            failure.retryAfter = retryAfter
            return failure
        }
        guard (200..<300).contains(response.status) else {
            let excerpt = scrubURLs(response.bodyExcerpt())
            return PollFailure(
                kind: response.status == 429
                    ? .rateLimited : (response.status == 401 || response.status == 403 ? .authentication : .http),
                code: "http_\(response.status)",
                message: "\(context): HTTP \(response.status)" + (excerpt.isEmpty ? "" : ": \(excerpt)"),
                retryAfter: retryAfter)
        }
        guard metadata?.responseMetadata != nil else {
            let what = response.body.isEmpty ? "an empty body" : "a body that is not Volcengine JSON"
            return PollFailure(
                kind: .invalidResponse, code: "invalid_response", message: "\(context): Volcengine sent \(what)")
        }
        return nil
    }

    /// Maps `ResponseMetadata.Error` (`CodeN`, `Code`, `Message`) to a failure.
    static func vendorFailure(_ error: VolcengineMetadataEnvelope.ErrorBody, status: Int) -> PollFailure {
        let number = error.codeN?.value
        let name = error.code ?? ""
        let detail = scrubURLs(String((error.message ?? "no message").prefix(300)))
        let label = [name.isEmpty ? nil : name, number.map { "(\($0))" }].compactMap { $0 }.joined(separator: " ")
        var message = "Volcengine " + (label.isEmpty ? "error" : label) + ": " + detail
        let kind: PollFailure.Kind
        switch (number, name) {
        case ("100006", _), (_, "InvalidTimestamp"):
            kind = .authentication
            message += "; the request time was rejected: check the host clock"
        case ("100009", _), (_, "InvalidAccessKey"), ("100010", _), (_, "SignatureDoesNotMatch"),
            ("100003", _), (_, "MissingAuthenticationToken"), ("100005", _), (_, "MissingSignature"):
            kind = .authentication
            message += "; check access_key and secret_key"
        case ("100018", _), (_, "FlowLimitExceeded"):
            kind = .rateLimited
        default:
            kind = status == 429 ? .rateLimited : .vendor
        }
        return PollFailure(kind: kind, code: number ?? (name.isEmpty ? "http_\(status)" : name), message: message)
    }

    /// The `Result` of a success, as `Body`; a failure when the body is not `what` or has no `Result`.
    static func decodeResult<Body: Decodable>(_ response: IncomingResponse, as _: Body.Type, what: String) -> Result<
        Body, PollFailure
    > {
        let envelope: VolcengineResultEnvelope<Body>
        do {
            envelope = try VolcengineJSON.decoder().decode(
                VolcengineResultEnvelope<Body>.self, from: Data(response.body))
        } catch {
            return .failure(
                PollFailure(kind: .invalidResponse, code: "invalid_response", message: "Result is not \(what)"))
        }
        guard let result = envelope.result else {
            return .failure(
                PollFailure(kind: .invalidResponse, code: "missing_field", message: "the response has no Result"))
        }
        return .success(result)
    }

    /// Maps a `GetCustomViewingRestrictionInfoAPI` success to the activity's restrictions.
    static func parseRestrictions(_ response: IncomingResponse, activityID: Int64) -> Result<
        ActivityViewingRestrictions, PollFailure
    > {
        decodeResult(response, as: VolcengineRestrictionResult.self, what: "a viewing restriction").flatMap { result in
            if let answered = result.activityId?.value, answered != String(activityID) {
                return .failure(
                    PollFailure(
                        kind: .invalidResponse, code: "invalid_response",
                        message: "the answer is for activity \(answered.prefix(20))"))
            }
            let entries = (result.customViewingRestriction ?? []).map { entry in
                ViewingRestriction(
                    type: entry.viewingRestrictionType.flatMap { Int($0.value) },
                    customApp: nonEmpty(entry.customApp), customURL: nonEmpty(entry.customUrl),
                    errorRedirectURL: nonEmpty(entry.errorRedirectUrl),
                    secretFingerprint: nonEmpty(entry.secretKey).map(Secret.fingerprint(of:)))
            }
            return .success(
                ActivityViewingRestrictions(
                    activityID: activityID, mainButtonTitle: nonEmpty(result.mainViewingRestrictionButtonTitle),
                    subButtonTitle: nonEmpty(result.subViewingRestrictionButtonTitle),
                    entries: entries.sorted { ($0.type ?? Int.max) < ($1.type ?? Int.max) }))
        }
    }

    /// Maps a `GetDownloadLiveClient` success to the link (a secret).
    static func parseLink(_ response: IncomingResponse, kind: StartLinkKind) -> Result<StartLink, PollFailure> {
        decodeResult(response, as: VolcengineLinkResult.self, what: "a start link").flatMap { result in
            guard let url = nonEmpty(result.url) else {
                return .failure(
                    PollFailure(
                        kind: .invalidResponse, code: "missing_field", message: "the response has no Result.Url"))
            }
            let expireTime = result.expireTime.flatMap { Int64($0.value) }.flatMap { $0 > 0 ? $0 : nil }
            return .success(
                StartLink(
                    url: Secret(url), temporaryURL: nonEmpty(result.tmpUrl).map(Secret.init), expireTime: expireTime))
        }
    }

    static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }

    /// `text` with every `http://` or `https://` URL replaced by `<url>`: an
    /// error body from the link API must not carry a start link into a log.
    static func scrubURLs(_ text: String) -> String {
        guard text.contains("://") else { return text }
        var result = ""
        var remaining = Substring(text)
        while let range = remaining.range(of: "://") {
            var schemeStart = range.lowerBound
            while schemeStart > remaining.startIndex {
                let previous = remaining.index(before: schemeStart)
                guard remaining[previous].isLetter else { break }
                schemeStart = previous
            }
            result += remaining[remaining.startIndex..<schemeStart]
            var end = range.upperBound
            while end < remaining.endIndex, !remaining[end].isWhitespace, !"\"'<>".contains(remaining[end]) {
                end = remaining.index(after: end)
            }
            result += "<url>"
            remaining = remaining[end...]
        }
        return result + remaining
    }
}

extension PollFailure {
    /// The same failure asking the scheduler to wait at least `seconds`.
    func withRetryAfter(_ seconds: Double) -> PollFailure {
        var copy = self
        copy.retryAfter = seconds
        return copy
    }
}
