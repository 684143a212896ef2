import Dispatch
import Foundation
import Synchronization
import VendorSigning

/// Tencent Cloud Chat's `POST /v4/live_engine_http_srv/get_room_list`: the
/// UserSig verified like the vendor does (HMAC, SDKAppID, identifier, expiry),
/// its own rate limit enforced (and every violation counted), and a room list
/// sorted by ViewCount that moves while a client pages through it.
///
/// Cursors are keyset cursors (the ViewCount and position of the last room
/// served). Between pages a few rooms of the page just served lose a few
/// views and fall behind the cursor (so a crawler sees them twice, with new
/// values) and a few not yet served gain views, never past the cursor (a room
/// that jumps over it is invisible to any crawler, which would make "stores
/// exactly N rooms" untestable).
public final class TencentChatSimulation: SimulatedAPI {
    /// The path this API answers.
    public static let path = "/v4/live_engine_http_srv/get_room_list"

    /// Counters of what arrived.
    public struct Counters: Sendable, Equatable {
        /// Every request to the path.
        public var requests = 0
        /// Pages served.
        public var pages = 0
        /// Requests that started while `rateLimit` others had started in the previous second.
        public var rateLimitViolations = 0
        /// UserSigs refused as forged, malformed or for another app or identifier (70003, 70009, 70013, 70014).
        public var rejectedUserSig = 0
        /// UserSigs refused as expired (70001).
        public var expiredUserSig = 0
        /// Other refusals (bad parameters, unknown app, not an admin).
        public var rejectedOther = 0
        /// Scripted error answers sent.
        public var injectedErrors = 0
        /// Crawls served to their end (a page with `Next: ""`).
        public var completedCrawls = 0
    }

    /// A misbehaviour for the next requests, or for one page of the next crawl.
    public enum Fault: Sendable, Equatable {
        /// One of the foundation's faults (500, HTML, truncated JSON, reset, ...).
        case http(SimulatedFault)
        /// HTTP 200, `ActionStatus: FAIL` with this code.
        case error(code: Int, info: String)
        /// An error whose ErrorInfo quotes the UserSig it received (a hostile vendor).
        case errorEchoingUserSig(code: Int)
        /// HTTP `status` (say 500) whose body is a Tencent error with this code (say 100001): the service is down.
        case errorWithStatus(status: Int, code: Int, info: String)
    }

    /// How the cursor behaves at the end of the list.
    public enum CursorBehaviour: Sendable, Equatable {
        /// `Next: ""` after the last room.
        case normal
        /// Never `""`: after the last room, a fresh cursor starts over from the top.
        case endless
        /// After the last room, the cursor that page 1 returned, again.
        case repeating
    }

    struct Room {
        var id: String
        var name: String
        var owner: String
        var cover: String?
        var categories: [Int]
        var createTime: Int64
        var activityStatus: Int
        var viewCount: Int64
    }

    struct Cursor {
        /// The last room served: its view count at that moment and its index.
        var viewCount: Int64
        var index: Int
        /// The page this cursor fetches (1 is the first).
        var page: Int
        /// Past the end (endless mode): the next page starts over from the top.
        var wrapped: Bool
    }

    struct Application {
        var secretKey: String
        var administrators: Set<String>
    }

    private struct State {
        var applications: [UInt64: Application] = [:]
        var rooms: [Room] = []
        /// Room indices, sorted by ViewCount descending then index.
        var order: [Int] = []
        var cursors: [String: Cursor] = [:]
        var firstCursor: String?
        var cursorSerial = 0
        var crawlStartedAt: Int64 = 0
        var servedInCrawl: [String: Int64] = [:]
        var lastCrawl: [String: Int64] = [:]
        var counters = Counters()
        var rateLimit = 10
        var arrivals: [UInt64] = []
        var oldestArrival = 0
        var requestArrivals: [UInt64] = []
        var drift = 3
        var random: UInt64 = 0x2545_F491_4F6C_DD1D
        var queued: [Fault] = []
        var standing: Fault?
        var pageFaults: [Int: Fault] = [:]
        var cursorBehaviour = CursorBehaviour.normal
        var userSigsSeen: Set<String> = []
        var requestSerial = 0
    }

