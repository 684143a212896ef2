import Crypto
import Foundation
import Synchronization
import VendorSigning

/// Volcengine livesaas on loopback: `GetCustomViewingRestrictionInfoAPI`
/// (GET, 2020-06-01) and `GetDownloadLiveClient` (POST JSON, 2023-08-01) at
/// `/?Action=...&Version=...`.
///
/// Like the OpenAPI gateway it checks the V4 `Authorization` (access key,
/// scope, signed headers, body hash, signature), the `X-Date` window, each
/// action's method and version, and the documented per-user rate limits
/// (120 restriction requests per minute, 10 link requests per second), and
/// answers errors as `ResponseMetadata.Error` (`CodeN`, `Code`, `Message`).
/// Restrictions and links can be changed between polls.
public final class VolcengineSimulation: SimulatedAPI {
    /// The signing region the simulator expects.
    public let region: String
    /// Largest accepted difference between `X-Date` and the simulator's clock, in seconds.
    /// (Volcengine does not document its window; 15 minutes is the AWS V4 convention it follows.)
    public static let allowedSkew: Double = 900

    /// Counters of what arrived.
    public struct Counters: Sendable, Equatable {
        /// Requests received.
        public var requests = 0
        /// Requests answered normally (a scripted fault may still have replaced the answer).
        public var accepted = 0
        /// Restriction requests answered normally.
        public var acceptedRestrictions = 0
        /// Link requests answered normally.
        public var acceptedLinks = 0
        /// Rejected with 100003, 100005 or 100010.
        public var rejectedSignature = 0
        /// Rejected with 100004 or 100006.
        public var rejectedTimestamp = 0
        /// Rejected with 100009.
        public var rejectedAccessKey = 0
        /// Rejected with HTTP 429 `FlowLimitExceeded`.
        public var rejectedRateLimit = 0
        /// Wrong method, version, parameter or activity.
        public var rejectedRequest = 0
    }

    /// One `CustomViewingRestriction` entry.
    public struct Restriction: Sendable, Equatable {
        /// 1 main, 2 secondary.
        public var type: Int
        /// `CustomApp`.
        public var customApp: String
        /// `CustomUrl`.
        public var customURL: String
        /// `SecretKey`.
        public var secretKey: String
        /// `ErrorRedirectUrl`.
        public var errorRedirectURL: String

        /// Creates an entry.
        public init(type: Int, customApp: String, customURL: String, secretKey: String, errorRedirectURL: String) {
            self.type = type
            self.customApp = customApp
            self.customURL = customURL
            self.secretKey = secretKey
            self.errorRedirectURL = errorRedirectURL
        }

        /// A plausible restriction of `type` with a fresh random SecretKey.
        public static func sample(type: Int = 1) -> Restriction {
            Restriction(
                type: type, customApp: "sso-app-\(type)", customURL: "https://sso.example.com/login/\(type)",
                secretKey: VolcengineSimulation.randomToken(), errorRedirectURL: "https://www.example.com/denied")
        }
    }

    /// The host's start links of one activity.
    public struct HostLink: Sendable, Equatable {
        /// The permanent `Url`.
        public var url: String
        /// `TmpUrl`.
        public var temporaryURL: String
        /// `ExpireTime` of `TmpUrl`, unix seconds.
        public var expireTime: Int64
    }

    private struct Activity {
        var restrictions: [Restriction]
        var mainButtonTitle: String
        var subButtonTitle: String
        var hostLink: HostLink
        var guestLinks: [String: String]
    }

    private struct State {
        var accounts: [String: String] = [:]
        var activities: [Int64: Activity] = [:]
        var counters = Counters()
        var arrivals: [String: [Date]] = [:]
        var buckets: [String: (tokens: Double, updated: Date)] = [:]
        var enforcesRateLimits = true
        var signatures: [String] = []
    }

    private let state = Mutex(State())
    /// Faults applied to the next `GetCustomViewingRestrictionInfoAPI` requests.
    public let faults = FaultScript()
    /// Faults applied to the next `GetDownloadLiveClient` requests.
    public let linkFaults = FaultScript()
    let clock: @Sendable () -> Date

