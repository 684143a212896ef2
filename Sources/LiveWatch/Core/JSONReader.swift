import Foundation

/// A pull reader over JSON bytes that builds no tree: the caller walks objects and arrays member by member,
/// reads the values it wants and skips the rest, and nothing is allocated for what is skipped.
///
/// It accepts exactly what Foundation's `JSONDecoder` accepts (so a decoder written on it can give the same
/// answers), which is RFC 8259 with Foundation's leniencies:
/// - a trailing comma before `]` or `}` is accepted;
/// - the syntax of strings and numbers is checked only as far as their extent: an invalid escape, a raw
///   control character, invalid UTF-8 or a malformed number (`-`, `01`, `1.2.3`) is an error only when that
///   value is read (`string(_:)`, `int64(_:)`, `double(_:)` answer nil), never when it is skipped;
/// - nesting deeper than `maxDepth` (512, Foundation's limit) is a syntax error; skipping is iterative, so
///   depth costs no stack.
///
/// Every syntax error throws `JSONReader.SyntaxError`; no input makes it trap. The bytes must outlive the reader
/// (use it inside `withUnsafeBufferPointer`).
public struct JSONReader {
    /// What a value is, from its first byte.
    public enum Kind: Sendable, Equatable {
        case object, array, string, number, bool, null
    }

    /// Where and why the bytes are not JSON.
    public struct SyntaxError: Error, Sendable, Equatable {
        /// The byte offset of the problem.
        public var offset: Int
        /// What was wrong, for a diagnostic.
        public var reason: String
    }

    /// A string value or key, not decoded yet: the bytes between its quotes.
    public struct StringToken: Sendable, Equatable {
        /// The byte range between the quotes.
        public internal(set) var start: Int
        public internal(set) var end: Int
        /// Holds a backslash escape.
        public internal(set) var hasEscape: Bool
        /// Holds a raw control character (so it cannot be decoded).
        public internal(set) var hasControl: Bool
        /// Every byte is ASCII.
        public internal(set) var isASCII: Bool
    }

    /// A number value, not converted yet: its bytes (digits, `.`, `+`, `-`, `e`, `E`).
    public struct NumberToken: Sendable, Equatable {
        public internal(set) var start: Int
        public internal(set) var end: Int
    }

    /// Foundation's nesting limit.
    public static let defaultMaxDepth = 512

    let bytes: UnsafeBufferPointer<UInt8>
    /// The next byte to read.
    public private(set) var index = 0
    /// The containers open around the reader.
    public private(set) var depth = 0
    let maxDepth: Int
    /// Just after `[` or `{`: the next member has no comma before it.
    var afterOpen = false

