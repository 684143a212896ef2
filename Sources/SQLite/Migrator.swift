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
    /// The program whose schema this is (`livewatch`), named in errors about versions it did not write.
    public let program: String

    /// Migrations in order, for the schema of `program`.
    public init(migrations: [Migration], program: String = "livewatch") {
        self.migrations = migrations
        self.program = program
    }

    /// The schema version after all migrations.
    public var latestVersion: Int { migrations.count }

    /// Brings the database up to `latestVersion`; returns the versions applied.
    ///
    /// A version the migrations cannot have written (negative, or above `latestVersion`) is a
    /// `SchemaVersionError` and nothing is touched.
    @discardableResult
    public func migrate(_ database: Database) throws -> [Int] {
        let current = try database.userVersion()
        try check(version: current, path: database.path)
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

    /// Throws `SchemaVersionError` unless `version` is one these migrations can start from (0 to `latestVersion`).
    public func check(version: Int, path: String) throws(SchemaVersionError) {
        guard (0...latestVersion).contains(version) else {
            throw SchemaVersionError(path: path, found: version, latest: latestVersion, program: program)
        }
    }
}

/// The database's schema version (`PRAGMA user_version`) is not one this program wrote:
/// negative, or newer than its latest migration. Its description is one line for the operator.
public struct SchemaVersionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The database file.
    public let path: String
    /// The `user_version` found.
    public let found: Int
    /// The newest version this program knows.
    public let latest: Int
    /// The program's name, as in `Migrator.program`.
    public let program: String

    /// True when the database comes from a newer version of the program.
    public var isNewer: Bool { found > latest }

    /// One line naming the file, the version found and what to do.
    public var description: String {
        if isNewer {
            return
                "\(path): database schema version \(found) is newer than this \(program) (\(latest)); upgrade \(program)"
        }
        return "\(path): database schema version \(found) was not written by \(program)"
    }
}