    private let state = Mutex(State())
    let clock: @Sendable () -> Date

    /// - Parameter clock: the time UserSig expiry is checked against.
    public init(clock: @escaping @Sendable () -> Date = Date.init) {
        self.clock = clock
    }

    // MARK: - Scripting

    /// Adds (or replaces) an application whose UserSigs are signed with `secretKey`.
    public func addApplication(sdkAppID: UInt64, secretKey: String, administrator: String) {
        state.withLock { state in
            state.applications[sdkAppID] = Application(secretKey: secretKey, administrators: [administrator])
        }
    }

    /// Replaces the room list with `count` generated rooms.
    public func setRooms(count: Int) {
        state.withLock { state in
            state.rooms = (0..<max(0, count)).map(Self.makeRoom)
            Self.sort(&state)
        }
    }

    /// Opens `count` more rooms.
    public func addRooms(count: Int) {
        state.withLock { state in
            let start = state.rooms.count
            state.rooms += (start..<(start + max(0, count))).map(Self.makeRoom)
            Self.sort(&state)
        }
    }

    /// The most requests that may start in any one-second window (default 10, the documented ceiling).
    public func setRateLimit(_ perSecond: Int) {
        state.withLock { state in
            state.rateLimit = max(1, perSecond)
            state.arrivals = []
            state.oldestArrival = 0
        }
    }

    /// How many rooms move after each page served (default 3 fall behind the cursor, 3 climb).
    public func setDrift(roomsPerPage: Int) {
        state.withLock { $0.drift = max(0, roomsPerPage) }
    }

    /// The next `count` requests get `fault`.
    public func inject(_ fault: Fault, count: Int = 1) {
        state.withLock { $0.queued += Array(repeating: fault, count: max(0, count)) }
    }

    /// Every request gets `fault` (after queued ones) until cleared with nil.
    public func setStanding(_ fault: Fault?) {
        state.withLock { $0.standing = fault }
    }

    /// Page `page` (1 is the first) of a crawl gets `fault`, once.
    public func inject(_ fault: Fault, onPage page: Int) {
        state.withLock { $0.pageFaults[page] = fault }
    }

    /// How the cursor behaves at the end of the list.
    public func setCursorBehaviour(_ behaviour: CursorBehaviour) {
        state.withLock { $0.cursorBehaviour = behaviour }
    }

    /// Removes every fault and restores the normal cursor.
    public func clearFaults() {
        state.withLock { state in
            state.queued = []
            state.standing = nil
            state.pageFaults = [:]
            state.cursorBehaviour = .normal
        }
    }

    // MARK: - Inspection

    /// What has arrived so far.
    public var counters: Counters { state.withLock { $0.counters } }

    /// Rooms in the list now.
    public var roomCount: Int { state.withLock { $0.rooms.count } }

    /// For the last crawl served to its end: each room's ViewCount as last served in it.
    public var lastCrawl: [String: Int64] { state.withLock { $0.lastCrawl } }

    /// When each request arrived (the most recent `arrivalsKept`), on the monotonic clock in nanoseconds:
    /// for tests of pacing, which read the server's own times rather than their stopwatch.
    public var requestArrivals: [UInt64] { state.withLock { $0.requestArrivals } }

    /// How many arrival times `requestArrivals` keeps.
    public static let arrivalsKept = 10_000

    /// Every distinct UserSig received (for tests that search for leaks).
    public var userSigsSeen: Set<String> { state.withLock { $0.userSigsSeen } }

    // MARK: - Serving

    /// True for the room list path.
    public func matches(_ request: SimulatedRequest) -> Bool {
        request.path == Self.path
    }