    public init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = JSONReader.defaultMaxDepth) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    // MARK: Structure

    /// The kind of the next value (after whitespace); does not consume it.
    public mutating func peekKind() throws(SyntaxError) -> Kind {
        switch try nonWhitespace() {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw fail("unexpected character")
        }
    }

    /// Enters the object that `peekKind()` reported.
    public mutating func beginObject() throws(SyntaxError) {
        try open(UInt8(ascii: "{"))
    }

    /// Enters the array that `peekKind()` reported.
    public mutating func beginArray() throws(SyntaxError) {
        try open(UInt8(ascii: "["))
    }

    /// The next member's key (its `:` consumed, the reader before its value), or nil after the object's `}`.
    /// Every value must be read or skipped before the next call.
    public mutating func nextKey() throws(SyntaxError) -> StringToken? {
        guard try advance(closing: UInt8(ascii: "}")) else { return nil }
        let key = try readString()
        guard try nonWhitespace() == UInt8(ascii: ":") else { throw fail("expected ':' in object") }
        index += 1
        return key
    }

    /// True with the reader before the array's next element, false after its `]`.
    public mutating func nextElement() throws(SyntaxError) -> Bool {
        try advance(closing: UInt8(ascii: "]"))
    }

    /// Checks that only whitespace follows the top-level value.
    public mutating func finish() throws(SyntaxError) {
        while index < bytes.count {
            guard Self.isWhitespace(bytes[index]) else { throw fail("unexpected character after the top-level value") }
            index += 1
        }
    }

    /// Skips the next value, however nested, checking its syntax as `JSONDecoder`'s scanner does.
    public mutating func skipValue() throws(SyntaxError) {
        // The kinds of the containers entered here: true for an object.
        var open: [Bool] = []
        while true {
            switch try peekKind() {
            case .object:
                try beginObject()
                if try nextKey() != nil {
                    open.append(true)
                    continue
                }
            case .array:
                try beginArray()
                if try nextElement() {
                    open.append(false)
                    continue
                }
            case .string: _ = try readString()
            case .number: _ = try readNumber()
            case .bool, .null: _ = try readLiteral()
            }
            // A value is complete: move on in the containers around it.
            while let isObject = open.last {
                let more = isObject ? try nextKey() != nil : try nextElement()
                if more { break }
                open.removeLast()
            }
            if open.isEmpty { return }
        }
    }

    // MARK: Scalars

    /// Reads the string that `peekKind()` reported (its extent only; see `string(_:)`).
    public mutating func readString() throws(SyntaxError) -> StringToken {
        guard try nonWhitespace() == UInt8(ascii: "\"") else { throw fail("expected a string") }
        index += 1
        var token = StringToken(start: index, end: index, hasEscape: false, hasControl: false, isASCII: true)
        var high: UInt8 = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                token.end = index
                index += 1
                token.isASCII = high < 0x80
                return token
            case UInt8(ascii: "\\"):
                token.hasEscape = true
                index += 1
                guard index < count else { throw fail("unexpected end of data in a string escape") }
                let escaped = bytes[index]
                index += 1
                if escaped == UInt8(ascii: "u") {
                    // Four bytes, none a quote; whether they are hex is checked when the string is decoded.
                    guard count - index >= 4 else { throw fail("unexpected end of data in a \\u escape") }
                    for offset in 0..<4 where bytes[index + offset] == UInt8(ascii: "\"") {
                        throw fail("invalid \\u escape")
                    }
                    index += 4
                } else {
                    high |= escaped
                }
            default:
                if byte < 0x20 { token.hasControl = true }
                high |= byte
                index += 1
            }
        }
        throw fail("unexpected end of data in a string")
    }

    /// Reads the number that `peekKind()` reported (its extent only; see `int64(_:)` and `double(_:)`).
    public mutating func readNumber() throws(SyntaxError) -> NumberToken {
        switch try nonWhitespace() {
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): break
        default: throw fail("expected a number")
        }
        let start = index
        index += 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "-"),
                UInt8(ascii: "e"), UInt8(ascii: "E"):
                index += 1
            default:
                return NumberToken(start: start, end: index)
            }
        }
        return NumberToken(start: start, end: index)
    }

    /// Reads `true`, `false` or `null`: the Bool, or nil for null.
    public mutating func readLiteral() throws(SyntaxError) -> Bool? {
        let first = try nonWhitespace()
        let word: StaticString
        let value: Bool?
        switch first {
        case UInt8(ascii: "t"): (word, value) = ("true", true)
        case UInt8(ascii: "f"): (word, value) = ("false", false)
        case UInt8(ascii: "n"): (word, value) = ("null", nil)
        default: throw fail("expected true, false or null")
        }
        let length = word.utf8CodeUnitCount
        guard bytes.count - index >= length else { throw fail("unexpected end of data in a literal") }
        for offset in 0..<length where bytes[index + offset] != word.utf8Start[offset] {
            throw fail("invalid literal")
        }
        index += length
        return value
    }

    // MARK: Decoding values

    /// The string's value, or nil where `JSONDecoder` cannot decode it (raw control character, invalid
    /// escape, unpaired surrogate escape, invalid UTF-8).
    public func string(_ token: StringToken) -> String? {
        let region = UnsafeBufferPointer(rebasing: bytes[token.start..<token.end])
        if token.hasControl { return nil }
        if !token.hasEscape {
            return token.isASCII ? String(decoding: region, as: UTF8.self) : String(validating: region, as: UTF8.self)
        }
        var output: [UInt8] = []
        output.reserveCapacity(region.count)
        var index = 0
        var chunkStart = 0
        while index < region.count {
            guard region[index] == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            guard Self.appendValidUTF8(UnsafeBufferPointer(rebasing: region[chunkStart..<index]), to: &output) else {
                return nil
            }
            index += 1
            // The scanner guaranteed a byte after the backslash (and `hex4` checks the four after `\u`).
            guard index < region.count else { return nil }
            let escaped = region[index]
            index += 1
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(escaped)
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                guard let unit = Self.hex4(region, at: index) else { return nil }
                index += 4
                let scalar: Unicode.Scalar
                if UTF16.isLeadSurrogate(unit) {
                    guard region.count - index >= 6, region[index] == UInt8(ascii: "\\"),
                        region[index + 1] == UInt8(ascii: "u"), let trail = Self.hex4(region, at: index + 2),
                        UTF16.isTrailSurrogate(trail)
                    else { return nil }
                    index += 6
                    scalar = UTF16.decode(UTF16.EncodedScalar([unit, trail]))
                } else {
                    guard let single = Unicode.Scalar(unit) else { return nil }
                    scalar = single
                }
                Self.appendUTF8(scalar, to: &output)
            default:
                return nil
            }
            chunkStart = index
        }
        guard Self.appendValidUTF8(UnsafeBufferPointer(rebasing: region[chunkStart..<index]), to: &output) else {
            return nil
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Whether the string is exactly `text` (an ASCII literal), for matching keys without decoding them; nil when
    /// the string cannot be decoded at all.
    public func string(_ token: StringToken, equals text: StaticString) -> Bool? {
        if !token.hasEscape && !token.hasControl && token.isASCII {
            let length = token.end - token.start
            guard length == text.utf8CodeUnitCount else { return false }
            for offset in 0..<length where bytes[token.start + offset] != text.utf8Start[offset] { return false }
            return true
        }
        guard let decoded = string(token) else { return nil }
        return decoded.utf8.elementsEqual(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// The number as `JSONDecoder` decodes an `Int64`: an integer in range, or a number whose value is one
    /// (`1.0`, `1e3`, and `1e-400`, which a double rounds to 0, as there); nil otherwise.
    public func int64(_ token: NumberToken) -> Int64? {
        let region = UnsafeBufferPointer(rebasing: bytes[token.start..<token.end])
        guard Self.isValidNumber(region) else { return nil }
        if let plain = Self.plainInteger(region) { return plain }
        let text = String(decoding: region, as: UTF8.self)
        guard let double = Double(text), let value = Int64(exactly: double) else { return nil }
        if double.magnitude < 9_007_199_254_740_992 { return value }
        // Beyond 2^53 a double is no proof: the digits decide. (`JSONDecoder` asks `Decimal` here, which also
        // truncates a fraction: `9007199254740993.5` is 9007199254740993 to it, nil here.)
        return Self.exactInteger(region)
    }

    /// The number as `JSONDecoder` decodes a `Double`: nil when malformed, infinite, or rounded to zero from a
    /// non-zero value.
    public func double(_ token: NumberToken) -> Double? {
        let region = UnsafeBufferPointer(rebasing: bytes[token.start..<token.end])
        guard Self.isValidNumber(region), let value = Double(String(decoding: region, as: UTF8.self)),
            value.isFinite
        else { return nil }
        if value == 0 {
            for byte in region {
                if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { break }
                if byte >= UInt8(ascii: "1") && byte <= UInt8(ascii: "9") { return nil }
            }
        }
        return value
    }

    // MARK: Encodings

    /// Runs `body` over the UTF-8 form of a JSON text as `JSONDecoder` reads it: a UTF-8 byte order mark is
    /// dropped; UTF-16 and UTF-32 (told by a byte order mark or by the zero bytes around the first ASCII
    /// characters, RFC 4627 section 3) are converted. Nil when they cannot be converted.
    public static func withUTF8<T>(of bytes: [UInt8], _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T? {
        let count = bytes.count
        let byte0: UInt8? = count > 0 ? bytes[0] : nil
        let byte1: UInt8? = count > 1 ? bytes[1] : nil
        let byte2: UInt8? = count > 2 ? bytes[2] : nil
        let byte3: UInt8? = count > 3 ? bytes[3] : nil
        let encoding: String.Encoding
        let markLength: Int
        switch (byte0, byte1, byte2, byte3) {
        case (0, 0, 0xFE, 0xFF): (encoding, markLength) = (.utf32BigEndian, 4)
        case (0xFE, 0xFF, 0, 0): (encoding, markLength) = (.utf32LittleEndian, 4)
        case (0xFE, 0xFF, _, _): (encoding, markLength) = (.utf16BigEndian, 2)
        case (0xFF, 0xFE, _, _): (encoding, markLength) = (.utf16LittleEndian, 2)
        case (0xEF, 0xBB, 0xBF, _): (encoding, markLength) = (.utf8, 3)
        case (0, 0, 0, .some(let last)) where last != 0: (encoding, markLength) = (.utf32BigEndian, 0)
        case (0, .some(let second), 0, .some(let fourth)) where second != 0 && fourth != 0:
            (encoding, markLength) = (.utf16BigEndian, 0)
        case (.some(let first), 0, 0, 0) where first != 0: (encoding, markLength) = (.utf32LittleEndian, 0)
        case (.some(let first), 0, .some(let third), 0) where first != 0 && third != 0:
            (encoding, markLength) = (.utf16LittleEndian, 0)
        case (0, .some(let second), nil, nil) where second != 0: (encoding, markLength) = (.utf16BigEndian, 0)
        case (.some(let first), 0, nil, nil) where first != 0: (encoding, markLength) = (.utf16LittleEndian, 0)
        default: (encoding, markLength) = (.utf8, 0)
        }
        if encoding == .utf8 {
            return bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[markLength...])) }
        }
        guard var text = String(bytes: bytes[markLength...], encoding: encoding) else { return nil }
        return text.withUTF8 { body($0) }
    }

    // MARK: Helpers

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// Skips whitespace; the next byte, not consumed.
    mutating func nonWhitespace() throws(SyntaxError) -> UInt8 {
        while index < bytes.count {
            let byte = bytes[index]
            if !Self.isWhitespace(byte) { return byte }
            index += 1
        }
        throw fail("unexpected end of data")
    }

    mutating func open(_ bracket: UInt8) throws(SyntaxError) {
        guard try nonWhitespace() == bracket else { throw fail("expected a container") }
        guard depth < maxDepth else { throw fail("too deeply nested") }
        depth += 1
        index += 1
        afterOpen = true
    }

    /// Past the comma before the next member (true), or past the closing bracket (false).
    mutating func advance(closing: UInt8) throws(SyntaxError) -> Bool {
        var byte = try nonWhitespace()
        if afterOpen {
            afterOpen = false
        } else if byte == UInt8(ascii: ",") {
            index += 1
            // Foundation accepts a trailing comma.
            byte = try nonWhitespace()
        } else if byte != closing {
            throw fail("expected ',' or a closing bracket")
        }
        guard byte == closing else { return true }
        index += 1
        depth -= 1
        return false
    }

    func fail(_ reason: String) -> SyntaxError {
        SyntaxError(offset: index, reason: reason)
    }

    static func hex4(_ region: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt16? {
        guard region.count - index >= 4 else { return nil }
        var value: UInt16 = 0
        for offset in 0..<4 {
            let byte = region[index + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    static func appendUTF8(_ scalar: Unicode.Scalar, to output: inout [UInt8]) {
        let value = scalar.value
        switch value {
        case 0..<0x80:
            output.append(UInt8(value))
        case 0x80..<0x800:
            output.append(UInt8(0xC0 | value >> 6))
            output.append(UInt8(0x80 | value & 0x3F))
        case 0x800..<0x10000:
            output.append(UInt8(0xE0 | value >> 12))
            output.append(UInt8(0x80 | value >> 6 & 0x3F))
            output.append(UInt8(0x80 | value & 0x3F))
        default:
            output.append(UInt8(0xF0 | value >> 18))
            output.append(UInt8(0x80 | value >> 12 & 0x3F))
            output.append(UInt8(0x80 | value >> 6 & 0x3F))
            output.append(UInt8(0x80 | value & 0x3F))
        }
    }

    static func appendValidUTF8(_ chunk: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) -> Bool {
        if chunk.contains(where: { $0 >= 0x80 }) && String(validating: chunk, as: UTF8.self) == nil { return false }
        output.append(contentsOf: chunk)
        return true
    }

    /// RFC 8259's number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` (what Foundation's
    /// pre-validation plus `strtod` over the whole text accept).
    static func isValidNumber(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        let count = text.count
        func digits() -> Int {
            let start = index
            while index < count, text[index] >= UInt8(ascii: "0"), text[index] <= UInt8(ascii: "9") { index += 1 }
            return index - start
        }
        if index < count, text[index] == UInt8(ascii: "-") { index += 1 }
        guard index < count else { return false }
        if text[index] == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            return false
        }
        if index < count, text[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return false }
        }
        if index < count, text[index] == UInt8(ascii: "e") || text[index] == UInt8(ascii: "E") {
            index += 1
            if index < count, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == count
    }

    /// `-?[0-9]+` in `Int64`'s range; nil for anything else.
    static func plainInteger(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        let negative = text.first == UInt8(ascii: "-")
        if negative { index = 1 }
        guard index < text.count else { return nil }
        var value: Int64 = 0
        while index < text.count {
            let byte = text[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let digit = Int64(byte - UInt8(ascii: "0"))
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) =
                negative ? times10.subtractingReportingOverflow(digit) : times10.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            value = next
            index += 1
        }
        return value
    }

    /// The integer a valid number's text denotes exactly (`9007199254740993.000`, `1e18`), or nil when it has a
    /// fractional part or its magnitude exceeds `Int64.max`.
    static func exactInteger(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        let negative = text.first == UInt8(ascii: "-")
        if negative { index = 1 }
        // The significant digits, and the power of ten they are scaled by.
        var digits: [UInt8] = []
        var scale = 0
        var inFraction = false
        while index < text.count {
            let byte = text[index]
            if byte == UInt8(ascii: ".") {
                inFraction = true
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                if inFraction { scale -= 1 }
                if !(digits.isEmpty && byte == UInt8(ascii: "0")) { digits.append(byte - UInt8(ascii: "0")) }
            } else {
                break
            }
            index += 1
        }
        if index < text.count {
            // The exponent: saturated, since beyond a few dozen the answer is known.
            index += 1
            var exponentNegative = false
            if text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") {
                exponentNegative = text[index] == UInt8(ascii: "-")
                index += 1
            }
            var exponent = 0
            while index < text.count {
                exponent = min(exponent * 10 + Int(text[index] - UInt8(ascii: "0")), 1_000_000)
                index += 1
            }
            scale += exponentNegative ? -exponent : exponent
        }
        // Trailing zeros move into the scale; a negative scale left means a fraction.
        while let last = digits.last, last == 0 {
            digits.removeLast()
            scale += 1
        }
        if digits.isEmpty { return 0 }
        guard scale >= 0, digits.count + scale <= 19 else { return nil }
        var value: UInt64 = 0
        for digit in digits { value = value * 10 + UInt64(digit) }
        for _ in 0..<scale { value *= 10 }
        guard let magnitude = Int64(exactly: value) else { return nil }
        return negative ? -magnitude : magnitude
    }
}
