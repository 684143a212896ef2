import Foundation

/// Why a poll failed, as recorded in `polls`. Messages never hold a secret.
public struct PollFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// Broad class of failure, which drives retry behaviour.
    public enum Kind: String, Sendable {
        /// No response: connection, timeout, body too large.
        case transport
        /// An HTTP error status without a vendor error in the body.
        case http
        /// The vendor answered with its own error code.
        case vendor
        /// The vendor rejected our credentials or signature.
        case authentication
        /// The vendor asked us to slow down.
        case rateLimited
        /// The body could not be understood (HTML, truncated JSON, missing fields).
        case invalidResponse
        /// Local failure (storage, configuration).
        case local
    }

    public var kind: Kind
    /// The vendor's error code (`polls.error_code`), or a short local code.
    public var code: String?
    public var message: String
    /// How long the vendor asked us to wait, if it did.
    public var retryAfter: Double?

    /// The failure of an exchange that got no response; `context` (if any) starts the message.
    public init(transport error: HTTPTransportError, context: String? = nil) {
        let message = context.map { "\($0): \(error.description)" } ?? error.description
        self.init(kind: .transport, code: error.code, message: message)
    }

    public init(kind: Kind, code: String? = nil, message: String, retryAfter: Double? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String {
        if let code { return "\(kind.rawValue) error \(code): \(message)" }
        return "\(kind.rawValue) error: \(message)"
    }
}
