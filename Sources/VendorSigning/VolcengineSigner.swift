import Crypto
import Foundation

/// Volcengine OpenAPI request signing (V4 `HMAC-SHA256`, as in the
/// `volcengine` 1.0.229 Python SDK `SignerV4`).
///
/// Signed headers are exactly those named `Content-Type`, `Content-Md5`,
/// `Host` or starting with `X-` (case-sensitive), lowercased and sorted; a
/// `Host` ending in `:80`/`:443` is signed without the port. The signing key is
/// derived as `HMAC(HMAC(HMAC(HMAC(SK, date), region), service), "request")`
/// with no prefix.
public struct VolcengineSigner: Sendable {
    /// The access key ID.
    public let accessKey: String
    private let secretKey: String
    /// The region, e.g. `cn-north-1`.
    public let region: String
    /// The service, e.g. `livesaas`.
    public let service: String
    private let securityToken: String?

    /// The constant `HMAC-SHA256` algorithm name.
    public static let algorithm = "HMAC-SHA256"

    /// The `Content-Type` the SDK adds to non-GET requests that have none.
    public static let defaultFormContentType = "application/x-www-form-urlencoded; charset=utf-8"

    /// Creates a signer.
    ///
    /// - Parameters:
    ///   - accessKey: the access key ID.
    ///   - secretKey: the secret access key (UTF-8); never exposed.
    ///   - region: the region, e.g. `cn-north-1`.
    ///   - service: the service, e.g. `livesaas`.
    ///   - securityToken: an optional STS token, sent (and signed) as `X-Security-Token`.
    public init(accessKey: String, secretKey: String, region: String, service: String, securityToken: String? = nil) {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.region = region
        self.service = service
        self.securityToken = securityToken
    }

    /// Signs a request at `date`.
    ///
    /// - Parameters:
    ///   - method: the HTTP method (uppercased for signing).
    ///   - host: the `Host` value, e.g. `livesaas.volcengineapi.com`.
    ///   - path: the unencoded path (`/` when empty).
    ///   - query: raw query pairs, including `Action` and `Version`.
    ///   - headers: additional headers (e.g. `Content-Type`, `Accept`).
    ///   - body: the exact body bytes.
    ///   - date: the signing time (the caller supplies the clock).
    /// - Returns: the signature and the headers to send.
    public func sign(
        method: String, host: String, path: String, query: [(String, String)],
        headers: [(String, String)], body: [UInt8], date: Date
    ) -> VolcengineSignature {
        sign(
            method: method, host: host, path: path, query: query, headers: headers, body: body,
            xDate: Self.xDate(date))
    }

