/// The Tencent Cloud Chat REST envelope of `get_room_list`:
/// `{ActionStatus, ErrorInfo, ErrorCode, RequestId, Response: {Next, RoomList}}`, read in one pass with
/// `JSONReader`, giving what `JSONDecoder` gave with the lenient Codable types this replaced:
/// - the body must be JSON (`JSONDecoder`'s leniencies included: byte order marks, UTF-16/32, trailing commas,
///   unknown members unchecked beyond their extent), its top level an object whose keys all decode;
/// - the status fields are strings (`ErrorCode` an integer) or null; one of another type makes the whole answer
///   unreadable;
/// - `Response` is an object or null; `Next` a string or null, `RoomList` an array of objects or null; otherwise
///   only the status fields are read;
/// - a room's field of the wrong type is treated as left out (nil), except `RoomId`, which may be a string or a
///   number (`FlexibleString`'s rules); `CreateTime`, `ActivityStatus`, `ViewCount` may be numbers or strings of
///   digits; `Category` an array of numbers and strings, kept as JSON text;
/// - of duplicate keys, the first counts (as in `JSONDecoder`).
enum TencentChatEnvelope {
    /// What one body gave.
    enum Reading: Equatable {
        /// Not JSON, not an object, or its status fields unreadable.
        case unreadable
        /// The status fields read, the `Response` not.
        case statusOnly(TencentChatStatus)
        /// Everything read; the page is nil when `Response` was left out or null.
        case envelope(TencentChatStatus, Page?)
    }

    /// `Response`, read.
    struct Page: Equatable {
        /// `Next`, nil when left out or null.
        var next: String?
        /// `RoomList`'s rooms, in order (none when left out or null); a room without `RoomId` has "" there.
        var rooms: [LiveRoom]
        /// The first room whose `RoomId` is left out, null, unreadable or "".
        var firstRoomWithoutID: Int?
    }

    /// Reads one body.
    static func read(_ body: [UInt8]) -> Reading {
        JSONReader.withUTF8(of: body) { bytes in
            var reader = JSONReader(bytes)
            do {
                return try read(&reader)
            } catch {
                return .unreadable
            }
        } ?? .unreadable
    }

    typealias SyntaxError = JSONReader.SyntaxError

    static let topNames: [StaticString] = ["ActionStatus", "ErrorInfo", "ErrorCode", "RequestId", "Response"]
    static let pageNames: [StaticString] = ["Next", "RoomList"]
    static let roomNames: [StaticString] = [
        "RoomId", "RoomName", "Owner_Account", "CoverURL", "Category", "CreateTime", "ActivityStatus", "ViewCount",
    ]

    static func read(_ reader: inout JSONReader) throws(SyntaxError) -> Reading {
        guard try reader.peekKind() == .object else {
            try reader.skipValue()
            try reader.finish()
            return .unreadable
        }
        try reader.beginObject()
        var status = TencentChatStatus()
        var statusReadable = true
        // `.some(nil)`: left out or null; nil: unreadable.
        var page: Page?? = .some(nil)
        var seen = 0
        while let field = try nextField(&reader, topNames, seen: &seen, readable: &statusReadable) {
            switch field {
            case 0: statusReadable = try readStatusString(&reader, into: &status.actionStatus) && statusReadable
            case 1: statusReadable = try readStatusString(&reader, into: &status.errorInfo) && statusReadable
            case 2:
                switch try reader.peekKind() {
                case .null: _ = try reader.readLiteral()
                case .number:
                    let number = try reader.readNumber()
                    if let code = reader.int64(number) { status.errorCode = code } else { statusReadable = false }
                default:
                    try reader.skipValue()
                    statusReadable = false
                }
            case 3: statusReadable = try readStatusString(&reader, into: &status.requestID) && statusReadable
            default: page = try readResponse(&reader)
            }
        }
        try reader.finish()
        guard statusReadable else { return .unreadable }
        guard let page else { return .statusOnly(status) }
        return .envelope(status, page)
    }

    /// A string or null; false for anything else.
    static func readStatusString(_ reader: inout JSONReader, into value: inout String?) throws(SyntaxError) -> Bool {
        switch try reader.peekKind() {
        case .null:
            _ = try reader.readLiteral()
            return true
        case .string:
            guard let text = reader.string(try reader.readString()) else { return false }
            value = text
            return true
        default:
            try reader.skipValue()
            return false
        }
    }

    /// `Response`: `.some(nil)` when null, nil when unreadable.
    static func readResponse(_ reader: inout JSONReader) throws(SyntaxError) -> Page?? {
        switch try reader.peekKind() {
        case .null:
            _ = try reader.readLiteral()
            return .some(nil)
        case .object:
            break
        default:
            try reader.skipValue()
            return nil
        }
        try reader.beginObject()
        var page = Page(next: nil, rooms: [])
        var readable = true
        var seen = 0
        while let field = try nextField(&reader, pageNames, seen: &seen, readable: &readable) {
            switch field {
            case 0:
                switch try reader.peekKind() {
                case .null: _ = try reader.readLiteral()
                case .string:
                    page.next = reader.string(try reader.readString())
                    if page.next == nil { readable = false }
                default:
                    try reader.skipValue()
                    readable = false
                }
            default:
                switch try reader.peekKind() {
                case .null: _ = try reader.readLiteral()
                case .array: readable = try readRooms(&reader, into: &page) && readable
                default:
                    try reader.skipValue()
                    readable = false
                }
            }
        }
        return readable ? .some(page) : nil
    }