    /// - Parameter clock: the simulator's idea of now (for `X-Date` and `ExpireTime`); rate windows use real time.
    public init(region: String = "cn-north-1", clock: @escaping @Sendable () -> Date = Date.init) {
        self.region = region
        self.clock = clock
    }

    // MARK: - Scripting

    /// Adds (or replaces) an access key pair.
    public func addAccount(accessKey: String, secretKey: String) {
        state.withLock { $0.accounts[accessKey] = secretKey }
    }

    /// Adds (or replaces) an activity with `restrictions` and a host link whose temporary URL expires in `linkExpiresIn` seconds.
    public func addActivity(
        _ activityID: Int64, restrictions: [Restriction] = [.sample()], linkExpiresIn: Double = 86_400
    ) {
        let expireTime = Int64(clock().timeIntervalSince1970 + linkExpiresIn)
        let activity = Activity(
            restrictions: restrictions, mainButtonTitle: "Company login", subButtonTitle: "Partner login",
            hostLink: HostLink(
                url: Self.linkURL(), temporaryURL: Self.linkURL(temporary: true), expireTime: expireTime),
            guestLinks: [:])
        state.withLock { $0.activities[activityID] = activity }
    }

    /// Replaces an activity's restrictions (an empty list: it has none).
    public func setRestrictions(activityID: Int64, _ restrictions: [Restriction]) {
        state.withLock { $0.activities[activityID]?.restrictions = restrictions }
    }

    /// Changes the restriction of `type` in place.
    public func updateRestriction(activityID: Int64, type: Int, _ change: (inout Restriction) -> Void) {
        state.withLock { state in
            guard var activity = state.activities[activityID],
                let index = activity.restrictions.firstIndex(where: { $0.type == type })
            else { return }
            change(&activity.restrictions[index])
            state.activities[activityID] = activity
        }
    }

    /// Gives the restriction of `type` a new random SecretKey and returns it.
    @discardableResult
    public func rotateRestrictionSecret(activityID: Int64, type: Int = 1) -> String {
        let secret = Self.randomToken()
        updateRestriction(activityID: activityID, type: type) { $0.secretKey = secret }
        return secret
    }

    /// An activity's restrictions as they are now.
    public func restrictions(activityID: Int64) -> [Restriction] {
        state.withLock { $0.activities[activityID]?.restrictions ?? [] }
    }

    /// Issues a new temporary host link expiring `seconds` from now.
    public func renewTemporaryLink(activityID: Int64, expiresIn seconds: Double) {
        let expireTime = Int64(clock().timeIntervalSince1970 + seconds)
        state.withLock { state in
            state.activities[activityID]?.hostLink.temporaryURL = Self.linkURL(temporary: true)
            state.activities[activityID]?.hostLink.expireTime = expireTime
        }
    }

    /// Regenerates the host's permanent link (saved links stop working) and returns it.
    @discardableResult
    public func regenerateHostLink(activityID: Int64) -> String {
        let url = Self.linkURL()
        state.withLock { $0.activities[activityID]?.hostLink.url = url }
        return url
    }

    /// The host's links of an activity as they are now.
    public func hostLink(activityID: Int64) -> HostLink? {
        state.withLock { $0.activities[activityID]?.hostLink }
    }

    /// A guest's link, once it has been requested.
    public func guestLink(activityID: Int64, name: String) -> String? {
        state.withLock { $0.activities[activityID]?.guestLinks[name] }
    }

    /// Whether the documented rate limits are enforced with HTTP 429 (default true; benchmarks turn it off).
    public var enforcesRateLimits: Bool {
        get { state.withLock { $0.enforcesRateLimits } }
        set { state.withLock { $0.enforcesRateLimits = newValue } }
    }

    /// What has arrived so far.
    public var counters: Counters { state.withLock { $0.counters } }

    /// When each request of `action` arrived (real time), oldest first.
    public func arrivals(of action: String) -> [Date] {
        state.withLock { $0.arrivals[action] ?? [] }
    }

    /// Every `Signature=` value received, oldest first (tests search logs and files for them).
    public var receivedSignatures: [String] { state.withLock { $0.signatures } }

