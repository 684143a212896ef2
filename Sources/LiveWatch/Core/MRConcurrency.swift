import Foundation

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
