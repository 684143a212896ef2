import CZlib
import Crypto
import Foundation

/// Errors thrown by ``TencentUserSig``.
///
/// Descriptions never include the secret key, the UserSig or the embedded
/// `TLS.sig` value.
public enum TencentUserSigError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// The UserSig could not be decoded (bad base64, not zlib data, output too
    /// large, not JSON, or missing/invalid fields). The reason is a fixed phrase.
    case malformed(reason: String)
    /// The embedded HMAC does not match the one computed with the given key.
    case badSignature
    /// The UserSig expired at `expiredAt` (Unix seconds), before `now`.
    case expired(expiredAt: Int64, now: Int64)
    /// The UserSig was issued for another SDKAppID than the expected one.
    case mismatch(expectedSDKAppID: UInt64, actualSDKAppID: UInt64)
    /// zlib failed to compress the JSON while generating a UserSig.
    case compressionFailed(code: Int32)

    /// A human-readable description without any secret material.
    public var description: String {
        switch self {
        case .malformed(let reason):
            return "malformed UserSig: \(reason)"
        case .badSignature:
            return "UserSig signature does not verify with the configured key"
        case .expired(let expiredAt, let now):
            return "UserSig expired at \(expiredAt) (now \(now))"
        case .mismatch(let expected, let actual):
            return "UserSig SDKAppID \(actual) does not match expected \(expected)"
        case .compressionFailed(let code):
            return "zlib compression of UserSig failed (code \(code))"
        }
    }

    /// Same text as ``description``; contains no secret material.
    public var errorDescription: String? { description }
}

/// Tencent Cloud Chat UserSig (TLSSigAPIv2), byte-compatible with the official
/// `tls-sig-api-v2` Python SDK.
///
/// `TLS.sig = base64(HMAC-SHA256(key: UTF-8 secret, msg: content))`, embedded in
/// a JSON object written exactly like Python `json.dumps`, zlib-compressed
/// (level 6), base64-encoded and made URL-safe with `+`→`*`, `/`→`-`, `=`→`_`.
public enum TencentUserSig {
    /// The fields recovered from a verified UserSig.
    public struct Decoded: Sendable, Equatable {
        /// The user identifier (`TLS.identifier`).
        public var identifier: String
        /// The application ID (`TLS.sdkappid`).
        public var sdkAppID: UInt64
        /// Issue time in Unix seconds (`TLS.time`).
        public var time: Int64
        /// Validity in seconds after `time` (`TLS.expire`).
        public var expire: Int64

        /// Creates a decoded UserSig value.
        public init(identifier: String, sdkAppID: UInt64, time: Int64, expire: Int64) {
            self.identifier = identifier
            self.sdkAppID = sdkAppID
            self.time = time
            self.expire = expire
        }
    }

    /// Upper bound for the inflated JSON of a UserSig being verified.
    static let maxInflatedBytes = 64 * 1024

    /// The text that is HMAC-signed:
    /// `TLS.identifier:<id>\nTLS.sdkappid:<app>\nTLS.time:<t>\nTLS.expire:<e>\n`.
    ///
    /// - Parameters:
    ///   - identifier: the user identifier.
    ///   - sdkAppID: the application ID.
    ///   - time: issue time, Unix seconds.
    ///   - expire: validity in seconds.
    /// - Returns: the content to sign.
    public static func contentToSign(identifier: String, sdkAppID: UInt64, time: Int64, expire: Int64) -> String {
        content(
            identifier: identifier, sdkAppID: String(sdkAppID), time: String(time), expire: String(expire),
            userBuffer: nil)
    }

    /// The JSON text exactly as Python `json.dumps` (default settings) writes it:
    /// key order `TLS.ver, TLS.identifier, TLS.sdkappid, TLS.expire, TLS.time, TLS.sig`,
    /// separators `", "` / `": "`, non-ASCII escaped as `\uXXXX` (lowercase hex,
    /// surrogate pairs above U+FFFF), `/` not escaped.
    ///
    /// - Parameters:
    ///   - identifier: the user identifier.
    ///   - sdkAppID: the application ID.
    ///   - time: issue time, Unix seconds.
    ///   - expire: validity in seconds.
    ///   - signature: the standard-base64 `TLS.sig` value.
    /// - Returns: the JSON text.
    public static func jsonText(identifier: String, sdkAppID: UInt64, time: Int64, expire: Int64, signature: String)
        -> String
    {
        "{\"TLS.ver\": \"2.0\", \"TLS.identifier\": " + pythonJSONString(identifier)
            + ", \"TLS.sdkappid\": " + String(sdkAppID)
            + ", \"TLS.expire\": " + String(expire)
            + ", \"TLS.time\": " + String(time)
            + ", \"TLS.sig\": " + pythonJSONString(signature) + "}"
    }