    /// A random hex token (64 characters), for SecretKeys and links.
    public static func randomToken() -> String {
        (UUID().uuidString + UUID().uuidString).replacingOccurrences(of: "-", with: "").lowercased()
    }

    static func linkURL(temporary: Bool = false) -> String {
        "https://live.volcengine.example/client/\(temporary ? "tmp" : "start")?token=\(randomToken())"
    }

    // MARK: - Serving

    static let actions: [String: (version: String, method: String, perWindow: Int, window: Double)] = [
        "GetCustomViewingRestrictionInfoAPI": ("2020-06-01", "GET", 120, 60),
        "GetDownloadLiveClient": ("2023-08-01", "POST", 10, 1),
    ]

    /// True for `/` with a known `Action`.
    public func matches(_ request: SimulatedRequest) -> Bool {
        request.path == "/" && request.query("Action").map { Self.actions[$0] != nil } == true
    }

    /// Verifies the request and answers it (or plays a scripted fault).
    public func handle(_ request: SimulatedRequest) -> SimulatedResponse {
        let action = request.query("Action") ?? ""
        state.withLock { state in
            state.counters.requests += 1
            state.arrivals[action, default: []].append(Date())
            if let signature = request.header("Authorization")?.components(separatedBy: "Signature=").last {
                state.signatures.append(signature)
            }
        }
        let normal = answer(request, action: action)
        let script = action == "GetDownloadLiveClient" ? linkFaults : faults
        if let fault = script.next() {
            return fault.response(normal: normal)
        }
        return normal
    }

    private func answer(_ request: SimulatedRequest, action: String) -> SimulatedResponse {
        let reply = Reply(action: action, version: request.query("Version") ?? "", region: region)
        let accessKey: String
        switch verify(request, reply: reply) {
        case .failure(let error): return error.response
        case .success(let key): accessKey = key
        }
        guard let spec = Self.actions[action], request.query("Version") == spec.version else {
            state.withLock { $0.counters.rejectedRequest += 1 }
            return reply.error(
                404, codeN: 100008, code: "InvalidActionOrVersion",
                message: "Could not find operation \(action) for version \(request.query("Version") ?? "").")
        }
        guard request.method == spec.method else {
            state.withLock { $0.counters.rejectedRequest += 1 }
            return reply.error(
                405, codeN: 100008, code: "InvalidActionOrVersion", message: "\(action) is \(spec.method) only.")
        }
        if let limited = throttle(accessKey: accessKey, action: action, spec: spec, reply: reply) { return limited }
        switch action {
        case "GetCustomViewingRestrictionInfoAPI": return restrictions(request, reply: reply)
        default: return link(request, reply: reply)
        }
    }

