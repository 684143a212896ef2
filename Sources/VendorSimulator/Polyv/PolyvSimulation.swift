import Foundation
import Synchronization
import VendorSigning

/// Polyv's `GET /live/v4/user/mr/concurrency-detail/get`, with its signature
/// and 3-minute timestamp window verified, and a scriptable account.
public final class PolyvSimulation: SimulatedAPI {
    /// The path this API answers.
    public static let path = "/live/v4/user/mr/concurrency-detail/get"

    /// Counters of what arrived.
    public struct Counters: Sendable, Equatable {
        public var requests = 0
        public var accepted = 0
        public var rejectedSignature = 0
        public var rejectedTimestamp = 0
        public var rejectedApplication = 0
    }

    private struct Account {
        var secret: String
        var total: Int
        var used: Int
        var channels: [String]
    }

    private struct State {
        var accounts: [String: Account] = [:]
        var counters = Counters()
        var lastQuery: String?
    }

    private let state = Mutex(State())
    /// Faults to apply to the next requests.
    public let faults = FaultScript()
    let clock: @Sendable () -> Date

    public init(clock: @escaping @Sendable () -> Date = Date.init) {
        self.clock = clock
    }

    /// Adds (or replaces) an application with `total` concurrency, `used` of it in use.
    public func addApplication(appID: String, secret: String, total: Int, used: Int = 0) {
        state.withLock { state in
            state.accounts[appID] = Account(
                secret: secret, total: total, used: used, channels: Self.channels(count: used))
        }
    }

    /// Sets how much concurrency is in use (clamped to 0...total); channels follow.
    public func setUsed(appID: String, used: Int) {
        state.withLock { state in
            guard var account = state.accounts[appID] else { return }
            account.used = max(0, min(account.total, used))
            account.channels = Self.channels(count: account.used)
            state.accounts[appID] = account
        }
    }

    /// Sets the residual directly (used = total - residual).
    public func setResidual(appID: String, residual: Int) {
        let total = state.withLock { $0.accounts[appID]?.total ?? 0 }
        setUsed(appID: appID, used: total - residual)
    }

    /// The current residual of an application.
    public func residual(appID: String) -> Int? {
        state.withLock { state in state.accounts[appID].map { $0.total - $0.used } }
    }

    /// What has arrived so far.
    public var counters: Counters { state.withLock { $0.counters } }

    /// The raw query of the last request (to check what a client sent).
    public var lastQuery: String? { state.withLock { $0.lastQuery } }

    static func channels(count: Int) -> [String] {
        (0..<min(count, 100)).map { String(3_265_597 + $0) }
    }

    public func matches(_ request: SimulatedRequest) -> Bool {
        request.path == Self.path
    }

    public func handle(_ request: SimulatedRequest) -> SimulatedResponse {
        state.withLock { state in
            state.counters.requests += 1
            state.lastQuery = request.rawQuery
        }
        let normal = answer(request)
        if let fault = faults.next() {
            return fault.response(normal: normal)
        }
        return normal
    }

    private func answer(_ request: SimulatedRequest) -> SimulatedResponse {
        let requestID = UUID().uuidString.lowercased()
        guard request.method == "GET" else {
            return Self.error(405, code: 405, desc: "method not allowed.", requestID: requestID)
        }
        guard let appID = request.query("appId"), !appID.isEmpty else {
            return Self.error(400, code: 20000, desc: "appId is required.", requestID: requestID)
        }
        guard let account = state.withLock({ $0.accounts[appID] }) else {
            state.withLock { $0.counters.rejectedApplication += 1 }
            return Self.error(400, code: 20001, desc: "application not found.", requestID: requestID)
        }
        let nowMilliseconds = Int64(clock().timeIntervalSince1970 * 1_000)
        guard let timestampText = request.query("timestamp"), timestampText.count == 13,
            let timestamp = Int64(timestampText), abs(nowMilliseconds - timestamp) <= 180_000
        else {
            state.withLock { $0.counters.rejectedTimestamp += 1 }
            return Self.error(400, code: 20003, desc: "invalid timestamp.", requestID: requestID)
        }
        var parameters: [String: String] = [:]
        for (name, value) in request.queryItems where name != "sign" {
            parameters[name] = value
        }
        let expected = PolyvSigner.sign(parameters, appSecret: account.secret)
        guard let sign = request.query("sign"), sign == expected else {
            state.withLock { $0.counters.rejectedSignature += 1 }
            return Self.error(403, code: 20004, desc: "invalid signature.", requestID: requestID)
        }
        state.withLock { $0.counters.accepted += 1 }
        let channels = account.channels.map { "\"\($0)\"" }.joined(separator: ",")
        return .json(
            200,
            """
            {"code":200,"status":"success","requestId":"\(requestID)","data":{"mrLiveConcurrency":\(account.total),\
            "usedCount":\(account.used),"residualConcurrency":\(account.total - account.used),"channelIds":[\(channels)]},\
            "success":true}
            """)
    }

    static func error(_ status: Int, code: Int, desc: String, requestID: String) -> SimulatedResponse {
        .json(
            status,
            """
            {"code":\(status),"status":"error","requestId":"\(requestID)","error":{"code":\(code),"desc":"\(desc)"},"success":false}
            """)
    }
}
