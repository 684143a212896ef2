import Foundation

/// What a successful poll saw, per vendor.
public enum Observation: Sendable, Equatable {
    /// Polyv: the MR concurrency of an application.
    case mrConcurrency(MRConcurrency)
    /// A Tencent Cloud Chat live room list, crawled to its end.
    case liveRooms(LiveRoomList)

    /// Volcengine livesaas: viewing restrictions and start links of the watched activities.
    case volcengine(VolcengineObservation)

    /// Huawei MetaStudio: every live platform of a project.
    case livePlatforms(LivePlatformListing)

    /// Number of things observed.
    public var itemCount: Int {
        switch self {
        case .mrConcurrency: return 1
        case .liveRooms(let list): return list.rooms.count

        case .volcengine(let observation): return observation.activityCount

        case .livePlatforms(let listing): return listing.platforms.count
        }
    }
}
