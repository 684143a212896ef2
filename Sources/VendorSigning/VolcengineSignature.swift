import Foundation

/// The result of signing one request with ``VolcengineSigner``.
public struct VolcengineSignature: Sendable, Equatable {
    /// The canonical request (`METHOD\nURI\nQUERY\nHEADERS\n\nSIGNED\nHASH`).
    public var canonicalRequest: String
    /// `HMAC-SHA256\n<X-Date>\n<scope>\n<hex SHA-256 of canonicalRequest>`.
    public var stringToSign: String
    /// The credential scope, `yyyyMMdd/<region>/<service>/request`.
    public var credentialScope: String
    /// Lowercased, sorted, `;`-joined signed header names.
    public var signedHeaders: String
    /// Lowercase hex signature.
    public var signature: String
    /// The `Authorization` header value.
    public var authorization: String
    /// The canonical URI (path encoded with `/` kept).
    public var canonicalURI: String
    /// The canonical query string; send exactly this as the URL query.
    public var canonicalQuery: String
    /// Hex SHA-256 of the body (also sent as `X-Content-Sha256`).
    public var contentSHA256: String
    /// All headers to send, in order: `Host`, `X-Date`, `X-Content-Sha256`,
    /// `Content-Type` (if any), `X-Security-Token` (if any), the caller's other
    /// headers, then `Authorization`.
    public var headers: [SigningHeader]
}
