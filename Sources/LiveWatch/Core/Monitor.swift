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

/// A monitor of one vendor's account: its name and vendor come from that vendor's configuration.
public protocol VendorMonitor: Monitor {
    associatedtype Configuration: VendorMonitorConfiguration
    /// The monitor's configuration.
    var configuration: Configuration { get }
}

extension VendorMonitor {
    /// The monitor's unique name, from its configuration.
    public var name: String { configuration.name }
    /// The vendor's short name (`polls.vendor`).
    public var vendor: String { Configuration.vendor }
}
