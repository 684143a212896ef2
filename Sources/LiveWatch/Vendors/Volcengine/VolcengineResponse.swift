import Foundation

/// JSON coding for Volcengine's UpperCamelCase keys (`RequestId`, `CodeN`,
/// `TmpUrl`): Swift properties are the same names with a lowercase first letter.
enum VolcengineJSON {
    /// A decoder mapping `RequestId` to `requestId`.
    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in
            let key = path.last?.stringValue ?? ""
            return AnyKey(key.prefix(1).lowercased() + key.dropFirst())
        }
        return decoder
    }

    /// An encoder mapping `activityId` to `ActivityId`; keys sorted, slashes and non-ASCII left alone.
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .custom { path in
            let key = path.last?.stringValue ?? ""
            return AnyKey(key.prefix(1).uppercased() + key.dropFirst())
        }
        return encoder
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// The envelope's `ResponseMetadata`, decoded on its own so an error is
/// readable even when `Result` is malformed.
struct VolcengineMetadataEnvelope: Decodable {
    struct Metadata: Decodable {
        var requestId: String?
        var action: String?
        var error: ErrorBody?
    }

    /// `ResponseMetadata.Error`.
    struct ErrorBody: Decodable {
        var codeN: FlexibleString?
        var code: String?
        var message: String?
    }

    var responseMetadata: Metadata?
}

/// The envelope's `Result`, typed per action.
struct VolcengineResultEnvelope<Body: Decodable>: Decodable {
    var result: Body?
}

/// `GetCustomViewingRestrictionInfoAPI`'s `Result`.
struct VolcengineRestrictionResult: Decodable {
    struct Entry: Decodable {
        var viewingRestrictionType: FlexibleString?
        var customApp: String?
        var customUrl: String?
        var secretKey: String?
        var errorRedirectUrl: String?
    }

    var activityId: FlexibleString?
    var customViewingRestriction: [Entry]?
    var mainViewingRestrictionButtonTitle: String?
    var subViewingRestrictionButtonTitle: String?
}

/// `GetDownloadLiveClient`'s `Result`.
struct VolcengineLinkResult: Decodable {
    var url: String?
    var tmpUrl: String?
    var expireTime: FlexibleString?
}

/// `GetDownloadLiveClient`'s JSON body.
struct VolcengineLinkRequestBody: Encodable {
    var activityId: Int64
    var loginType: Int
    var userName: String?
}
