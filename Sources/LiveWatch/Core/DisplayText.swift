/// Makes text from vendors (room names, error messages, URLs) safe to show.
///
/// On a terminal, every C0 control (U+0000–U+001F, newline and tab included),
/// DEL (U+007F), C1 control (U+0080–U+009F) and bidirectional embedding,
/// override or isolate (U+202A–U+202E, U+2066–U+2069) is written as visible
/// text in Swift's notation, `\u{1B}` (upper-case hex, no padding), so no
/// escape sequence reaches the terminal and no text is reordered. A backslash
/// is left as it is: the notation is for reading, not for decoding.
///
/// In CSV, a field is quoted per RFC 4180 when it holds `,` `"` CR or LF
/// (`"` doubled); controls other than TAB, CR and LF, and bidi formatting
/// characters, are written as `\u{..}` as on a terminal; and, per OWASP, a
/// field starting with `=`, `+`, `-`, `@`, TAB or CR gets a leading `'` so a
/// spreadsheet does not read it as a formula, except a plain decimal number
/// (`-12`, `+3.5`, `-1e-3`), which stays numeric.
public enum DisplayText {
    /// True for a scalar a terminal would act on, or that reorders the text around it.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// `text` for a terminal: every unsafe scalar written as `\u{XX}`.
    public static func terminal(_ text: String) -> String {
        escaping(text) { isUnsafe($0) }
    }

    /// `text` as one CSV field: unsafe scalars but TAB, CR and LF escaped, formula guard, RFC 4180 quoting.
    /// - Parameter numeric: the value is a number (never guarded).
    public static func csvField(_ text: String, numeric: Bool = false) -> String {
        var field = escaping(text) { isUnsafe($0) && $0 != "\t" && $0 != "\r" && $0 != "\n" }
        if !numeric, let first = field.unicodeScalars.first, formulaStarts.contains(first), !isPlainNumber(field) {
            field = "'" + field
        }
        guard field.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else {
            return field
        }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The first characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
    static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]

    /// An optional sign, digits, an optional fraction and an optional exponent: a number a spreadsheet reads as one.
    static func isPlainNumber(_ text: String) -> Bool {
        var scalars = text.unicodeScalars[...]
        func digits() -> Int {
            var count = 0
            while let scalar = scalars.first, ("0"..."9").contains(scalar) {
                scalars.removeFirst()
                count += 1
            }
            return count
        }
        if let sign = scalars.first, sign == "-" || sign == "+" { scalars.removeFirst() }
        var mantissa = digits()
        if scalars.first == "." {
            scalars.removeFirst()
            mantissa += digits()
        }
        guard mantissa > 0 else { return false }
        if let marker = scalars.first, marker == "e" || marker == "E" {
            scalars.removeFirst()
            if let sign = scalars.first, sign == "-" || sign == "+" { scalars.removeFirst() }
            guard digits() > 0 else { return false }
        }
        return scalars.isEmpty
    }

    private static func escaping(_ text: String, where unsafe: (Unicode.Scalar) -> Bool) -> String {
        guard text.unicodeScalars.contains(where: unsafe) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if unsafe(scalar) {
                result.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }
}
