import Foundation
import SQLite

/// `alert_log_outbox`: alert-log lines committed with the alert state that produced them, deleted
/// once they are in the alert log on disk. A crash between the two loses nothing: the next start
/// writes them.
public enum AlertLogOutbox {
    /// Queues one line (its JSON) at `now` (inside the caller's transaction).
    static func insert(_ line: String, at now: Date, in database: Database) throws {
        try database.statement("INSERT INTO alert_log_outbox (line, created_at) VALUES (?, ?)")
            .execute(line, ObservationWriter.unixSeconds(now))
    }

    /// Hands the queued lines to `write`, oldest first, `batch` at a time; `write` returns how many of
    /// them, from the first, are written (and on disk), and why the rest are not, if they are not.
    /// The rows of written lines leave the outbox, each batch's in one transaction. Stops at the first
    /// batch not wholly written and returns its reason; nil once the outbox is empty.
    public static func drain(
        batch: Int, in database: Database, write: ([String]) -> (written: Int, failure: String?)
    ) throws -> String? {
        let select = try database.statement("SELECT id, line FROM alert_log_outbox ORDER BY id LIMIT ?")
        let delete = try database.statement("DELETE FROM alert_log_outbox WHERE id = ?")
        while true {
            let pending = try select.query([batch]).compactMap { row -> (Int64, String)? in
                guard let id = row.int64("id"), let line = row.string("line") else { return nil }
                return (id, line)
            }
            guard !pending.isEmpty else { return nil }
            let outcome = write(pending.map(\.1))
            // Only the rows whose lines are on disk leave the outbox, in one transaction.
            if outcome.written > 0 {
                try database.write {
                    for (id, _) in pending.prefix(outcome.written) { try delete.execute(id) }
                }
            }
            if let failure = outcome.failure { return failure }
            if pending.count < batch { return nil }
        }
    }

    /// Lines waiting for the alert log.
    public static func count(in database: Database) throws -> Int {
        Int(try database.scalarInt64("SELECT count(*) FROM alert_log_outbox") ?? 0)
    }
}
