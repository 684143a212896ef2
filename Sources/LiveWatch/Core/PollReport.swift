import Foundation

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
