/// Removes known secret values from text bound for a log, an error or the database.
public struct Redactor: Sendable {
    private let secrets: [String]

    /// `secrets` shorter than 4 characters are ignored (they would mangle ordinary text).
    public init(_ secrets: [String]) {
        self.secrets = secrets.filter { $0.count >= 4 }.sorted { $0.count > $1.count }
    }

    /// `text` with every known secret replaced by `<redacted>`.
    public func callAsFunction(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: "<redacted>")
        }
        return result
    }
}
