import Foundation

@testable import LiveWatch

// The Codable decoding that `TencentChatClient.parse` used before `JSONReader`, kept as the reference the new
// reader is proven equal to (`TencentChatParseEquivalenceTests`). Not used by the daemon.

/// `TencentChatClient.parse` as it was, on `JSONDecoder`.
enum ReferenceTencentChatParse {
    static func parse(_ response: IncomingResponse) -> TencentChatClient.Exchange {
        let data = Data(response.body)
        let envelope: ReferenceTencentChatEnvelope
        do {
            envelope = try JSONDecoder().decode(ReferenceTencentChatEnvelope.self, from: data)
        } catch {
            // The status fields may still be readable when `Response` is not.
            let status = try? JSONDecoder().decode(ReferenceTencentChatStatus.self, from: data)
            if let status, let failed = vendorError(status) {
                return .init(httpStatus: response.status, requestID: status.requestID, answer: failed)
            }
            return .init(
                httpStatus: response.status, requestID: status?.requestID,
                answer: .failure(
                    TencentChatClient.unreadable(
                        response, reason: status == nil ? nil : "its Response cannot be read")))
        }
        let status = envelope.status
        if let failed = vendorError(status) {
            return .init(httpStatus: response.status, requestID: status.requestID, answer: failed)
        }
        guard status.actionStatus == "OK" else {
            return .init(
                httpStatus: response.status, requestID: status.requestID,
                answer: .failure(
                    TencentChatClient.unreadable(
                        response, reason: status.actionStatus == nil ? nil : "its ActionStatus is not OK or FAIL")))
        }
        guard let page = envelope.response, let next = page.next else {
            return .init(
                httpStatus: response.status, requestID: status.requestID,
                answer: .failure(
                    PollFailure(
                        kind: .invalidResponse, code: "missing_field",
                        message: "Tencent Chat answer lacks Response.Next")))
        }
        var rooms: [LiveRoom] = []
        for (index, entry) in (page.roomList ?? []).enumerated() {
            guard let roomID = entry.roomID, !roomID.isEmpty else {
                return .init(
                    httpStatus: response.status, requestID: status.requestID,
                    answer: .failure(
                        PollFailure(
                            kind: .invalidResponse, code: "missing_field",
                            message: "Tencent Chat RoomList[\(index)] has no RoomId")))
            }
            rooms.append(
                LiveRoom(
                    roomID: roomID, roomName: entry.roomName, ownerAccount: entry.ownerAccount,
                    coverURL: entry.coverURL, categories: entry.categories, createTime: entry.createTime,
                    activityStatus: entry.activityStatus, viewCount: entry.viewCount))
        }
        return .init(
            httpStatus: response.status, requestID: status.requestID,
            answer: .page(TencentChatClient.Page(next: next, rooms: rooms)))
    }

    static func vendorError(_ status: ReferenceTencentChatStatus) -> TencentChatClient.Answer? {
        let code = status.errorCode ?? 0
        guard status.actionStatus == "FAIL" || code != 0 else { return nil }
        let info = String((status.errorInfo ?? "").prefix(300))
        return .vendorError(code: code, info: info)
    }
}

/// The Tencent Cloud Chat REST envelope of `get_room_list`:
/// `{ActionStatus, ErrorInfo, ErrorCode, RequestId, Response: {Next, RoomList}}`.
struct ReferenceTencentChatEnvelope: Decodable {
    struct Page: Decodable {
        var next: String?
        var roomList: [ReferenceTencentChatRoom]?

        enum CodingKeys: String, CodingKey {
            case next = "Next"
            case roomList = "RoomList"
        }
    }

    var status: ReferenceTencentChatStatus
    var response: Page?

    enum CodingKeys: String, CodingKey {
        case response = "Response"
    }

    init(from decoder: any Decoder) throws {
        status = try ReferenceTencentChatStatus(from: decoder)
        response = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Page.self, forKey: .response)
    }
}

/// The fields of the envelope that identify an answer: read on their own too, for a body whose
/// `Response` is unreadable.
struct ReferenceTencentChatStatus: Decodable {
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
struct ReferenceTencentChatRoom: Decodable {
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
        categories = (try? container.decodeIfPresent([ReferenceTencentChatCategory].self, forKey: .category)).map {
            list in
            "[" + list.map(\.jsonText).joined(separator: ",") + "]"
        }
        createTime = (try? container.decodeIfPresent(ReferenceTencentChatInteger.self, forKey: .createTime))?.value
        activityStatus =
            (try? container.decodeIfPresent(ReferenceTencentChatInteger.self, forKey: .activityStatus))?.value
        viewCount = (try? container.decodeIfPresent(ReferenceTencentChatInteger.self, forKey: .viewCount))?.value
    }
}

/// An integer sent as a JSON number or a string of digits.
struct ReferenceTencentChatInteger: Decodable {
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
struct ReferenceTencentChatCategory: Decodable {
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
