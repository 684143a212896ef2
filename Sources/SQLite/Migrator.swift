/// Applies schema migrations in order, tracked by `PRAGMA user_version`.
///
/// Migration N (1-based) brings the schema from version N-1 to N; each runs in
/// its own `BEGIN IMMEDIATE` transaction together with the version bump, so a
/// crash leaves the database at a whole version.
public struct Migrator: Sendable {
    /// One schema step.
    public struct Migration: Sendable {
        /// A short name, for errors and logs.
        public let name: String
        /// The SQL to run (may hold several statements).
        public let sql: String

        public init(name: String, sql: String) {
            self.name = name
            self.sql = sql
        }
    }

    /// The ordered migrations; index + 1 is the version each produces.
    public let migrations: [Migration]

    public init(migrations: [Migration]) {
        self.migrations = migrations
    }

    /// The schema version after all migrations.
    public var latestVersion: Int { migrations.count }

    /// Brings the database up to `latestVersion`; returns the versions applied.
    @discardableResult
    public func migrate(_ database: Database) throws -> [Int] {
        let current = try database.userVersion()
        guard current <= latestVersion else {
            throw SQLiteError(
                code: .error,
                message: "database schema version \(current) is newer than this program's \(latestVersion)")
        }
        var applied: [Int] = []
        for version in (current + 1)..<(latestVersion + 1) {
            let migration = migrations[version - 1]
            try database.write {
                try database.execute(migration.sql)
                try database.setUserVersion(version)
            }
            applied.append(version)
        }
        return applied
    }
}
