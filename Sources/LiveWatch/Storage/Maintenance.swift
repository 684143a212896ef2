import Foundation
import SQLite

/// Database maintenance for `livewatch db`: the integrity check (read-only, safe while the daemon
/// runs) and a full `VACUUM` (the daemon stopped).
public enum Maintenance {
    /// Why maintenance could not run.
    public enum Failure: Error, CustomStringConvertible {
        /// Another connection (the daemon) holds the database.
        case inUse
        /// The database could not be opened or read.
        case database(String)

        public var description: String {
            switch self {
            case .inUse: return "the database is in use; stop the daemon (systemctl stop livewatch) and retry"
            case .database(let message): return message
            }
        }
    }

    /// The statement `integrityCheck(path:)` runs.
    public static let integrityCheckSQL = "PRAGMA integrity_check"

    /// The lines of `PRAGMA integrity_check`: `["ok"]` for a sound file.
    public static func integrityCheck(path: String) throws(Failure) -> [String] {
        do {
            let database = try Database(path: path, options: .init(readOnly: true))
            return try database.query(integrityCheckSQL).compactMap { $0.string("integrity_check") }
        } catch {
            throw .database("\(error)")
        }
    }

    /// Rebuilds the file to its smallest size and truncates the WAL; returns the sizes before and after, in bytes.
    public static func vacuum(path: String) throws(Failure) -> (before: Int, after: Int) {
        let before = fileSize(path)
        do {
            let database = try Database(path: path, options: .init(busyTimeoutMilliseconds: 1_000))
            try database.execute("VACUUM")
            try database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        } catch let error as SQLiteError where error.code.matches(.busy) || error.code.matches(.locked) {
            throw .inUse
        } catch {
            throw .database("\(error)")
        }
        return (before, fileSize(path))
    }

    /// The size of a file in bytes (0 when it does not exist).
    public static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}
