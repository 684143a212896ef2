import Crypto
import Foundation

/// Polyv live API request signing (the `sign` query parameter).
///
/// Algorithm (Polyv Java SDK `LiveSignUtil` and the "buildsign" doc page):
/// drop parameters whose value is blank by Java `String.trim()` rules
/// (every UTF-16 unit ≤ U+0020), sort names by UTF-16 code units (Java
/// `String.compareTo`), concatenate `name + value` pairs without separators,
/// wrap with the app secret on both sides and take the uppercase hex MD5.
/// A parameter named `sign` is never part of the signed set.
public enum PolyvSigner {
    /// The sorted `name1value1name2value2…` concatenation of the signed parameters.
    ///
    /// - Parameter params: raw (not URL-encoded) request parameters; blank values and
    ///   any `sign` key are excluded; kept values are used untrimmed.
    /// - Returns: the concatenation, e.g. `appIdg4rq…timestamp1660270926732`.
    public static func concatenation(_ params: [String: String]) -> String {
        let kept = params.filter { name, value in name != "sign" && !isJavaBlank(value) }
        let names = kept.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
        var result = ""
        for name in names {
            result += name
            result += kept[name] ?? ""
        }
        return result
    }

    /// The text that is hashed: `appSecret + concatenation(params) + appSecret`.
    ///
    /// - Parameters:
    ///   - params: raw request parameters (see ``concatenation(_:)``).
    ///   - appSecret: the Polyv app secret.
    /// - Returns: the plain text fed to MD5.
    public static func plainText(_ params: [String: String], appSecret: String) -> String {
        appSecret + concatenation(params) + appSecret
    }

    /// The `sign` value: uppercase hex MD5 of the UTF-8 plain text (32 characters).
    ///
    /// - Parameters:
    ///   - params: raw request parameters, normally including `appId` and `timestamp`.
    ///   - appSecret: the Polyv app secret.
    /// - Returns: 32 uppercase hex characters.
    public static func sign(_ params: [String: String], appSecret: String) -> String {
        let digest = Insecure.MD5.hash(data: Array(plainText(params, appSecret: appSecret).utf8))
        return SigningSupport.hex(digest, uppercase: true)
    }

    /// The `timestamp` parameter: milliseconds since the Unix epoch, truncated
    /// (13 digits for present-day dates).
    ///
    /// - Parameter date: the moment of the request (the caller supplies the clock).
    /// - Returns: the decimal millisecond count.
    public static func timestampMilliseconds(_ date: Date) -> String {
        // Round to whole microseconds first so that a date built from an exact
        // millisecond value is not truncated one millisecond low by binary
        // floating-point error.
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        guard micros.isFinite else { return "0" }
        let limit = 9.0e18
        let clamped = min(max(micros, -limit), limit)
        let millis = (clamped / 1000).rounded(.down)
        return String(Int64(millis))
    }

    /// Java `String.trim().isEmpty()`: true when every UTF-16 unit is ≤ U+0020.
    static func isJavaBlank(_ value: String) -> Bool {
        value.utf16.allSatisfy { $0 <= 0x20 }
    }
}
