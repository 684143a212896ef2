import Foundation

/// A vendor monitor: it knows how to poll one account and what it observed.
/// It knows nothing of storage or alerting.
public protocol Monitor: Sendable {
    /// The monitor's unique name.
    var name: String { get }
    /// The vendor's short name (`polls.vendor`).
    var vendor: String { get }
    /// Polls once. Failures are returned as data inside the report, never thrown.
    func poll(deadline: Double) async -> PollReport
}

/// What one poll produced: its timing, request count and either an observation or a failure.
public struct PollReport: Sendable {
    public var monitor: String
    public var vendor: String
    public var startedAt: Date
    public var finishedAt: Date
    /// HTTP requests made, retries included.
    public var requests: Int
    /// The last HTTP status seen, if any.
    public var httpStatus: Int?
    /// The vendor's request id, if it sent one.
    public var requestID: String?
    public var outcome: PollOutcome

    public init(
        monitor: String, vendor: String, startedAt: Date, finishedAt: Date, requests: Int,
        httpStatus: Int?, requestID: String?, outcome: PollOutcome
    ) {
        self.monitor = monitor
        self.vendor = vendor
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.requests = requests
        self.httpStatus = httpStatus
        self.requestID = requestID
        self.outcome = outcome
    }

    /// True when the poll observed something.
    public var succeeded: Bool {
        if case .observed = outcome { return true }
        return false
    }

    /// Things observed (1 for Polyv), 0 on failure.
    public var items: Int {
        if case .observed(let observation) = outcome { return observation.itemCount }
        return 0
    }

    /// The failure, if the poll failed.
    public var failure: PollFailure? {
        if case .failed(let failure) = outcome { return failure }
        return nil
    }
}

/// The result of a poll.
public enum PollOutcome: Sendable {
    case observed(Observation)
    case failed(PollFailure)
}

/// What a successful poll saw, per vendor.
public enum Observation: Sendable {
    case mrConcurrency(MRConcurrency)
    /// A Tencent Cloud Chat live room list, crawled to its end.
    case liveRooms(LiveRoomList)

    /// Volcengine livesaas: viewing restrictions and start links of the watched activities.
    case volcengine(VolcengineObservation)

    /// Huawei MetaStudio: every live platform of a project.
    case livePlatforms(LivePlatformListing)

    /// Number of things observed.
    public var itemCount: Int {
        switch self {
        case .mrConcurrency: return 1
        case .liveRooms(let list): return list.rooms.count

        case .volcengine(let observation): return observation.activityCount

        case .livePlatforms(let listing): return listing.platforms.count
        }
    }
}

/// Polyv MR concurrency at one moment.
public struct MRConcurrency: Sendable, Equatable {
    public var total: Int
    public var used: Int
    public var residual: Int
    /// Channels holding concurrency (the vendor returns the first 100).
    public var channelIDs: [String]

    public init(total: Int, used: Int, residual: Int, channelIDs: [String]) {
        self.total = total
        self.used = used
        self.residual = residual
        self.channelIDs = channelIDs
    }
}

/// Why a poll failed, as recorded in `polls`. Messages never hold a secret.
public struct PollFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// Broad class of failure, which drives retry behaviour.
    public enum Kind: String, Sendable {
        /// No response: connection, timeout, body too large.
        case transport
        /// An HTTP error status without a vendor error in the body.
        case http
        /// The vendor answered with its own error code.
        case vendor
        /// The vendor rejected our credentials or signature.
        case authentication
        /// The vendor asked us to slow down.
        case rateLimited
        /// The body could not be understood (HTML, truncated JSON, missing fields).
        case invalidResponse
        /// Local failure (storage, configuration).
        case local
    }

    public var kind: Kind
    /// The vendor's error code (`polls.error_code`), or a short local code.
    public var code: String?
    public var message: String
    /// How long the vendor asked us to wait, if it did.
    public var retryAfter: Double?

    /// The failure of an exchange that got no response; `context` (if any) starts the message.
    public init(transport error: HTTPTransportError, context: String? = nil) {
        let message = context.map { "\($0): \(error.description)" } ?? error.description
        self.init(kind: .transport, code: error.code, message: message)
    }

    public init(kind: Kind, code: String? = nil, message: String, retryAfter: Double? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String {
        if let code { return "\(kind.rawValue) error \(code): \(message)" }
        return "\(kind.rawValue) error: \(message)"
    }
}
