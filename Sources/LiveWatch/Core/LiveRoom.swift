/// One live room of a Tencent Cloud Chat application, as the room list last showed it.
public struct LiveRoom: Sendable, Equatable {
    /// `RoomId`, the room's identity.
    public var roomID: String
    /// `RoomName`, nil when left out.
    public var roomName: String?
    /// `Owner_Account`.
    public var ownerAccount: String?
    /// `CoverURL`.
    public var coverURL: String?
    /// `Category`, already as JSON text (e.g. `[1,2,3]`); nil when left out.
    public var categories: String?
    /// `CreateTime`, unix seconds; nil when left out or not an integer.
    public var createTime: Int64?
    /// `ActivityStatus` (user-defined).
    public var activityStatus: Int64?
    /// `ViewCount`.
    public var viewCount: Int64?

    /// A room; every field but the id may be unknown.
    public init(
        roomID: String, roomName: String? = nil, ownerAccount: String? = nil, coverURL: String? = nil,
        categories: String? = nil, createTime: Int64? = nil, activityStatus: Int64? = nil, viewCount: Int64? = nil
    ) {
        self.roomID = roomID
        self.roomName = roomName
        self.ownerAccount = ownerAccount
        self.coverURL = coverURL
        self.categories = categories
        self.createTime = createTime
        self.activityStatus = activityStatus
        self.viewCount = viewCount
    }
}

/// A whole crawl of a live room list: every distinct room, in the order first seen.
public struct LiveRoomList: Sendable, Equatable {
    /// Distinct rooms (a room served twice during the crawl appears once, with its last values).
    public var rooms: [LiveRoom]
    /// Pages fetched.
    public var pages: Int

    /// A crawl's result.
    public init(rooms: [LiveRoom], pages: Int) {
        self.rooms = rooms
        self.pages = pages
    }
}
