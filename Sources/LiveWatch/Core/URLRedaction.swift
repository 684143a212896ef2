/// Removes what may be a credential from URL text bound for a message: the user-info
/// (`https://user:pass@host`) and every query value (`?access_token=…`) become `<redacted>`,
/// and a fragment is dropped. Works on text that is not a valid URL too.
public enum URLRedaction {
    /// `text` with user-info, query values and fragment redacted; names of query items are kept.
    public static func redact(_ text: String) -> String {
        var rest = Substring(text)
        var result = ""
        if let schemeEnd = rest.range(of: "://") {
            result += rest[..<schemeEnd.upperBound]
            rest = rest[schemeEnd.upperBound...]
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@") {
            result += "<redacted>@"
            rest = rest[rest.index(after: at)...]
        }
        guard let start = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) else { return result + rest }
        result += rest[..<start]
        guard rest[start] == "?" else { return result + "#<redacted>" }
        let afterMark = rest[rest.index(after: start)...]
        let query = afterMark.prefix { $0 != "#" }
        let items = query.split(separator: "&", omittingEmptySubsequences: false).map { item -> String in
            guard let equals = item.firstIndex(of: "=") else { return item.isEmpty ? "" : "<redacted>" }
            return item[...equals] + "<redacted>"
        }
        result += "?" + items.joined(separator: "&")
        if query.endIndex < afterMark.endIndex { result += "#<redacted>" }
        return result
    }
}
