import Crypto
import Foundation

/// Huawei Cloud AK/SK request signing (`SDK-HMAC-SHA256`, as in
/// `huaweicloudsdkcore` 3.1.219 `signer.py`).
///
/// Every header present is signed except names containing `_`; no key
/// derivation or credential scope is used.
public struct HuaweiSigner: Sendable {
    /// The access key (AK).
    public let accessKey: String
    private let secretKey: String

    /// The constant `SDK-HMAC-SHA256` algorithm name.
    public static let algorithm = "SDK-HMAC-SHA256"

    /// Hex SHA-256 of the empty string, used as payload hash for empty bodies.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Creates a signer.
    ///
    /// - Parameters:
    ///   - accessKey: the AK, sent in the `Authorization` header.
    ///   - secretKey: the SK, used (UTF-8) as HMAC key. Never exposed.
    public init(accessKey: String, secretKey: String) {
        self.accessKey = accessKey
        self.secretKey = secretKey
    }

    /// Signs a request given as a URL.
    ///
    /// The query is taken from the URL (percent-decoded into name/value pairs;
    /// `+` is kept literally) and re-encoded canonically; send
    /// ``HuaweiSignature/canonicalQuery`` as the query and the URL's original
    /// path. `Host` is the URL authority including an explicit port.
    ///
    /// - Parameters:
    ///   - method: the HTTP method (uppercased for signing).
    ///   - url: the full request URL.
    ///   - headers: the caller's headers (e.g. `X-Project-Id`, `Content-Type`).
    ///   - body: the exact body bytes (empty for GET).
    ///   - sdkDate: the `X-Sdk-Date` value (see ``sdkDate(_:)``).
    /// - Returns: the signature and the headers to send.
    public func sign(method: String, url: URL, headers: [(String, String)], body: [UInt8], sdkDate: String)
        -> HuaweiSignature
    {
        let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        var host = components?.percentEncodedHost ?? ""
        if host.contains(":"), !host.hasPrefix("[") {
            host = "[" + host + "]"
        }
        if let port = components?.port {
            host += ":" + String(port)
        }
        let query = (components?.percentEncodedQueryItems ?? []).map { item in
            (PercentEncoding.decode(item.name), PercentEncoding.decode(item.value ?? ""))
        }
        return sign(
            method: method, host: host, path: components?.percentEncodedPath ?? "/",
            query: query, headers: headers, body: body, sdkDate: sdkDate)
    }

