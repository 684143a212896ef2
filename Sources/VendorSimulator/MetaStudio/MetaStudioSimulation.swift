import Foundation
import Synchronization
import VendorSigning

/// Huawei MetaStudio's `GET /v1/{project_id}/live-platforms/platforms` behind
/// a simulated API gateway: IAM tokens (`X-Auth-Token`) and AK/SK
/// `SDK-HMAC-SHA256` signatures are verified as the gateway does (the 15-minute
/// `X-Sdk-Date` window, the AK lock after more than 5 consecutive failures),
/// `offset`/`limit`/`access_type` page the project's platforms, and expiries
/// are rendered relative to the simulator's clock at each request.
public final class MetaStudioSimulation: SimulatedAPI {
    /// How a platform's `authorized_time` / `expire_time` is written.
    public enum TimeFormat: Sendable, Equatable {
        /// `2026-11-22T14:00:00Z`
        case rfc3339
        /// `2026-11-22T22:00:00.250+08:00`: fractional seconds and an offset (seconds east of UTC).
        case rfc3339Offset(seconds: Int)
        /// `2026-11-22 14:00:00`, without a zone, written in this zone.
        case dateTime(TimeZone)
        /// Unix seconds, as a JSON string.
        case unixSeconds
        /// Unix milliseconds, as a JSON string.
        case unixMilliseconds
        /// This exact text, whatever the time (to serve garbage).
        case literal(String)
    }

    /// One callback configuration (`StandardPlatformApiConfig`).
    public struct Callback: Sendable, Equatable {
        /// `PRODUCT_QUERY` or `LIVE_EVENT_CALLBACK`.
        public var apiType: String
        /// The callback URL.
        public var url: String

        public init(apiType: String, url: String) {
            self.apiType = apiType
            self.url = url
        }
    }

    /// One live platform of a project.
    public struct Platform: Sendable, Equatable {
        /// `platform_id`.
        public var id: String
        /// `name`.
        public var name: String
        /// `MSS_STANDARD` or `MEITUAN_OFFICIAL`.
        public var accessType: String
        /// `AUTHORIZED`, `UNAUTHORIZED`; nil leaves `authorization_info` out.
        public var state: String?
        /// Seconds from now to the expiry (negative: expired); nil leaves `expire_time` out.
        public var expiresIn: Double?
        /// Seconds since the authorization; nil leaves `authorized_time` out.
        public var authorizedAgo: Double?
        /// How both times are written.
        public var timeFormat: TimeFormat
        /// `authorization_info.account`.
        public var account: String?
        /// `auth_config.key`: a secret the client must never store.
        public var authKey: String?
        /// `callback_config`.
        public var callbacks: [Callback]

        public init(
            id: String, name: String, accessType: String = "MSS_STANDARD", state: String? = "AUTHORIZED",
            expiresIn: Double? = 90 * 86_400, authorizedAgo: Double? = 30 * 86_400, timeFormat: TimeFormat = .rfc3339,
            account: String? = nil, authKey: String? = nil, callbacks: [Callback] = []
        ) {
            self.id = id
            self.name = name
            self.accessType = accessType
            self.state = state
            self.expiresIn = expiresIn
            self.authorizedAgo = authorizedAgo
            self.timeFormat = timeFormat
            self.account = account
            self.authKey = authKey
            self.callbacks = callbacks
        }
    }

    /// Counters of what arrived and how it was judged.
    public struct Counters: Sendable, Equatable {
        /// Every request that reached this API.
        public var requests = 0
        /// Listings answered (any authentication).
        public var accepted = 0
        /// Listings answered to a verified AK/SK signature.
        public var acceptedSigned = 0
        /// Listings answered to a known token.
        public var acceptedToken = 0
        /// AK/SK requests whose signature did not verify (wrong SK, wrong canonical form).
        public var rejectedSignature = 0
        /// AK/SK requests with an AK the gateway does not know.
        public var rejectedUnknownKey = 0
        /// Requests with an unknown token.
        public var rejectedToken = 0
        /// `X-Sdk-Date` more than 15 minutes from the simulator's clock.
        public var rejectedClockSkew = 0
        /// Requests refused because the AK was locked.
        public var rejectedLocked = 0
        /// Requests with neither a token nor an `Authorization` header.
        public var rejectedMissingAuthentication = 0
        /// Requests with a bad project, offset, limit or access_type.
        public var rejectedParameters = 0
        /// Requests answered with HTTP 429 `APIG.0308`.
        public var throttled = 0

