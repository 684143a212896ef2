import Foundation

/// RFC 3986 percent-encoding shared by the Huawei and Volcengine signers.
///
/// Only the unreserved characters `A-Z a-z 0-9 - _ . ~` are kept; every other
/// byte of the UTF-8 encoding becomes `%XX` with uppercase hex digits (so a
/// space is `%20`, `/` is `%2F`, `*` is `%2A`, `+` is `%2B`).
enum PercentEncoding {
    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Encodes every byte except the unreserved set (and `/` when `keepSlash`).
    static func encode(_ string: String, keepSlash: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Percent-decodes `%XX` sequences leniently, like Python's
    /// `urllib.parse.unquote`: malformed escapes are kept literally and byte
    /// sequences that are not valid UTF-8 become U+FFFD. `+` is not a space.
    static func decode(_ string: String) -> String {
        let bytes = Array(string.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(byte)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Python-style string ordering: Unicode code point order, which equals
    /// lexicographic order of the UTF-8 bytes.
    static func codePointLess(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    /// Canonical query string: pairs sorted (stably) by raw name in code point
    /// order, and additionally by raw value when `sortValues` is set; each name
    /// and value encoded with ``encode(_:keepSlash:)``, joined as
    /// `name=value` with `&`. An empty value yields `name=`.
    static func canonicalQuery(_ pairs: [(String, String)], sortValues: Bool) -> String {
        let indexed = pairs.enumerated().map { (offset: $0.offset, name: $0.element.0, value: $0.element.1) }
        let sorted = indexed.sorted { lhs, rhs in
            if !lhs.name.utf8.elementsEqual(rhs.name.utf8) { return codePointLess(lhs.name, rhs.name) }
            if sortValues, !lhs.value.utf8.elementsEqual(rhs.value.utf8) {
                return codePointLess(lhs.value, rhs.value)
            }
            return lhs.offset < rhs.offset
        }
        return sorted.map { encode($0.name) + "=" + encode($0.value) }.joined(separator: "&")
    }
}