    /// Signs a request given by its parts.
    ///
    /// - Parameters:
    ///   - method: the HTTP method (uppercased for signing).
    ///   - host: the `Host` value (authority incl. any port); used only if
    ///     `headers` has no `Host`.
    ///   - path: the request path as sent (may be percent-encoded; it is
    ///     percent-decoded and re-encoded per segment for the canonical URI).
    ///   - query: raw (unencoded) query pairs; repeat a name for list values.
    ///   - headers: the caller's headers. A caller `X-Sdk-Date` is replaced by
    ///     `sdkDate`; names containing `_` are sent but not signed; duplicate
    ///     names (case-insensitive) keep the last value.
    ///   - body: the exact body bytes.
    ///   - sdkDate: the `X-Sdk-Date` value, `yyyyMMdd'T'HHmmss'Z'` UTC.
    /// - Returns: the signature and the headers to send.
    public func sign(
        method: String, host: String, path: String, query: [(String, String)],
        headers: [(String, String)], body: [UInt8], sdkDate: String
    ) -> HuaweiSignature {
        var sent: [SigningHeader] = []
        for (name, value) in headers {
            let lower = name.lowercased()
            if lower == "x-sdk-date" || lower == "authorization" { continue }
            sent.removeAll { $0.name.lowercased() == lower }
            sent.append(SigningHeader(name: name, value: value))
        }
        sent.append(SigningHeader(name: "X-Sdk-Date", value: sdkDate))
        if !sent.contains(where: { $0.name.lowercased() == "host" }) {
            sent.append(SigningHeader(name: "Host", value: host))
        }

        var canonical: [(name: String, value: String)] = []
        for field in sent {
            let lower = field.name.lowercased()
            if lower.contains("_") { continue }
            canonical.append((lower, field.value.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        canonical.sort { PercentEncoding.codePointLess($0.name, $1.name) }
        let signedHeaders = canonical.map(\.name).joined(separator: ";")
        let canonicalHeaders = canonical.map { $0.name + ":" + $0.value + "\n" }.joined()

        let canonicalURI = Self.canonicalURI(path)
        let canonicalQuery = PercentEncoding.canonicalQuery(query, sortValues: true)

        let payloadHash: String
        if body.isEmpty {
            payloadHash = Self.emptyPayloadHash
        } else if let declared = sent.last(where: { $0.name.lowercased() == "x-sdk-content-sha256" }) {
            payloadHash = declared.value
        } else {
            payloadHash = SigningSupport.hex(SHA256.hash(data: body))
        }

        let canonicalRequest =
            method.uppercased() + "\n" + canonicalURI + "\n" + canonicalQuery + "\n"
            + canonicalHeaders + "\n" + signedHeaders + "\n" + payloadHash
        let stringToSign =
            Self.algorithm + "\n" + sdkDate + "\n"
            + SigningSupport.hex(SHA256.hash(data: Array(canonicalRequest.utf8)))
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array(stringToSign.utf8),
            using: SymmetricKey(data: Array(secretKey.utf8)))
        let signature = SigningSupport.hex(mac)
        let authorization =
            Self.algorithm + " Access=" + accessKey + ", SignedHeaders=" + signedHeaders
            + ", Signature=" + signature
        sent.append(SigningHeader(name: "Authorization", value: authorization))

        return HuaweiSignature(
            canonicalRequest: canonicalRequest, stringToSign: stringToSign,
            signedHeaders: signedHeaders, signature: signature, authorization: authorization,
            canonicalURI: canonicalURI, canonicalQuery: canonicalQuery,
            payloadHash: payloadHash, headers: sent)
    }

    /// The `X-Sdk-Date` value for `date`: UTC `yyyyMMdd'T'HHmmss'Z'`
    /// (Gregorian calendar, fractional seconds truncated).
    ///
    /// - Parameter date: the signing time (the caller supplies the clock).
    /// - Returns: e.g. `20250101T000000Z`.
    public static func sdkDate(_ date: Date) -> String {
        SigningSupport.basicISO8601(date)
    }

    /// The canonical URI: percent-decode the path, encode each `/`-separated
    /// segment, re-join and append `/` unless already present.
    static func canonicalURI(_ path: String) -> String {
        let segments = PercentEncoding.decode(path).split(separator: "/", omittingEmptySubsequences: false)
        let joined = segments.map { PercentEncoding.encode(String($0)) }.joined(separator: "/")
        return joined.hasSuffix("/") ? joined : joined + "/"
    }

    /// MetaStudio → custom-platform callback authentication (`x-hw-mss-secret`).
    ///
    /// `message = host + path + "?" + query-sorted-by-name + timeHex` (no scheme,
    /// no port; the query pieces keep their form from the URL, only re-ordered
    /// by name; without a query the `?` is omitted — unverified), and
    /// `secret = hex(HMAC-SHA256(key, message))`.
    ///
    /// - Parameters:
    ///   - key: the platform's auth key (`CustomPlatformAuthConfig.key`), UTF-8.
    ///   - url: the callback URL.
    ///   - timeHex: the `x-hw-mss-time` value (see ``mssTimeHex(_:)``).
    /// - Returns: the signed message and the lowercase hex secret.
    public static func mssSecret(key: String, url: URL, timeHex: String) -> (message: String, secret: String) {
        let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        let host = components?.percentEncodedHost ?? ""
        let path = components?.percentEncodedPath ?? ""
        var message = host + path
        if let query = components?.percentEncodedQuery, !query.isEmpty {
            let pieces = query.split(separator: "&", omittingEmptySubsequences: true).map(String.init)
            let sorted = pieces.enumerated().sorted { lhs, rhs in
                let left = mssName(lhs.element)
                let right = mssName(rhs.element)
                if !left.utf8.elementsEqual(right.utf8) { return PercentEncoding.codePointLess(left, right) }
                return lhs.offset < rhs.offset
            }
            message += "?" + sorted.map(\.element).joined(separator: "&")
        }
        message += timeHex
        let mac = HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: Array(key.utf8)))
        return (message, SigningSupport.hex(mac))
    }

    /// The `x-hw-mss-time` value: lowercase hex of whole Unix seconds.
    ///
    /// - Parameter date: the signing time (the caller supplies the clock).
    /// - Returns: e.g. `66df9308`.
    public static func mssTimeHex(_ date: Date) -> String {
        String(SigningSupport.unixSeconds(date), radix: 16, uppercase: false)
    }

    private static func mssName(_ piece: String) -> String {
        if let equals = piece.firstIndex(of: "=") {
            return String(piece[..<equals])
        }
        return piece
    }
}