        public init() {}
    }

    private struct KeyState {
        var secret: String
        var consecutiveFailures = 0
        var lockedUntil: Date?
    }

    private struct State {
        var projects: [String: [Platform]] = [:]
        var keys: [String: KeyState] = [:]
        var tokens: Set<String> = []
        var counters = Counters()
        var lastQuery: String?
        var lastSignedHeaders: String?
        var lastSignature: String?
        var throttleNext = 0
        var neverEnding = false
        var ignoresOffset = false
    }

    /// The gateway's `X-Sdk-Date` tolerance.
    public static let clockSkewWindow: Double = 15 * 60
    /// How long an AK stays locked after more than 5 consecutive failures.
    public static let lockDuration: Double = 5 * 60

    private let state = Mutex(State())
    /// Generic faults (500, HTML, truncated JSON, ...) for the next requests.
    public let faults = FaultScript()
    let clock: @Sendable () -> Date

    public init(clock: @escaping @Sendable () -> Date = Date.init) {
        self.clock = clock
    }

    // MARK: Configuring

    /// Creates (or empties) a project.
    public func addProject(_ projectID: String, platforms: [Platform] = []) {
        state.withLock { $0.projects[projectID] = platforms }
    }

    /// Accepts AK/SK signatures made with this pair (replacing the SK of a known AK).
    public func addAccessKey(_ accessKey: String, secretKey: String) {
        state.withLock { $0.keys[accessKey] = KeyState(secret: secretKey) }
    }

    /// Accepts this IAM token.
    public func addToken(_ token: String) {
        state.withLock { _ = $0.tokens.insert(token) }
    }

    /// Stops accepting this IAM token (it expired or was revoked).
    public func removeToken(_ token: String) {
        state.withLock { _ = $0.tokens.remove(token) }
    }

    /// Replaces a project's platforms.
    public func setPlatforms(_ platforms: [Platform], project: String) {
        state.withLock { $0.projects[project] = platforms }
    }

    /// Appends `count` authorized platforms `p-0001`... expiring in 90 days, each with an auth key and an HTTPS callback.
    public func addPlatforms(count: Int, project: String, prefix: String = "p-") {
        state.withLock { state in
            var platforms = state.projects[project] ?? []
            let start = platforms.count
            for index in start..<(start + max(0, count)) {
                let id = prefix + String(format: "%04d", index + 1)
                platforms.append(
                    Platform(
                        id: id, name: "Platform \(index + 1)", authKey: "auth-key-\(id)-\(UUID().uuidString.prefix(8))",
                        callbacks: [
                            Callback(apiType: "LIVE_EVENT_CALLBACK", url: "https://live.example.com/callbacks/\(id)")
                        ]))
            }
            state.projects[project] = platforms
        }
    }

    /// Changes one platform in place; false when there is no such platform.
    @discardableResult
    public func update(_ platformID: String, project: String, _ change: (inout Platform) -> Void) -> Bool {
        state.withLock { state in
            guard var platforms = state.projects[project],
                let index = platforms.firstIndex(where: { $0.id == platformID })
            else { return false }
            change(&platforms[index])
            state.projects[project] = platforms
            return true
        }
    }

    /// Removes one platform from the listing.
    public func removePlatform(_ platformID: String, project: String) {
        state.withLock { state in state.projects[project]?.removeAll { $0.id == platformID } }
    }

    /// A project's platforms as configured.
    public func platforms(project: String) -> [Platform] {
        state.withLock { $0.projects[project] ?? [] }
    }

    /// The next `count` authenticated requests are throttled (HTTP 429, `APIG.0308`).
    public func throttle(count: Int) {
        state.withLock { $0.throttleNext += max(0, count) }
    }

