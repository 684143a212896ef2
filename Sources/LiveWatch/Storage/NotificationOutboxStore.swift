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

    /// The oldest row of `notifier` (nil: nothing queued).
    public func oldest(notifier: String) async throws -> NotificationOutbox.Oldest? {
        try await store.access { database in try NotificationOutbox.oldest(notifier: notifier, in: database) }
    }

    /// Claims the rows of one message, as `choose` picks them from the due rows (see `NotificationOutbox.claim`).
    public func claim<Plan: Sendable>(
        notifier: String, now: Date, lease: Double, limit: Int,
        choose: @escaping @Sendable ([NotificationOutbox.Row]) -> (ids: [Int64], plan: Plan)
    ) async throws -> (rows: [NotificationOutbox.Row], plan: Plan)? {
        try await store.write { database in
            try NotificationOutbox.claim(
                notifier: notifier, now: now, lease: lease, limit: limit, in: database, choose: choose)
        }
    }

    /// The rows were delivered (one message): they leave the outbox and are counted.
    public func markDelivered(_ rows: [NotificationOutbox.Row], at now: Date) async throws {
        try await store.write { database in
            for row in rows { try NotificationOutbox.markDelivered(row, at: now, in: database) }
        }
    }

    /// The message holding `rows` failed: they wait until `retryAt` (each attempt counted), and so does
    /// every other due row of the notifier.
    public func markFailed(_ rows: [NotificationOutbox.Row], error: String, retryAt: Date, at now: Date) async throws {
        guard let notifier = rows.first?.notifier else { return }
        try await store.write { database in
            for row in rows {
                try NotificationOutbox.markFailed(row, error: error, retryAt: retryAt, at: now, in: database)
            }
            try NotificationOutbox.postponeDue(notifier: notifier, until: retryAt, now: now, in: database)
        }
    }

    /// The rows are given up: they leave the outbox and are counted.
    public func giveUp(_ rows: [NotificationOutbox.Row], error: String, at now: Date) async throws {
        try await store.write { database in
            for row in rows { try NotificationOutbox.giveUp(row, error: error, at: now, in: database) }
        }
    }

    /// The attempt did not count (interrupted, or the service said "too fast"): the rows, and every other
    /// due row of the notifier, wait until `until`.
    public func release(_ rows: [NotificationOutbox.Row], until: Date, at now: Date) async throws {
        guard let notifier = rows.first?.notifier else { return }
        try await store.write { database in
            for row in rows { try NotificationOutbox.release(row, until: until, in: database) }
            try NotificationOutbox.postponeDue(notifier: notifier, until: until, now: now, in: database)
        }
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