    /// Signs a request with an explicit `X-Date` value.
    ///
    /// Caller headers named `Host`, `X-Date`, `X-Content-Sha256`,
    /// `X-Security-Token` or `Authorization` (any case) are replaced by the
    /// signer's own. A non-GET request without `Content-Type` gets
    /// ``defaultFormContentType`` like the SDK. Duplicate names keep the last value.
    ///
    /// - Parameters:
    ///   - method: the HTTP method (uppercased for signing).
    ///   - host: the `Host` value.
    ///   - path: the unencoded path (`/` when empty).
    ///   - query: raw query pairs, including `Action` and `Version`.
    ///   - headers: additional headers.
    ///   - body: the exact body bytes.
    ///   - xDate: `yyyyMMdd'T'HHmmss'Z'` in UTC; its first 8 characters form the scope date.
    /// - Returns: the signature and the headers to send.
    public func sign(
        method: String, host: String, path: String, query: [(String, String)],
        headers: [(String, String)], body: [UInt8], xDate: String
    ) -> VolcengineSignature {
        let upperMethod = method.uppercased()
        let reserved: Set<String> = ["host", "x-date", "x-content-sha256", "x-security-token", "authorization"]
        var contentType: SigningHeader?
        var others: [SigningHeader] = []
        for (name, value) in headers {
            let lower = name.lowercased()
            if reserved.contains(lower) { continue }
            if lower == "content-type" {
                contentType = SigningHeader(name: "Content-Type", value: value)
                continue
            }
            others.removeAll { $0.name.lowercased() == lower }
            others.append(SigningHeader(name: name, value: value))
        }
        if contentType == nil, upperMethod != "GET" {
            contentType = SigningHeader(name: "Content-Type", value: Self.defaultFormContentType)
        }

        let bodyHash = SigningSupport.hex(SHA256.hash(data: body))
        var sent: [SigningHeader] = [
            SigningHeader(name: "Host", value: host),
            SigningHeader(name: "X-Date", value: xDate),
            SigningHeader(name: "X-Content-Sha256", value: bodyHash),
        ]
        if let contentType { sent.append(contentType) }
        if let securityToken { sent.append(SigningHeader(name: "X-Security-Token", value: securityToken)) }
        sent.append(contentsOf: others)

        var signed: [(name: String, value: String)] = []
        for field in sent where Self.isSignedHeaderName(field.name) {
            var value = field.value
            if field.name == "Host" {
                value = Self.stripDefaultPort(value)
            }
            signed.append((field.name.lowercased(), value))
        }
        signed.sort { PercentEncoding.codePointLess($0.name, $1.name) }
        let signedHeaders = signed.map(\.name).joined(separator: ";")
        let canonicalHeaders = signed.map { $0.name + ":" + $0.value + "\n" }.joined()

        let canonicalURI = path.isEmpty ? "/" : PercentEncoding.encode(path, keepSlash: true)
        let canonicalQuery = PercentEncoding.canonicalQuery(query, sortValues: false)
        let canonicalRequest =
            upperMethod + "\n" + canonicalURI + "\n" + canonicalQuery + "\n"
            + canonicalHeaders + "\n" + signedHeaders + "\n" + bodyHash

        let shortDate = String(xDate.prefix(8))
        let credentialScope = shortDate + "/" + region + "/" + service + "/request"
        let stringToSign =
            Self.algorithm + "\n" + xDate + "\n" + credentialScope + "\n"
            + SigningSupport.hex(SHA256.hash(data: Array(canonicalRequest.utf8)))

        let kDate = Self.hmac(key: Array(secretKey.utf8), message: shortDate)
        let kRegion = Self.hmac(key: kDate, message: region)
        let kService = Self.hmac(key: kRegion, message: service)
        let kSigning = Self.hmac(key: kService, message: "request")
        let signature = SigningSupport.hex(Self.hmac(key: kSigning, message: stringToSign))
        let authorization =
            Self.algorithm + " Credential=" + accessKey + "/" + credentialScope
            + ", SignedHeaders=" + signedHeaders + ", Signature=" + signature
        sent.append(SigningHeader(name: "Authorization", value: authorization))

        return VolcengineSignature(
            canonicalRequest: canonicalRequest, stringToSign: stringToSign,
            credentialScope: credentialScope, signedHeaders: signedHeaders,
            signature: signature, authorization: authorization,
            canonicalURI: canonicalURI, canonicalQuery: canonicalQuery,
            contentSHA256: bodyHash, headers: sent)
    }

    /// The `X-Date` value for `date`: UTC `yyyyMMdd'T'HHmmss'Z'` (Gregorian
    /// calendar, fractional seconds truncated).
    ///
    /// - Parameter date: the signing time (the caller supplies the clock).
    /// - Returns: e.g. `20240910T083000Z`.
    public static func xDate(_ date: Date) -> String {
        SigningSupport.basicISO8601(date)
    }

    /// Whether the SDK signs a header of this exact (case-sensitive) name.
    static func isSignedHeaderName(_ name: String) -> Bool {
        name == "Content-Type" || name == "Content-Md5" || name == "Host" || name.hasPrefix("X-")
    }

    static func stripDefaultPort(_ host: String) -> String {
        for suffix in [":80", ":443"] where host.hasSuffix(suffix) {
            return String(host.dropLast(suffix.count))
        }
        return host
    }

    private static func hmac(key: [UInt8], message: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: key)))
    }
}