    /// Generates a UserSig.
    ///
    /// - Parameters:
    ///   - secretKey: the app's secret key string (its UTF-8 bytes are the HMAC key; not hex-decoded).
    ///   - sdkAppID: the application ID.
    ///   - identifier: the user identifier (for REST calls: the app admin account).
    ///   - time: issue time, Unix seconds (the caller supplies the clock).
    ///   - expire: validity in seconds (the SDK default is 180 days = 15552000).
    /// - Returns: the URL-safe UserSig string.
    /// - Throws: ``TencentUserSigError/compressionFailed(code:)`` if zlib fails.
    public static func generate(secretKey: String, sdkAppID: UInt64, identifier: String, time: Int64, expire: Int64)
        throws -> String
    {
        let content = contentToSign(identifier: identifier, sdkAppID: sdkAppID, time: time, expire: expire)
        let signature = hmacBase64(key: secretKey, message: content)
        let json = jsonText(
            identifier: identifier, sdkAppID: sdkAppID, time: time, expire: expire, signature: signature)
        let compressed = try compress(Array(json.utf8))
        return urlSafe(Data(compressed).base64EncodedString())
    }

    /// Decodes and verifies a UserSig.
    ///
    /// Checks, in order: structure, HMAC (constant-time compare), SDKAppID (when
    /// `sdkAppID` is given), expiry (`now <= time + expire`).
    ///
    /// - Parameters:
    ///   - userSig: the URL-safe UserSig.
    ///   - secretKey: the secret key string.
    ///   - sdkAppID: the expected application ID, or `nil` to accept any.
    ///   - now: the current time in Unix seconds (the caller supplies the clock).
    /// - Returns: the decoded fields.
    /// - Throws: ``TencentUserSigError``.
    public static func verify(userSig: String, secretKey: String, sdkAppID: UInt64?, now: Int64) throws -> Decoded {
        let object = try decodeJSONObject(userSig)

        guard let identifier = object["TLS.identifier"] as? String else {
            throw TencentUserSigError.malformed(reason: "missing or invalid TLS.identifier")
        }
        guard let appID = unsignedValue(object["TLS.sdkappid"]) else {
            throw TencentUserSigError.malformed(reason: "missing or invalid TLS.sdkappid")
        }
        guard let time = signedValue(object["TLS.time"]) else {
            throw TencentUserSigError.malformed(reason: "missing or invalid TLS.time")
        }
        guard let expire = signedValue(object["TLS.expire"]) else {
            throw TencentUserSigError.malformed(reason: "missing or invalid TLS.expire")
        }
        guard let embedded = object["TLS.sig"] as? String,
            let embeddedMAC = Data(base64Encoded: embedded)
        else {
            throw TencentUserSigError.malformed(reason: "missing or invalid TLS.sig")
        }
        var userBuffer: String?
        if let buffer = object["TLS.userbuf"] {
            guard let text = buffer as? String else {
                throw TencentUserSigError.malformed(reason: "invalid TLS.userbuf")
            }
            userBuffer = text
        }

        let content = content(
            identifier: identifier, sdkAppID: String(appID), time: String(time),
            expire: String(expire), userBuffer: userBuffer)
        let key = SymmetricKey(data: Array(secretKey.utf8))
        guard HMAC<SHA256>.isValidAuthenticationCode(embeddedMAC, authenticating: Array(content.utf8), using: key)
        else {
            throw TencentUserSigError.badSignature
        }
        if let expected = sdkAppID, expected != appID {
            throw TencentUserSigError.mismatch(expectedSDKAppID: expected, actualSDKAppID: appID)
        }
        let (expiresAt, overflow) = time.addingReportingOverflow(expire)
        if !overflow, now > expiresAt {
            throw TencentUserSigError.expired(expiredAt: expiresAt, now: now)
        }
        return Decoded(identifier: identifier, sdkAppID: appID, time: time, expire: expire)
    }

    // MARK: - Internals

    static func content(identifier: String, sdkAppID: String, time: String, expire: String, userBuffer: String?)
        -> String
    {
        var text =
            "TLS.identifier:" + identifier + "\n"
            + "TLS.sdkappid:" + sdkAppID + "\n"
            + "TLS.time:" + time + "\n"
            + "TLS.expire:" + expire + "\n"
        if let userBuffer {
            text += "TLS.userbuf:" + userBuffer + "\n"
        }
        return text
    }

