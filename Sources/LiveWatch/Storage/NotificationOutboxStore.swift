import Foundation
import SQLite

/// The notification outbox as the sender works it: every call is one short transaction of its own
/// on the daemon's store (`NotificationOutbox` holds the SQL), so polls never wait on a receiver.
public struct NotificationOutboxStore: Sendable {
    /// The daemon's store.
    public let store: Store

    /// The outbox in `store`.
    public init(store: Store) {
        self.store = store
    }

    /// Claims the oldest row of `notifier` if it is due at `now`, leasing it for `lease` seconds.
    public func claimHead(notifier: String, now: Date, lease: Double) async throws -> NotificationOutbox.Head {
        try await store.write { database in
            try NotificationOutbox.claimHead(notifier: notifier, now: now, lease: lease, in: database)
        }
    }

    /// The row was delivered: it leaves the outbox and is counted.
    public func markDelivered(_ row: NotificationOutbox.Row, at now: Date) async throws {
        try await store.write { database in try NotificationOutbox.markDelivered(row, at: now, in: database) }
    }

    /// The attempt failed: the row waits until `retryAt`.
    public func markFailed(_ row: NotificationOutbox.Row, error: String, retryAt: Date, at now: Date) async throws {
        try await store.write { database in
            try NotificationOutbox.markFailed(row, error: error, retryAt: retryAt, at: now, in: database)
        }
    }

    /// The row is given up: it leaves the outbox and is counted.
    public func giveUp(_ row: NotificationOutbox.Row, error: String, at now: Date) async throws {
        try await store.write { database in try NotificationOutbox.giveUp(row, error: error, at: now, in: database) }
    }

    /// An interrupted attempt: the row is due again at once, the attempt not counted.
    public func release(_ row: NotificationOutbox.Row, at now: Date) async throws {
        try await store.write { database in try NotificationOutbox.release(row, at: now, in: database) }
    }

    /// Drops the rows of notifiers no longer configured; returns how many per notifier.
    public func dropRows(notConfigured configured: Set<String>, at now: Date) async throws -> [String: Int] {
        try await store.write { database in
            try NotificationOutbox.dropRows(notConfigured: configured, at: now, in: database)
        }
    }

    /// The firing alerts `notifier` was told about, as notifications (for Alertmanager's re-sends).
    public func firing(toldTo notifier: String) async throws -> [AlertNotification] {
        try await store.access { database in try NotificationOutbox.firing(toldTo: notifier, in: database) }
    }
}
