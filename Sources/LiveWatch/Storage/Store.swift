import Dispatch
import Foundation
import SQLite

/// The daemon's single writer connection, tied to one serial queue.
///
/// All database work runs on that queue, never on Swift's cooperative pool,
/// so a busy wait cannot starve the polls.
public final class Store: @unchecked Sendable {
    // @unchecked: `database` is only touched on `queue`, which serialises every access.
    private let queue = DispatchQueue(label: "livewatch.store")
    private var database: Database?
    // A second connection, only touched on `checkpointQueue`, for checkpoints beside the writer.
    private let checkpointQueue = DispatchQueue(label: "livewatch.store.checkpoint")
    private var checkpointer: Database?
    /// The database file.
    public let path: String

    /// Opens (creating if needed) the database and brings its schema up to date.
    public init(path: String, busyTimeoutMilliseconds: Int32 = 5_000) throws {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        // Incremental auto-vacuum lets retention give space back without a full VACUUM.
        let database = try Database(
            path: path, options: .init(busyTimeoutMilliseconds: busyTimeoutMilliseconds, incrementalAutoVacuum: true))
        try Schema.migrator.migrate(database)
        self.database = database
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction on the writer queue.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.writeOnQueue(body) })
            }
        }
    }

    /// Runs `body` with the connection (no transaction) on the writer queue.
    public func access<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(
                    with: Result {
                        guard let database = self.database else { throw Self.closedError }
                        return try body(database)
                    })
            }
        }
    }

    /// Synchronous `write`, for command-line tools and benchmarks.
    public func writeSynchronously<T>(_ body: (Database) throws -> T) throws -> T {
        try queue.sync { try writeOnQueue(body) }
    }

    /// Synchronous access without a transaction.
    public func accessSynchronously<T>(_ body: (Database) throws -> T) throws -> T {
        try queue.sync {
            guard let database else { throw Self.closedError }
            return try body(database)
        }
    }

    /// A passive WAL checkpoint on a second connection: it copies what it can of
    /// the WAL into the database file without taking the writer's turn, so
    /// writes go on meanwhile.
    public func checkpointBeside() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            checkpointQueue.async {
                continuation.resume(
                    with: Result {
                        if self.checkpointer == nil {
                            self.checkpointer = try Database(
                                path: self.path, options: .init(busyTimeoutMilliseconds: 1_000))
                        }
                        try self.checkpointer?.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    })
            }
        }
    }

    /// Closes the connection; later calls fail. Call it last at shutdown.
    public func close() {
        checkpointQueue.sync { checkpointer = nil }
        queue.sync {
            if let database {
                try? database.execute("PRAGMA analysis_limit=400; PRAGMA optimize")
            }
            database = nil
        }
    }

    private func writeOnQueue<T>(_ body: (Database) throws -> T) throws -> T {
        guard let database else { throw Self.closedError }
        return try database.write { try body(database) }
    }

    static let closedError = SQLiteError(code: .misuse, message: "the database is closed")
}
