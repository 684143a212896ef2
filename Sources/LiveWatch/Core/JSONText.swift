/// JSON string literals, written the same way everywhere livewatch writes JSON by hand (the alert log,
/// notifier bodies, report output, stored JSON text, request bodies): quotes, backslash and C0 escaped as
/// JSON requires, and DEL, C1, bidi formatting characters and U+2028/U+2029 too, so a line shown on a
/// terminal carries no escape sequence and no reordering.
public enum JSONText {
    /// `text` as a JSON string literal, quotes included.
    public static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            // C0 as JSON requires; DEL, C1 and bidi formatting characters too, so a JSON line shown on a
            // terminal carries no escape sequence and no reordering; U+2028/9 for JavaScript readers.
            case _ where DisplayText.isUnsafe(scalar) || scalar.value == 0x2028 || scalar.value == 0x2029:
                result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
