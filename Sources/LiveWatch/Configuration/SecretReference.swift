import Foundation

/// Where a secret comes from: the configuration file itself, an environment
/// variable, a file, or a systemd credential.
public enum SecretReference: Sendable, Equatable {
    case literal(String)
    case environment(String)
    case file(String)
    case credential(String)

    /// What to read the secret from, for messages (never the secret).
    public var origin: String {
        switch self {
        case .literal: return "a literal value"
        case .environment(let name): return "environment variable \(name)"
        case .file(let path): return "file \(path)"
        case .credential(let name): return "credential \(name)"
        }
    }

    /// Reads the secret; the error message names the origin, never a value.
    public func resolve(environment: [String: String]) throws(SecretResolutionError) -> Secret {
        switch self {
        case .literal(let value):
            return try Self.checked(value, what: "the literal value")
        case .environment(let name):
            guard let value = environment[name] else {
                throw SecretResolutionError(message: "environment variable \(name) is not set")
            }
            return try Self.checked(value, what: "environment variable \(name)")
        case .file(let path):
            return try Self.read(path: path, what: "file \(path)")
        case .credential(let name):
            guard !name.contains("/"), !name.isEmpty, name != ".", name != ".." else {
                throw SecretResolutionError(message: "credential name \(name) must be a plain file name")
            }
            guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
                throw SecretResolutionError(
                    message:
                        "credential \(name) needs $CREDENTIALS_DIRECTORY (systemd LoadCredential=), which is not set")
            }
            return try Self.read(path: directory + "/" + name, what: "credential \(name)")
        }
    }

    private static func read(path: String, what: String) throws(SecretResolutionError) -> Secret {
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            // A secret is small; refuse to read something that is not.
            data = try handle.read(upToCount: 65_537) ?? Data()
        } catch {
            throw SecretResolutionError(message: "\(what) cannot be read")
        }
        guard data.count <= 65_536 else { throw SecretResolutionError(message: "\(what) is larger than 64 KiB") }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SecretResolutionError(message: "\(what) is not UTF-8 text")
        }
        return try checked(text, what: what)
    }

    /// The value with surrounding white space (spaces, tabs, CR, LF) trimmed, refused when it is
    /// empty or still holds a control character: such a value cannot be sent in an HTTP header, and
    /// the HTTP client's error would quote it. The message names where it came from, never the value.
    static func checked(_ text: String, what: String) throws(SecretResolutionError) -> Secret {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw SecretResolutionError(message: "\(what) is empty") }
        if trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw SecretResolutionError(
                message: "\(what) holds a control character (a line break, tab or similar) inside the value; "
                    + "a secret must be one line of printable text")
        }
        return Secret(trimmed)
    }
}

/// Why a secret could not be read (never containing the secret).
public struct SecretResolutionError: Error, Sendable {
    public let message: String
}
