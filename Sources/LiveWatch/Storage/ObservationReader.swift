import Foundation
import SQLite

/// Reads back what the evaluators compare a poll with: the monitor's previous observation. Call it
/// inside the poll's transaction, before the new observation is stored.
public enum ObservationReader {
    /// The previous observation of what `observation` observed on `monitor`, or nil when none is stored:
    ///
    /// - MetaStudio: the monitor's latest stored listing.
    /// - Volcengine: the latest stored restrictions of each activity in `observation`, and the
    ///   latest stored row of each of its links (activities and links never stored are left out).
    ///
    /// Polyv and Tencent Chat observations are not read back (their rules compare nothing): nil.
    public static func previous(of observation: Observation, monitor: String, in database: Database) throws
        -> Observation?
    {
        switch observation {
        case .livePlatforms(let listing):
            return try latestPlatforms(monitor: monitor, like: listing, in: database).map(Observation.livePlatforms)
        case .volcengine(let volcengine):
            return .volcengine(try previousVolcengine(monitor: monitor, of: volcengine, in: database))
        case .mrConcurrency, .liveRooms:
            return nil
        }
    }
}
