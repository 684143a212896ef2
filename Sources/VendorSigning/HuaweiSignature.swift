import Foundation

/// The result of signing one request with ``HuaweiSigner``.
public struct HuaweiSignature: Sendable, Equatable {
    /// The canonical request (`METHOD\nURI\nQUERY\nHEADERS\n\nSIGNED\nHASH`).
    public var canonicalRequest: String
    /// `SDK-HMAC-SHA256\n<X-Sdk-Date>\n<hex SHA-256 of canonicalRequest>`.
    public var stringToSign: String
    /// Lowercased, sorted, `;`-joined signed header names.
    public var signedHeaders: String
    /// Lowercase hex HMAC-SHA256 signature.
    public var signature: String
    /// The `Authorization` header value.
    public var authorization: String
    /// The canonical URI (always ends in `/`). Not for the wire: the request
    /// line keeps the original path.
    public var canonicalURI: String
    /// The canonical query string; send exactly this as the URL query.
    public var canonicalQuery: String
    /// The payload hash used in the canonical request.
    public var payloadHash: String
    /// All headers to send, in order: the caller's headers (minus any
    /// `X-Sdk-Date`/`Authorization`), then `X-Sdk-Date`, `Host` (if the caller
    /// gave none) and `Authorization`.
    public var headers: [SigningHeader]
}