    /// The signature check; success carries the access key.
    private func verify(_ request: SimulatedRequest, reply: Reply) -> Result<String, ResponseError> {
        guard let authorization = request.header("Authorization"),
            authorization.hasPrefix(VolcengineSigner.algorithm + " ")
        else {
            state.withLock { $0.counters.rejectedSignature += 1 }
            return .failure(
                ResponseError(
                    reply.error(
                        401, codeN: 100003, code: "MissingAuthenticationToken",
                        message: "The request does not carry an Authorization header.")))
        }
        var fields: [String: String] = [:]
        for part in authorization.dropFirst(VolcengineSigner.algorithm.count + 1).split(separator: ",") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
        }
        guard let credential = fields["Credential"], let signedHeaders = fields["SignedHeaders"],
            let signature = fields["Signature"]
        else {
            state.withLock { $0.counters.rejectedSignature += 1 }
            return .failure(
                ResponseError(
                    reply.error(
                        401, codeN: 100005, code: "MissingSignature", message: "The Authorization header is incomplete."
                    )))
        }
        guard let xDate = request.header("X-Date"), let date = Self.parseXDate(xDate) else {
            state.withLock { $0.counters.rejectedTimestamp += 1 }
            return .failure(
                ResponseError(
                    reply.error(
                        400, codeN: 100004, code: "MissingRequestInfo", message: "X-Date is missing or malformed.")))
        }
        guard abs(date.timeIntervalSince(clock())) <= Self.allowedSkew else {
            state.withLock { $0.counters.rejectedTimestamp += 1 }
            return .failure(
                ResponseError(
                    reply.error(
                        403, codeN: 100006, code: "InvalidTimestamp",
                        message: "The request signature expired or is from the future.")))
        }
        let scope = credential.split(separator: "/").map(String.init)
        guard scope.count == 5, let secretKey = state.withLock({ $0.accounts[scope[0]] }) else {
            state.withLock { $0.counters.rejectedAccessKey += 1 }
            return .failure(
                ResponseError(
                    reply.error(401, codeN: 100009, code: "InvalidAccessKey", message: "The access key is not valid.")))
        }
        let mismatch = ResponseError(
            reply.error(
                401, codeN: 100010, code: "SignatureDoesNotMatch",
                message: "The request signature does not conform to Volcengine standards."))
        let bodyHash = Self.hex(SHA256.hash(data: request.body))
        guard scope[1] == String(xDate.prefix(8)), scope[2] == region, scope[3] == "livesaas", scope[4] == "request",
            request.header("X-Content-Sha256") == bodyHash
        else {
            state.withLock { $0.counters.rejectedSignature += 1 }
            return .failure(mismatch)
        }
        // Recompute over what arrived: the signed headers the client named, the decoded query, the body.
        let named = Set(signedHeaders.split(separator: ";").map(String.init))
        let own: Set<String> = ["host", "x-date", "x-content-sha256"]
        let headers = request.headers.filter { named.contains($0.0.lowercased()) && !own.contains($0.0.lowercased()) }
        let signer = VolcengineSigner(accessKey: scope[0], secretKey: secretKey, region: region, service: "livesaas")
        let expected = signer.sign(
            method: request.method, host: request.header("Host") ?? "",
            path: request.path.removingPercentEncoding ?? request.path,
            query: request.queryItems, headers: headers, body: request.body, xDate: xDate)
        guard named.contains("host"), named.contains("x-date"), expected.signedHeaders == signedHeaders,
            expected.signature == signature
        else {
            state.withLock { $0.counters.rejectedSignature += 1 }
            return .failure(mismatch)
        }
        return .success(scope[0])
    }

    /// HTTP 429 `FlowLimitExceeded` when this key has used the action's quota: a
    /// token bucket per key and action holding `perWindow` tokens, refilled at
    /// `perWindow / window` per second of real time (so network jitter that
    /// bunches a few arrivals is tolerated, a sustained excess is not).
    private func throttle(
        accessKey: String, action: String, spec: (version: String, method: String, perWindow: Int, window: Double),
        reply: Reply
    ) -> SimulatedResponse? {
        let now = Date()
        let limited: Bool = state.withLock { state in
            guard state.enforcesRateLimits else { return false }
            let key = accessKey + "/" + action
            let capacity = Double(spec.perWindow)
            var bucket = state.buckets[key] ?? (tokens: capacity, updated: now)
            bucket.tokens = min(
                capacity, bucket.tokens + now.timeIntervalSince(bucket.updated) * capacity / spec.window)
            bucket.updated = now
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 } else { state.counters.rejectedRateLimit += 1 }
            state.buckets[key] = bucket
            return !allowed
        }
        guard limited else { return nil }
        return reply.error(
            429, codeN: 100018, code: "FlowLimitExceeded", message: "Request was denied due to request throttling.")
    }

    private func restrictions(_ request: SimulatedRequest, reply: Reply) -> SimulatedResponse {
        let selection = Int(request.query("ViewingRestriction") ?? "0") ?? -1
        guard let activityText = request.query("ActivityId"), let activityID = Int64(activityText),
            (0...2).contains(selection)
        else {
            state.withLock { $0.counters.rejectedRequest += 1 }
            return reply.error(
                400, codeN: 100002, code: "MissingParameter",
                message: "ActivityId and ViewingRestriction (0, 1 or 2) are required.")
        }
        guard let activity = state.withLock({ $0.activities[activityID] }) else {
            state.withLock { $0.counters.rejectedRequest += 1 }
            return reply.error(
                400, codeN: 10001, code: "InvalidParameter.ActivityId", message: "The activity does not exist.")
        }
        state.withLock { state in
            state.counters.accepted += 1
            state.counters.acceptedRestrictions += 1
        }
        let entries: [[String: Any]] = activity.restrictions
            .filter { selection == 0 || $0.type == selection }
            .map { entry in
                [
                    "ViewingRestrictionType": entry.type, "CustomApp": entry.customApp, "CustomUrl": entry.customURL,
                    "SecretKey": entry.secretKey, "ErrorRedirectUrl": entry.errorRedirectURL,
                ]
            }
        return reply.result([
            "ActivityId": activityID, "CustomViewingRestriction": entries,
            "MainViewingRestrictionButtonTitle": activity.mainButtonTitle,
            "SubViewingRestrictionButtonTitle": activity.subButtonTitle,
        ])
    }

    private func link(_ request: SimulatedRequest, reply: Reply) -> SimulatedResponse {
        guard request.header("Content-Type")?.lowercased().hasPrefix("application/json") == true,
            let body = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any],
            let activityID = Self.integer(body["ActivityId"])
        else {
            state.withLock { $0.counters.rejectedRequest += 1 }
            return reply.error(
                400, codeN: 100002, code: "MissingParameter", message: "A JSON body with ActivityId is required.")
        }
        let loginType = Self.integer(body["LoginType"]) ?? 0
        let userName = body["UserName"] as? String
        guard loginType == 0 || (loginType == 1 && userName.map { (1...15).contains($0.count) } == true) else {
            state.withLock { $0.counters.rejectedRequest += 1 }
            return reply.error(
                400, codeN: 10001, code: "InvalidParameter.UserName",
                message: "LoginType 1 needs a UserName of 1 to 15 characters.")
        }
        let found: (HostLink, String?)? = state.withLock { state in
            guard var activity = state.activities[activityID] else { return nil }
            var guestURL: String?
            if loginType == 1, let userName {
                guestURL = activity.guestLinks[userName] ?? Self.linkURL()
                activity.guestLinks[userName] = guestURL
                state.activities[activityID] = activity
            }
            state.counters.accepted += 1
            state.counters.acceptedLinks += 1
            return (activity.hostLink, guestURL)
        }
        guard let (host, guest) = found else {
            state.withLock { $0.counters.rejectedRequest += 1 }
            return reply.error(
                400, codeN: 10001, code: "InvalidParameter.ActivityId", message: "The activity does not exist.")
        }
        if let guest {
            // TmpUrl is only for LoginType 0: a guest gets an empty one and no expiry.
            return reply.result(["Url": guest, "TmpUrl": "", "ExpireTime": 0])
        }
        return reply.result(["Url": host.url, "TmpUrl": host.temporaryURL, "ExpireTime": host.expireTime])
    }

    /// A JSON number as an integer, whatever type `JSONSerialization` chose for it.
    static func integer(_ value: Any?) -> Int64? {
        switch value {
        case let number as Int: return Int64(number)
        case let number as Int64: return number
        case let number as NSNumber: return number.int64Value
        default: return nil
        }
    }

    static func parseXDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        guard text.count == 16 else { return nil }
        return formatter.date(from: text)
    }

    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// A simulated response carried as an error.
    struct ResponseError: Error {
        let response: SimulatedResponse
        init(_ response: SimulatedResponse) { self.response = response }
    }

    /// Builds envelopes for one request.
    struct Reply {
        let action: String
        let version: String
        let region: String
        let requestID = UUID().uuidString.replacingOccurrences(of: "-", with: "").uppercased()

        func metadata() -> [String: Any] {
            ["RequestId": requestID, "Action": action, "Version": version, "Service": "livesaas", "Region": region]
        }

        func result(_ result: [String: Any]) -> SimulatedResponse {
            json(200, ["ResponseMetadata": metadata(), "Result": result])
        }

        func error(_ status: Int, codeN: Int, code: String, message: String) -> SimulatedResponse {
            var metadata = metadata()
            metadata["Error"] = ["CodeN": codeN, "Code": code, "Message": message]
            return json(status, ["ResponseMetadata": metadata])
        }

        func json(_ status: Int, _ object: [String: Any]) -> SimulatedResponse {
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
            return .reply(
                status: status, headers: [("Content-Type", "application/json; charset=utf-8")], body: Array(data))
        }
    }
}