    /// `RoomList`'s entries, each an object; false when one is not or cannot be read.
    static func readRooms(_ reader: inout JSONReader, into page: inout Page) throws(SyntaxError) -> Bool {
        try reader.beginArray()
        var readable = true
        while try reader.nextElement() {
            guard readable, try reader.peekKind() == .object else {
                try reader.skipValue()
                readable = false
                continue
            }
            if let room = try readRoom(&reader) {
                if room.roomID.isEmpty && page.firstRoomWithoutID == nil { page.firstRoomWithoutID = page.rooms.count }
                page.rooms.append(room)
            } else {
                readable = false
            }
        }
        return readable
    }

    /// One room (`RoomId` "" when missing); nil when one of its keys cannot be decoded.
    static func readRoom(_ reader: inout JSONReader) throws(SyntaxError) -> LiveRoom? {
        try reader.beginObject()
        var room = LiveRoom(roomID: "")
        var readable = true
        var seen = 0
        while let field = try nextField(&reader, roomNames, seen: &seen, readable: &readable) {
            switch field {
            case 0: room.roomID = try readFlexibleString(&reader) ?? ""
            case 1: room.roomName = try readString(&reader)
            case 2: room.ownerAccount = try readString(&reader)
            case 3: room.coverURL = try readString(&reader)
            case 4: room.categories = try readCategories(&reader)
            case 5: room.createTime = try readInteger(&reader)
            case 6: room.activityStatus = try readInteger(&reader)
            default: room.viewCount = try readInteger(&reader)
            }
        }
        return readable ? room : nil
    }

    /// A string; nil for anything else.
    static func readString(_ reader: inout JSONReader) throws(SyntaxError) -> String? {
        guard try reader.peekKind() == .string else {
            try reader.skipValue()
            return nil
        }
        return reader.string(try reader.readString())
    }

    /// `FlexibleString`: a string, or a number as its text (an integer as such, else as `String(Double)`).
    static func readFlexibleString(_ reader: inout JSONReader) throws(SyntaxError) -> String? {
        switch try reader.peekKind() {
        case .string:
            return reader.string(try reader.readString())
        case .number:
            let number = try reader.readNumber()
            if let integer = reader.int64(number) { return String(integer) }
            return reader.double(number).map { String($0) }
        default:
            try reader.skipValue()
            return nil
        }
    }

    /// An integer sent as a number or as a string `Int64(_:)` reads.
    static func readInteger(_ reader: inout JSONReader) throws(SyntaxError) -> Int64? {
        switch try reader.peekKind() {
        case .number:
            return reader.int64(try reader.readNumber())
        case .string:
            return reader.string(try reader.readString()).flatMap { Int64($0) }
        default:
            try reader.skipValue()
            return nil
        }
    }

    /// `Category`: an array of integers, finite numbers and strings, as JSON text; nil for anything else.
    static func readCategories(_ reader: inout JSONReader) throws(SyntaxError) -> String? {
        guard try reader.peekKind() == .array else {
            try reader.skipValue()
            return nil
        }
        try reader.beginArray()
        var text: String? = "["
        var first = true
        while try reader.nextElement() {
            var tag: String?
            switch try reader.peekKind() {
            case .number:
                let number = try reader.readNumber()
                if text != nil {
                    if let integer = reader.int64(number) {
                        tag = String(integer)
                    } else {
                        tag = reader.double(number).map { String($0) }
                    }
                }
            case .string:
                let token = try reader.readString()
                if text != nil { tag = reader.string(token).map(JSONText.quote) }
            default:
                try reader.skipValue()
            }
            guard let tag, text != nil else {
                text = nil
                continue
            }
            if !first { text?.append(",") }
            text?.append(tag)
            first = false
        }
        return text.map { $0 + "]" }
    }

    enum KeyMatch: Equatable {
        case field(Int)
        case unknown
        case undecodable
    }

    /// The index in `names` of the object's next member not seen before (`seen` is a bit set of indexes),
    /// skipping unknown and repeated keys (the first of a duplicate counts, as with `JSONDecoder`); a key that
    /// cannot be decoded clears `readable`. nil at the end of the object.
    static func nextField(
        _ reader: inout JSONReader, _ names: [StaticString], seen: inout Int, readable: inout Bool
    ) throws(SyntaxError) -> Int? {
        while let key = try reader.nextKey() {
            switch match(key, names, in: reader) {
            case .undecodable:
                readable = false
                try reader.skipValue()
            case .field(let index) where seen & 1 << index == 0:
                seen |= 1 << index
                return index
            case .field, .unknown:
                try reader.skipValue()
            }
        }
        return nil
    }

    /// Which of `names` the key is.
    static func match(_ key: JSONReader.StringToken, _ names: [StaticString], in reader: JSONReader) -> KeyMatch {
        for (index, name) in names.enumerated() {
            guard let equal = reader.string(key, equals: name) else { return .undecodable }
            if equal { return .field(index) }
        }
        return .unknown
    }
}

/// The fields of the envelope that identify an answer, readable even when `Response` is not.
struct TencentChatStatus: Equatable {
    var actionStatus: String?
    var errorInfo: String?
    var errorCode: Int64?
    var requestID: String?
}
