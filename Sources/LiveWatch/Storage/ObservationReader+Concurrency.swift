import Foundation
import SQLite

extension ObservationReader {
    /// `monitor`'s stored MR concurrency samples observed at or after `earliest` (whole seconds), oldest
    /// first: the newest `limit` of them. Read through `mr_concurrency_by_monitor_time`, once per
    /// start of a monitor (see `ConcurrencyHistory`).
    public static func concurrencySamples(
        monitor: String, since earliest: Int64, limit: Int = ConcurrencyHistory.capacity, in database: Database
    ) throws -> [ConcurrencySample] {
        let rows = try database.statement(
            """
            SELECT observed_at, total, used FROM mr_concurrency
            WHERE monitor = ? AND observed_at >= ? ORDER BY observed_at DESC, rowid DESC LIMIT ?
            """
        ).query([monitor, earliest, Int64(max(0, limit))])
        return rows.reversed().compactMap { row in
            guard case .integer(let observedAt) = row[0], case .integer(let total) = row[1],
                case .integer(let used) = row[2]
            else { return nil }
            return ConcurrencySample(observedAt: observedAt, total: Int(total), used: Int(used))
        }
    }
}
