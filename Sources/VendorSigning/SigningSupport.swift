import Foundation

/// Small helpers shared by the signers (hex encoding, UTC timestamps).
enum SigningSupport {
    private static let lowerDigits: [UInt8] = Array("0123456789abcdef".utf8)
    private static let upperDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Hex encoding of `bytes`, lowercase unless `uppercase` is set.
    static func hex<Bytes: Sequence>(_ bytes: Bytes, uppercase: Bool = false) -> String where Bytes.Element == UInt8 {
        let digits = uppercase ? upperDigits : lowerDigits
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whole seconds since the Unix epoch, rounded down; clamped to a safe range.
    static func unixSeconds(_ date: Date) -> Int64 {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        guard seconds.isFinite else { return 0 }
        let limit = 9.0e15
        return Int64(min(max(seconds, -limit), limit))
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC on the Gregorian calendar (fractional
    /// seconds truncated). Uses a fresh value-type `Calendar`, so it is safe to
    /// call from any thread.
    static func basicISO8601(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        let whole = Date(timeIntervalSince1970: TimeInterval(unixSeconds(date)))
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: whole)
        return pad(parts.year ?? 1970, 4) + pad(parts.month ?? 1, 2) + pad(parts.day ?? 1, 2) + "T"
            + pad(parts.hour ?? 0, 2) + pad(parts.minute ?? 0, 2) + pad(parts.second ?? 0, 2) + "Z"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