    /// When true, every page is full of new platforms whatever the offset: a listing that never ends.
    public func setNeverEnding(_ value: Bool) {
        state.withLock { $0.neverEnding = value }
    }

    /// When true, `offset` is ignored: every request gets the first page again.
    public func setIgnoresOffset(_ value: Bool) {
        state.withLock { $0.ignoresOffset = value }
    }

    /// What has arrived so far.
    public var counters: Counters { state.withLock { $0.counters } }

    /// The raw query of the last request.
    public var lastQuery: String? { state.withLock { $0.lastQuery } }

    /// The `SignedHeaders` of the last AK/SK request.
    public var lastSignedHeaders: String? { state.withLock { $0.lastSignedHeaders } }

    /// The `Signature` of the last AK/SK request (for tests that search for leaks).
    public var lastSignature: String? { state.withLock { $0.lastSignature } }

    /// True while the AK is locked after too many failures.
    public func isLocked(_ accessKey: String) -> Bool {
        let now = clock()
        return state.withLock { state in state.keys[accessKey]?.lockedUntil.map { $0 > now } ?? false }
    }

    // MARK: Serving

    static let pathPrefix = "/v1/"
    static let pathSuffix = "/live-platforms/platforms"

    /// True for `GET /v1/{project_id}/live-platforms/platforms`.
    public func matches(_ request: SimulatedRequest) -> Bool {
        request.path.hasPrefix(Self.pathPrefix) && request.path.hasSuffix(Self.pathSuffix)
            && request.path.count > Self.pathPrefix.count + Self.pathSuffix.count
    }

    /// Authenticates, pages and answers like the gateway and MetaStudio would (or with a scripted fault).
    public func handle(_ request: SimulatedRequest) -> SimulatedResponse {
        state.withLock { state in
            state.counters.requests += 1
            state.lastQuery = request.rawQuery
        }
        let requestID = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let normal = answer(request, requestID: requestID)
        if let fault = faults.next() {
            return fault.response(normal: normal)
        }
        return normal
    }

