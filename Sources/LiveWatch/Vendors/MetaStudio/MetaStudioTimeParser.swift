import Foundation

/// Reads MetaStudio's `authorized_time` / `expire_time`, whose format is not
/// documented, defensively. Accepted:
///
/// - RFC 3339: `2026-11-22T14:00:00Z`, with fractional seconds
///   (`…:00.123Z`), with an offset (`+08:00`, `+0800`, `+08`), `T`, `t` or one
///   space between date and time;
/// - the same without a zone (`2026-11-22 14:00:00`, `2026-11-22T14:00:00`,
///   fractional seconds allowed), read in `timeZone`;
/// - a number of Unix seconds or milliseconds, told apart by magnitude:
///   below 10^11 it is seconds (10^11 seconds is the year 5138), from 10^11 up to
///   10^14 it is milliseconds. A fraction is allowed (`1700000000.5`).
///
/// Anything else (other layouts, out-of-range fields, negative or larger
/// numbers) is nil. `0` and the empty string mean "not set" and are nil too,
/// see ``isUnset(_:)``. A pure value type: no formatter, no shared state.
public struct MetaStudioTimeParser: Sendable {
    /// The zone a time written without a zone is read in.
    public let timeZone: TimeZone

    public init(timeZone: TimeZone) {
        self.timeZone = timeZone
    }

    /// Largest number read as seconds; from here on it is milliseconds.
    static let millisecondsFrom = 1e11
    /// Numbers from here on are neither seconds nor milliseconds.
    static let numbersBelow = 1e14

    /// True for the values that mean "no time": empty (after trimming) or a numeric zero.
    public static func isUnset(_ text: String) -> Bool {
        let trimmed = trimmingBlanks(text)
        if trimmed.isEmpty { return true }
        if let number = Double(trimmed), trimmed.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), number == 0 {
            return true
        }
        return false
    }

    /// The moment `text` denotes, or nil when it is unset or not a format listed above.
    public func parse(_ text: String) -> Date? {
        let trimmed = Self.trimmingBlanks(text)
        guard !Self.isUnset(trimmed), trimmed.utf8.count <= 64 else { return nil }
        let bytes = Array(trimmed.utf8)
        if bytes.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }) {
            return Self.parseNumber(trimmed)
        }
        return parseCalendarTime(bytes)
    }

    /// `text` without leading and trailing spaces and tabs (cheaper than Foundation's trimming, which matters per platform).
    static func trimmingBlanks(_ text: String) -> String {
        let bytes = text.utf8
        guard let first = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }),
            let last = bytes.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })
        else { return "" }
        if first == bytes.startIndex, last == bytes.index(before: bytes.endIndex) { return text }
        return String(text[first...last])
    }

    static func parseNumber(_ text: String) -> Date? {
        guard text.first != ".", text.last != ".", text.filter({ $0 == "." }).count <= 1,
            let value = Double(text), value.isFinite, value > 0, value < numbersBelow
        else { return nil }
        let seconds = value < millisecondsFrom ? value : value / 1_000
        return Date(timeIntervalSince1970: seconds)
    }

    /// `YYYY-MM-DD` (`T`|`t`|` `) `hh:mm:ss` [`.fraction`] [` `] [`Z`|`z`|`±hh:mm`|`±hhmm`|`±hh`].
    func parseCalendarTime(_ bytes: [UInt8]) -> Date? {
        var cursor = Cursor(bytes: bytes)
        guard let year = cursor.digits(4), cursor.take(0x2D), let month = cursor.digits(2), cursor.take(0x2D),
            let day = cursor.digits(2)
        else { return nil }
        guard cursor.take(0x54) || cursor.take(0x74) || cursor.take(0x20) else { return nil }
        guard let hour = cursor.digits(2), cursor.take(0x3A), let minute = cursor.digits(2), cursor.take(0x3A),
            let second = cursor.digits(2)
        else { return nil }
        var fraction = 0.0
        if cursor.take(0x2E) {
            var scale = 0.1
            var count = 0
            while let digit = cursor.digit() {
                fraction += Double(digit) * scale
                scale /= 10
                count += 1
            }
            guard (1...9).contains(count) else { return nil }
        }
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...Self.daysIn(month: month, year: year)).contains(day),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        _ = cursor.take(0x20)
        let offset: Int?
        if cursor.atEnd {
            offset = nil
        } else if cursor.take(0x5A) || cursor.take(0x7A) {
            offset = 0
        } else if let sign = cursor.sign() {
            guard let hours = cursor.digits(2), hours <= 23 else { return nil }
            var minutes = 0
            if cursor.take(0x3A) {
                guard let value = cursor.digits(2) else { return nil }
                minutes = value
            } else if !cursor.atEnd {
                guard let value = cursor.digits(2) else { return nil }
                minutes = value
            }
            guard minutes <= 59 else { return nil }
            offset = sign * (hours * 3_600 + minutes * 60)
        } else {
            return nil
        }
        guard cursor.atEnd else { return nil }
        // A leap second (:60) is read as the last instant of its minute.
        let wholeSecond = min(second, 59)
        let extra = second == 60 ? 0.999 : fraction
        if let offset {
            let days = Self.daysFromCivil(year: year, month: month, day: day)
            let seconds = Double(days * 86_400 + hour * 3_600 + minute * 60 + wholeSecond - offset) + extra
            return Date(timeIntervalSince1970: seconds)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let components = DateComponents(
            year: year, month: month, day: day, hour: hour, minute: minute, second: wholeSecond)
        return calendar.date(from: components).map { $0.addingTimeInterval(extra) }
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Reads ASCII bytes left to right.
    struct Cursor {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index >= bytes.count }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func digit() -> Int? {
            guard index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 else { return nil }
            defer { index += 1 }
            return Int(bytes[index] - 0x30)
        }

        mutating func digits(_ count: Int) -> Int? {
            var value = 0
            for _ in 0..<count {
                guard let digit = digit() else { return nil }
                value = value * 10 + digit
            }
            return value
        }

        mutating func sign() -> Int? {
            if take(0x2B) { return 1 }
            if take(0x2D) { return -1 }
            return nil
        }
    }
}
