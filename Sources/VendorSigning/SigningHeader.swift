import Foundation

/// One HTTP header field (name and value) produced by a signer; a Sendable, Equatable stand-in for a `(String, String)` tuple.
public struct SigningHeader: Sendable, Equatable, Hashable {
    /// The header name, as it is sent.
    public var name: String
    /// The header value.
    public var value: String

    /// Creates a header field.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