    /// Checks the rate limit, applies a scripted fault, or answers like the vendor.
    public func handle(_ request: SimulatedRequest) -> SimulatedResponse {
        let arrival = DispatchTime.now().uptimeNanoseconds
        return state.withLock { state in
            state.counters.requests += 1
            state.requestSerial += 1
            if state.requestArrivals.count == Self.arrivalsKept { state.requestArrivals.removeFirst() }
            state.requestArrivals.append(arrival)
            let requestID = Self.requestID(serial: state.requestSerial)
            if let userSig = request.query("usersig") { state.userSigsSeen.insert(userSig) }
            if Self.violatesRateLimit(&state, at: arrival) {
                state.counters.rateLimitViolations += 1
                return Self.error(60007, "REST API call frequency over limit", requestID: requestID)
            }
            let fault: Fault? = state.queued.isEmpty ? state.standing : state.queued.removeFirst()
            guard let fault else { return answer(request, state: &state, requestID: requestID) }
            if case .http(let httpFault) = fault {
                return Self.apply(httpFault, to: answer(request, state: &state, requestID: requestID))
            }
            return Self.errorAnswer(fault, request: request, state: &state, requestID: requestID)
        }
    }

    private func answer(_ request: SimulatedRequest, state: inout State, requestID: String) -> SimulatedResponse {
        guard request.method == "POST" else {
            state.counters.rejectedOther += 1
            return Self.error(60002, "HTTP request must be POST", requestID: requestID)
        }
        guard let appText = request.query("sdkappid"), !appText.isEmpty else {
            state.counters.rejectedOther += 1
            return Self.error(60012, "sdkappid is missing", requestID: requestID)
        }
        guard let sdkAppID = UInt64(appText), let application = state.applications[sdkAppID] else {
            state.counters.rejectedOther += 1
            return Self.error(70020, "SDKAppID not found", requestID: requestID)
        }
        guard request.query("contenttype") == "json",
            let randomText = request.query("random"), UInt32(randomText) != nil,
            let identifier = request.query("identifier"), !identifier.isEmpty
        else {
            state.counters.rejectedOther += 1
            return Self.error(60002, "identifier, random and contenttype=json are required", requestID: requestID)
        }
        let userSig = request.query("usersig") ?? ""
        let now = Int64(clock().timeIntervalSince1970.rounded(.down))
        do {
            let decoded = try TencentUserSig.verify(
                userSig: userSig, secretKey: application.secretKey, sdkAppID: sdkAppID, now: now)
            guard decoded.identifier == identifier else {
                state.counters.rejectedUserSig += 1
                return Self.error(70013, "identifier does not match the UserSig", requestID: requestID)
            }
        } catch TencentUserSigError.expired {
            state.counters.expiredUserSig += 1
            return Self.error(70001, "UserSig expired, please regenerate", requestID: requestID)
        } catch TencentUserSigError.badSignature {
            state.counters.rejectedUserSig += 1
            return Self.error(70009, "UserSig verification failed", requestID: requestID)
        } catch TencentUserSigError.mismatch {
            state.counters.rejectedUserSig += 1
            return Self.error(70014, "SDKAppID does not match the UserSig", requestID: requestID)
        } catch {
            state.counters.rejectedUserSig += 1
            return Self.error(70003, "UserSig is invalid", requestID: requestID)
        }
        guard application.administrators.contains(identifier) else {
            state.counters.rejectedOther += 1
            return Self.error(60010, "this request requires an App Admin", requestID: requestID)
        }
        guard let body = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] else {
            state.counters.rejectedOther += 1
            return Self.error(60003, "the request body is not valid JSON", requestID: requestID)
        }
        let count = (body["Count"] as? Int) ?? 20
        guard let next = body["Next"] as? String, (1...20).contains(count) else {
            state.counters.rejectedOther += 1
            return Self.error(
                100002, "invalid parameter: Next must be a string and Count 1 to 20", requestID: requestID)
        }
        let cursor: Cursor
        if next.isEmpty {
            state.cursors = [:]
            state.firstCursor = nil
            state.servedInCrawl = [:]
            state.crawlStartedAt = now
            cursor = Cursor(viewCount: .max, index: -1, page: 1, wrapped: true)
        } else if let known = state.cursors[next] {
            cursor = known
        } else {
            state.counters.rejectedOther += 1
            return Self.error(100002, "invalid parameter: unknown Next", requestID: requestID)
        }
        if let fault = state.pageFaults.removeValue(forKey: cursor.page) {
            if case .http(let httpFault) = fault {
                return Self.apply(httpFault, to: serve(cursor, count: count, state: &state, requestID: requestID))
            }
            return Self.errorAnswer(fault, request: request, state: &state, requestID: requestID)
        }
        return serve(cursor, count: count, state: &state, requestID: requestID)
    }

    /// Serves the page after `cursor`, then lets the list move.
    private func serve(_ cursor: Cursor, count: Int, state: inout State, requestID: String) -> SimulatedResponse {
        let start: Int
        if cursor.wrapped {
            start = 0
        } else {
            start = Self.position(after: cursor, in: state)
        }
        let served = Array(state.order[start..<min(state.order.count, start + count)])
        var json =
            "{\"ActionStatus\":\"OK\",\"ErrorInfo\":\"\",\"ErrorCode\":0,\"RequestId\":\"\(requestID)\",\"Response\":{\"Next\":"
        var roomsJSON: [String] = []
        roomsJSON.reserveCapacity(served.count)
        for index in served {
            let room = state.rooms[index]
            state.servedInCrawl[room.id] = room.viewCount
            roomsJSON.append(Self.json(room))
        }
        let atEnd = start + served.count >= state.order.count
        var next = ""
        if let last = served.last, !atEnd {
            next = Self.issueCursor(
                Cursor(viewCount: state.rooms[last].viewCount, index: last, page: cursor.page + 1, wrapped: false),
                state: &state)
        } else {
            switch state.cursorBehaviour {
            case .normal:
                break
            case .endless:
                next = Self.issueCursor(
                    Cursor(viewCount: .max, index: -1, page: cursor.page + 1, wrapped: true), state: &state)
            case .repeating:
                next =
                    state.firstCursor
                    ?? Self.issueCursor(
                        Cursor(viewCount: .max, index: -1, page: cursor.page + 1, wrapped: true), state: &state)
            }
        }
        if cursor.page == 1, state.firstCursor == nil, !next.isEmpty { state.firstCursor = next }
        json += "\"\(next)\",\"RoomList\":[" + roomsJSON.joined(separator: ",") + "]}}"
        state.counters.pages += 1
        if next.isEmpty {
            state.lastCrawl = state.servedInCrawl
            state.counters.completedCrawls += 1
        } else if let last = served.last, !atEnd {
            Self.moveRooms(
                &state, behind: Cursor(viewCount: state.rooms[last].viewCount, index: last, page: 0, wrapped: false),
                pageSize: count)
        }
        return .json(200, json)
    }

    // MARK: - The moving list

    /// Some rooms of the page just served lose a few views and fall behind the cursor; some rooms not
    /// yet served gain views, staying behind it.
    private static func moveRooms(_ state: inout State, behind cursor: Cursor, pageSize: Int) {
        guard state.drift > 0, cursor.viewCount > 1 else { return }
        let position = Self.position(after: cursor, in: state)
        let lastPage = min(position, pageSize)
        var moved = false
        for _ in 0..<state.drift {
            if lastPage > 0 {
                let index = state.order[position - 1 - Int(nextRandom(&state.random) % UInt64(lastPage))]
                let drop = Int64(1 + nextRandom(&state.random) % 50)
                state.rooms[index].viewCount = max(0, cursor.viewCount - drop)
                moved = true
            }
            if position < state.order.count {
                let index = state.order[
                    position + Int(nextRandom(&state.random) % UInt64(state.order.count - position))]
                let raised = min(
                    cursor.viewCount - 1, state.rooms[index].viewCount + Int64(1 + nextRandom(&state.random) % 500))
                if raised > state.rooms[index].viewCount {
                    state.rooms[index].viewCount = raised
                    moved = true
                }
            }
        }
        if moved { sort(&state) }
    }

    /// The position in `order` of the first room after `cursor`.
    private static func position(after cursor: Cursor, in state: State) -> Int {
        var low = 0
        var high = state.order.count
        while low < high {
            let middle = (low + high) / 2
            let room = state.rooms[state.order[middle]]
            let isAfter =
                room.viewCount < cursor.viewCount
                || (room.viewCount == cursor.viewCount && state.order[middle] > cursor.index)
            if isAfter { high = middle } else { low = middle + 1 }
        }
        return low
    }

    private static func sort(_ state: inout State) {
        let rooms = state.rooms
        state.order = Array(rooms.indices).sorted { left, right in
            rooms[left].viewCount != rooms[right].viewCount
                ? rooms[left].viewCount > rooms[right].viewCount : left < right
        }
    }

    private static func issueCursor(_ cursor: Cursor, state: inout State) -> String {
        state.cursorSerial += 1
        let token = "\(state.crawlStartedAt)-\(100_000_000_000 + state.cursorSerial)"
        state.cursors[token] = cursor
        return token
    }

    private static func nextRandom(_ random: inout UInt64) -> UInt64 {
        random ^= random << 13
        random ^= random >> 7
        random ^= random << 17
        return random
    }

    static func makeRoom(_ index: Int) -> Room {
        var seed = UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15
        let jitter = Int64(nextRandom(&seed) % 997)
        return Room(
            id: "room_\(index)",
            name: index % 7 == 0 ? "直播间 \(index)" : "Live room \(index)",
            owner: "host_\(index % 97)",
            cover: index % 11 == 0 ? nil : "https://cdn.example.com/covers/\(index).jpg",
            categories: index % 5 == 0 ? [] : Array([1 + index % 3, 4 + index % 2, 7].prefix(1 + index % 3)),
            createTime: 1_693_271_354 + Int64(index) * 37,
            activityStatus: index % 4 == 0 ? 0 : 1,
            viewCount: 2_000_000 / Int64(index + 1) + jitter)
    }

    static func json(_ room: Room) -> String {
        var text =
            "{\"RoomName\":\(jsonString(room.name)),\"RoomId\":\(jsonString(room.id)),\"Owner_Account\":\(jsonString(room.owner))"
        if let cover = room.cover { text += ",\"CoverURL\":\(jsonString(cover))" }
        text += ",\"Category\":[" + room.categories.map(String.init).joined(separator: ",") + "]"
        text +=
            ",\"CreateTime\":\(room.createTime),\"ActivityStatus\":\(room.activityStatus),\"ViewCount\":\(room.viewCount)}"
        return text
    }

    // MARK: - Rate limit and errors

    /// True when `limit` requests already started within the second before `arrival`; records the arrival.
    private static func violatesRateLimit(_ state: inout State, at arrival: UInt64) -> Bool {
        let limit = state.rateLimit
        if state.arrivals.count < limit {
            state.arrivals.append(arrival)
            return false
        }
        let violation = arrival - state.arrivals[state.oldestArrival] < 1_000_000_000
        state.arrivals[state.oldestArrival] = arrival
        state.oldestArrival = (state.oldestArrival + 1) % limit
        return violation
    }

    private static func errorAnswer(_ fault: Fault, request: SimulatedRequest, state: inout State, requestID: String)
        -> SimulatedResponse
    {
        state.counters.injectedErrors += 1
        switch fault {
        case .error(let code, let info):
            return error(code, info, requestID: requestID)
        case .errorEchoingUserSig(let code):
            return error(code, "UserSig \(request.query("usersig") ?? "") rejected", requestID: requestID)
        case .errorWithStatus(let status, let code, let info):
            return error(code, info, requestID: requestID, status: status)
        case .http(let httpFault):
            return httpFault.response(normal: error(100001, "internal error", requestID: requestID))
        }
    }

    /// A foundation fault applied to the normal answer; truncation cuts that answer in half.
    private static func apply(_ fault: SimulatedFault, to answer: SimulatedResponse) -> SimulatedResponse {
        if fault == .truncatedJSON, case .reply(let status, let headers, let body) = answer {
            return .reply(status: status, headers: headers, body: Array(body.prefix(max(1, body.count / 2))))
        }
        return fault.response(normal: answer)
    }

    static func error(_ code: Int, _ info: String, requestID: String, status: Int = 200) -> SimulatedResponse {
        .json(
            status,
            "{\"ActionStatus\":\"FAIL\",\"ErrorInfo\":\(jsonString(info)),\"ErrorCode\":\(code),\"RequestId\":\"\(requestID)\"}"
        )
    }

    static func requestID(serial: Int) -> String {
        let hex = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        return "Id-\(hex)-O-Seq-\(serial)"
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