    static func hmacBase64(key: String, message: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: Array(key.utf8)))
        return Data(mac).base64EncodedString()
    }

    /// A JSON string literal as Python's `json.dumps` (ensure_ascii=True) writes it.
    static func pythonJSONString(_ value: String) -> String {
        let hex: [Character] = Array("0123456789abcdef")
        var out = "\""
        for unit in value.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x20...0x7E:
                out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default:
                out += "\\u"
                out.append(hex[Int(unit >> 12 & 0xF)])
                out.append(hex[Int(unit >> 8 & 0xF)])
                out.append(hex[Int(unit >> 4 & 0xF)])
                out.append(hex[Int(unit & 0xF)])
            }
        }
        out += "\""
        return out
    }

    static func urlSafe(_ base64: String) -> String {
        String(
            base64.map { character -> Character in
                switch character {
                case "+": return "*"
                case "/": return "-"
                case "=": return "_"
                default: return character
                }
            })
    }

    static func standardBase64(fromURLSafe text: String) -> String {
        var result = String(
            text.map { character -> Character in
                switch character {
                case "*": return "+"
                case "-": return "/"
                case "_": return "="
                default: return character
                }
            })
        let remainder = result.utf8.count % 4
        if remainder != 0 {
            result += String(repeating: "=", count: 4 - remainder)
        }
        return result
    }

    static func compress(_ input: [UInt8]) throws -> [UInt8] {
        var destinationLength = compressBound(uLong(input.count))
        var output = [UInt8](repeating: 0, count: Int(destinationLength))
        let status = output.withUnsafeMutableBufferPointer { destination -> Int32 in
            input.withUnsafeBufferPointer { source -> Int32 in
                guard let destinationBase = destination.baseAddress, let sourceBase = source.baseAddress else {
                    return Z_BUF_ERROR
                }
                return compress2(destinationBase, &destinationLength, sourceBase, uLong(source.count), 6)
            }
        }
        guard status == Z_OK else {
            throw TencentUserSigError.compressionFailed(code: status)
        }
        return Array(output.prefix(Int(destinationLength)))
    }

    static func inflate(_ input: [UInt8]) throws -> [UInt8] {
        guard !input.isEmpty else {
            throw TencentUserSigError.malformed(reason: "empty payload")
        }
        var destinationLength = uLong(maxInflatedBytes)
        var output = [UInt8](repeating: 0, count: maxInflatedBytes)
        let status = output.withUnsafeMutableBufferPointer { destination -> Int32 in
            input.withUnsafeBufferPointer { source -> Int32 in
                guard let destinationBase = destination.baseAddress, let sourceBase = source.baseAddress else {
                    return Z_BUF_ERROR
                }
                return uncompress(destinationBase, &destinationLength, sourceBase, uLong(source.count))
            }
        }
        guard status == Z_OK else {
            throw TencentUserSigError.malformed(
                reason: status == Z_BUF_ERROR
                    ? "compressed payload truncated or too large" : "payload is not valid zlib data")
        }
        return Array(output.prefix(Int(destinationLength)))
    }

    static func decodeJSONObject(_ userSig: String) throws -> [String: Any] {
        let base64 = standardBase64(fromURLSafe: userSig.trimmingCharacters(in: .whitespacesAndNewlines))
        guard !base64.isEmpty, let compressed = Data(base64Encoded: base64) else {
            throw TencentUserSigError.malformed(reason: "not valid base64")
        }
        let json = try inflate(Array(compressed))
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(json), options: [])
        } catch {
            throw TencentUserSigError.malformed(reason: "payload is not valid JSON")
        }
        guard let object = parsed as? [String: Any] else {
            throw TencentUserSigError.malformed(reason: "payload is not a JSON object")
        }
        return object
    }

    static func signedValue(_ value: Any?) -> Int64? {
        guard let value else { return nil }
        if let number = value as? Int64 { return number }
        if let number = value as? Int { return Int64(number) }
        if let number = value as? Double { return Int64(exactly: number) }
        return nil
    }

    static func unsignedValue(_ value: Any?) -> UInt64? {
        guard let value else { return nil }
        if let number = value as? UInt64 { return number }
        if let number = value as? Int, number >= 0 { return UInt64(number) }
        if let number = value as? Double { return UInt64(exactly: number) }
        return nil
    }
}
