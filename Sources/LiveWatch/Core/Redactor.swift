/// Removes known secret values from text bound for a log, an error or the database.
public struct Redactor: Sendable {
    private let secrets: [String]

    /// `secrets` shorter than 4 characters are ignored (they would mangle ordinary text).
    public init(_ secrets: [String]) {
        self.secrets = secrets.map { ($0, Self.characterCount($0)) }.filter { $0.1 >= 4 }.sorted { $0.1 > $1.1 }
            .map(\.0)
    }

    /// `text` with every known secret replaced by `<redacted>`.
    public func callAsFunction(_ text: String) -> String {
        var result = text
        for secret in secrets where Self.mayContain(result, secret) && result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: "<redacted>")
        }
        return result
    }

    /// The number of characters, without breaking ASCII text into graphemes.
    static func characterCount(_ text: String) -> Int {
        text.utf8.allSatisfy { $0 < 0x80 } ? text.utf8.count : text.count
    }

    /// False only when `text` certainly does not contain `secret`: both are ASCII (where Foundation's search is
    /// byte equality) and the bytes do not occur; true otherwise, for Foundation's search to decide.
    static func mayContain(_ text: String, _ secret: String) -> Bool {
        let found = text.utf8.withContiguousStorageIfAvailable { haystack in
            secret.utf8.withContiguousStorageIfAvailable { needle -> Bool in
                guard haystack.allSatisfy({ $0 < 0x80 }), needle.allSatisfy({ $0 < 0x80 }) else { return true }
                guard let first = needle.first, needle.count <= haystack.count else { return needle.isEmpty }
                var start = 0
                while start <= haystack.count - needle.count {
                    if haystack[start] == first {
                        var offset = 1
                        while offset < needle.count && haystack[start + offset] == needle[offset] { offset += 1 }
                        if offset == needle.count { return true }
                    }
                    start += 1
                }
                return false
            }
        }
        return (found ?? nil) ?? true
    }
}
