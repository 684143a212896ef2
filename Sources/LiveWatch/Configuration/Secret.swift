import Crypto
import Foundation

/// A resolved secret value. It prints as `<redacted>`, so interpolating it
/// into a log line or an error by mistake leaks nothing.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    private let value: String

    public init(_ value: String) { self.value = value }

    /// The secret itself, for a signer. Never log what this returns.
    public func reveal() -> String { value }

    /// `sha256:` and the first 16 hex digits of the SHA-256 of the value: what may be stored.
    public var fingerprint: String { Self.fingerprint(of: value) }

    /// The fingerprint of any secret text (INTERFACES section 4).
    public static func fingerprint(of text: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var result = Array("sha256:".utf8)
        for byte in SHA256.hash(data: Data(text.utf8)).prefix(8) {
            result.append(digits[Int(byte >> 4)])
            result.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: result, as: UTF8.self)
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