    private func answer(_ request: SimulatedRequest, requestID: String) -> SimulatedResponse {
        let projectID = String(request.path.dropFirst(Self.pathPrefix.count).dropLast(Self.pathSuffix.count))
        guard request.method == "GET" else {
            return Self.error(405, "MSS.00000003", "Method not allowed", requestID: requestID)
        }
        if let rejection = authenticate(request, projectID: projectID, requestID: requestID) {
            return rejection
        }
        let throttled = state.withLock { state -> Bool in
            guard state.throttleNext > 0 else { return false }
            state.throttleNext -= 1
            state.counters.throttled += 1
            return true
        }
        if throttled {
            return Self.error(
                429, "APIG.0308",
                "The throttling threshold has been reached: policy user over ratelimit, limit:5, time:1 second",
                requestID: requestID)
        }
        let (platforms, neverEnding, ignoresOffset) = state.withLock {
            ($0.projects[projectID], $0.neverEnding, $0.ignoresOffset)
        }
        guard let platforms else {
            state.withLock { $0.counters.rejectedParameters += 1 }
            return Self.error(400, "MSS.00000003", "Invalid parameter: project_id", requestID: requestID)
        }
        let offsetText = request.query("offset") ?? "0"
        let limitText = request.query("limit") ?? "10"
        let accessType = request.query("access_type")
        guard let requestedOffset = Int(offsetText), (0...2_147_483_647).contains(requestedOffset),
            let limit = Int(limitText), (1...100).contains(limit),
            accessType.map({ ["MEITUAN_OFFICIAL", "MSS_STANDARD"].contains($0) }) ?? true
        else {
            state.withLock { $0.counters.rejectedParameters += 1 }
            return Self.error(400, "MSS.00000003", "Invalid parameter", requestID: requestID)
        }
        state.withLock { $0.counters.accepted += 1 }
        let offset = ignoresOffset ? 0 : requestedOffset
        let now = clock()
        let page: [Platform]
        if neverEnding {
            page = (0..<limit).map { Platform(id: "loop-\(offset + $0)", name: "Loop \(offset + $0)") }
        } else {
            let filtered = platforms.filter { accessType == nil || $0.accessType == accessType }
            page = offset < filtered.count ? Array(filtered[offset..<min(filtered.count, offset + limit)]) : []
        }
        let body: [String: Any] = ["live_platforms": page.map { Self.json($0, now: now) }]
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.withoutEscapingSlashes])) ?? Data()
        return .reply(
            status: 200, headers: [("Content-Type", "application/json;charset=UTF-8"), ("X-Request-Id", requestID)],
            body: Array(data))
    }

    /// Nil when the request is authenticated; otherwise the gateway's rejection.
    private func authenticate(_ request: SimulatedRequest, projectID: String, requestID: String) -> SimulatedResponse? {
        if let token = request.header("X-Auth-Token") {
            let known = state.withLock { state -> Bool in
                let known = state.tokens.contains(token)
                if known { state.counters.acceptedToken += 1 } else { state.counters.rejectedToken += 1 }
                return known
            }
            return known
                ? nil
                : Self.error(
                    401, "APIG.0301", "Incorrect IAM authentication information: decrypt token fail",
                    requestID: requestID)
        }
        guard let authorization = request.header("Authorization"), let parsed = Self.parseAuthorization(authorization)
        else {
            state.withLock { $0.counters.rejectedMissingAuthentication += 1 }
            return Self.error(
                401, "APIG.0301",
                "Incorrect IAM authentication information: Authorization header or X-Auth-Token missing",
                requestID: requestID)
        }
        state.withLock { state in
            state.lastSignedHeaders = parsed.signedHeaders
            state.lastSignature = parsed.signature
        }
        let now = clock()
        let key = state.withLock { $0.keys[parsed.accessKey] }
        guard let key else {
            state.withLock { $0.counters.rejectedUnknownKey += 1 }
            // The real gateway names the AK it did not find.
            return Self.error(
                401, "APIG.0301",
                "Incorrect IAM authentication information: Get secretKey failed,ak:\(parsed.accessKey),err:ak not exist",
                requestID: requestID)
        }
        if let lockedUntil = key.lockedUntil, lockedUntil > now {
            state.withLock { $0.counters.rejectedLocked += 1 }
            return Self.error(
                401, "APIG.0301",
                "Incorrect IAM authentication information: AK access failed to reach the limit,forbidden.",
                requestID: requestID)
        }
        let sdkDate = request.header("X-Sdk-Date") ?? ""
        guard let signedAt = Self.parseSDKDate(sdkDate), abs(signedAt.timeIntervalSince(now)) <= Self.clockSkewWindow
        else {
            recordFailure(accessKey: parsed.accessKey, now: now) { $0.rejectedClockSkew += 1 }
            return Self.error(
                401, "APIGW.0303",
                "Incorrect app authentication information: signature expired, signature time:\(sdkDate.prefix(20)),server time:\(HuaweiSigner.sdkDate(now))",
                requestID: requestID)
        }
        let names = parsed.signedHeaders.split(separator: ";").map(String.init)
        var headers: [(String, String)] = []
        var complete = names.contains("host") && names.contains("x-sdk-date") && names.contains("x-project-id")
        for name in names where name != "x-sdk-date" {
            guard let value = request.header(name) else {
                complete = false
                break
            }
            headers.append((name, value))
        }
        let projectHeader = request.header("X-Project-Id")
        var verified = false
        if complete, projectHeader == projectID {
            let expected = HuaweiSigner(accessKey: parsed.accessKey, secretKey: key.secret).sign(
                method: request.method, host: request.header("Host") ?? "", path: request.path,
                query: request.queryItems,
                headers: headers, body: request.body, sdkDate: sdkDate)
            verified = expected.signedHeaders == parsed.signedHeaders && expected.signature == parsed.signature
        }
        guard verified else {
            recordFailure(accessKey: parsed.accessKey, now: now) { $0.rejectedSignature += 1 }
            return Self.error(
                401, "APIG.0301", "Incorrect IAM authentication information: verify aksk signature fail",
                requestID: requestID)
        }
        state.withLock { state in
            state.keys[parsed.accessKey]?.consecutiveFailures = 0
            state.counters.acceptedSigned += 1
        }
        return nil
    }

    /// Counts a failed AK/SK authentication; more than 5 in a row lock the AK.
    private func recordFailure(accessKey: String, now: Date, count: (inout Counters) -> Void) {
        state.withLock { state in
            count(&state.counters)
            guard var key = state.keys[accessKey] else { return }
            key.consecutiveFailures += 1
            if key.consecutiveFailures > 5 {
                key.lockedUntil = now.addingTimeInterval(Self.lockDuration)
                key.consecutiveFailures = 0
            }
            state.keys[accessKey] = key
        }
    }

    static func parseAuthorization(_ value: String) -> (accessKey: String, signedHeaders: String, signature: String)? {
        let prefix = HuaweiSigner.algorithm + " "
        guard value.hasPrefix(prefix) else { return nil }
        var fields: [String: String] = [:]
        for part in value.dropFirst(prefix.count).split(separator: ",") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
        }
        guard let accessKey = fields["Access"], let signedHeaders = fields["SignedHeaders"],
            let signature = fields["Signature"]
        else { return nil }
        return (accessKey, signedHeaders, signature)
    }

    static func parseSDKDate(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? { Int(String(decoding: bytes[range], as: UTF8.self)) }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8), let hour = number(9..<11),
            let minute = number(11..<13), let second = number(13..<15)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        return calendar.date(
            from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))
    }

    static func json(_ platform: Platform, now: Date) -> [String: Any] {
        var object: [String: Any] = [
            "platform_id": platform.id, "name": platform.name, "access_type": platform.accessType,
        ]
        if let state = platform.state {
            var info: [String: Any] = ["authorize_state": state]
            if let expiresIn = platform.expiresIn {
                info["expire_time"] = render(now.addingTimeInterval(expiresIn), platform.timeFormat)
            }
            if let authorizedAgo = platform.authorizedAgo {
                info["authorized_time"] = render(now.addingTimeInterval(-authorizedAgo), platform.timeFormat)
            }
            if let account = platform.account { info["account"] = account }
            object["authorization_info"] = info
        }
        if let authKey = platform.authKey { object["auth_config"] = ["key": authKey] }
        if !platform.callbacks.isEmpty {
            object["callback_config"] = platform.callbacks.map { ["api_type": $0.apiType, "url": $0.url] }
        }
        return object
    }

    /// A time in one of the formats, whole seconds (plus 250 ms for the fractional format).
    public static func render(_ date: Date, _ format: TimeFormat) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        switch format {
        case .rfc3339:
            return civil(seconds, offset: 0) + "Z"
        case .rfc3339Offset(let offset):
            let sign = offset < 0 ? "-" : "+"
            let zone = sign + String(format: "%02d:%02d", abs(offset) / 3_600, abs(offset) % 3_600 / 60)
            return civil(seconds, offset: offset) + ".250" + zone
        case .dateTime(let zone):
            let offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: seconds))
            return civil(seconds, offset: offset).replacingOccurrences(of: "T", with: " ")
        case .unixSeconds:
            return String(Int64(seconds))
        case .unixMilliseconds:
            return String(Int64(seconds) * 1_000)
        case .literal(let text):
            return text
        }
    }

    /// `yyyy-MM-ddTHH:mm:ss` of Unix `seconds` shifted by `offset`.
    static func civil(_ seconds: Double, offset: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: offset) ?? calendar.timeZone
        let parts = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: seconds))
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d", parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1,
            parts.hour ?? 0,
            parts.minute ?? 0, parts.second ?? 0)
    }

    static func error(_ status: Int, _ code: String, _ message: String, requestID: String) -> SimulatedResponse {
        let body: [String: Any] = ["error_code": code, "error_msg": message, "request_id": requestID]
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.withoutEscapingSlashes])) ?? Data()
        return .reply(
            status: status, headers: [("Content-Type", "application/json;charset=UTF-8"), ("X-Request-Id", requestID)],
            body: Array(data))
    }
}
