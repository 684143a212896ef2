/// The Tencent Cloud Chat REST envelope of `get_room_list`:
/// `{ActionStatus, ErrorInfo, ErrorCode, RequestId, Response: {Next, RoomList}}`.
struct TencentChatEnvelope: Decodable {
    struct Page: Decodable {
        var next: String?
        var roomList: [TencentChatRoom]?

        enum CodingKeys: String, CodingKey {
            case next = "Next"
            case roomList = "RoomList"
        }
    }

    var status: TencentChatStatus
    var response: Page?

    enum CodingKeys: String, CodingKey {
        case response = "Response"
    }

    init(from decoder: any Decoder) throws {
        status = try TencentChatStatus(from: decoder)
        response = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Page.self, forKey: .response)
    }
}

/// The fields of the envelope that identify an answer: read on their own too, for a body whose
/// `Response` is unreadable.
struct TencentChatStatus: Decodable {
    var actionStatus: String?
    var errorInfo: String?
    var errorCode: Int64?
    var requestID: String?

    enum CodingKeys: String, CodingKey {
        case actionStatus = "ActionStatus"
        case errorInfo = "ErrorInfo"
        case errorCode = "ErrorCode"
        case requestID = "RequestId"
    }
}

/// One `RoomList` entry, read leniently: a field of the wrong type is treated as left out
/// (NULL in the database); only `RoomId` is required, and checked by the client.
struct TencentChatRoom: Decodable {
    var roomID: String?
    var roomName: String?
    var ownerAccount: String?
    var coverURL: String?
    var categories: String?
    var createTime: Int64?
    var activityStatus: Int64?
    var viewCount: Int64?

    enum CodingKeys: String, CodingKey {
        case roomID = "RoomId"
        case roomName = "RoomName"
        case ownerAccount = "Owner_Account"
        case coverURL = "CoverURL"
        case category = "Category"
        case createTime = "CreateTime"
        case activityStatus = "ActivityStatus"
        case viewCount = "ViewCount"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        roomID = (try? container.decodeIfPresent(FlexibleString.self, forKey: .roomID))?.value
        roomName = try? container.decodeIfPresent(String.self, forKey: .roomName)
        ownerAccount = try? container.decodeIfPresent(String.self, forKey: .ownerAccount)
        coverURL = try? container.decodeIfPresent(String.self, forKey: .coverURL)
        categories = (try? container.decodeIfPresent([TencentChatCategory].self, forKey: .category)).map { list in
            "[" + list.map(\.jsonText).joined(separator: ",") + "]"
        }
        createTime = (try? container.decodeIfPresent(TencentChatInteger.self, forKey: .createTime))?.value
        activityStatus = (try? container.decodeIfPresent(TencentChatInteger.self, forKey: .activityStatus))?.value
        viewCount = (try? container.decodeIfPresent(TencentChatInteger.self, forKey: .viewCount))?.value
    }
}

/// An integer sent as a JSON number or a string of digits.
struct TencentChatInteger: Decodable {
    let value: Int64

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            value = number
        } else if let text = try? container.decode(String.self), let number = Int64(text) {
            value = number
        } else {
            throw DecodingError.typeMismatch(
                Int64.self, .init(codingPath: decoder.codingPath, debugDescription: "expected an integer"))
        }
    }
}

/// One `Category` tag, a number or a string, kept as the JSON text it was.
struct TencentChatCategory: Decodable {
    let jsonText: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            jsonText = String(number)
        } else if let text = try? container.decode(String.self) {
            jsonText = JSONText.quote(text)
        } else if let number = try? container.decode(Double.self), number.isFinite {
            jsonText = String(number)
        } else {
            throw DecodingError.typeMismatch(
                String.self, .init(codingPath: decoder.codingPath, debugDescription: "expected a number or a string"))
        }
    }
}
