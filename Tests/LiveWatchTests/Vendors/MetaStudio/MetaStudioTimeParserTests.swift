import Foundation
import Testing

@testable import LiveWatch

/// `authorized_time` / `expire_time` have no documented format: every accepted form, and garbage.
@Suite struct MetaStudioTimeParserTests {
    static let utc = MetaStudioTimeParser(timeZone: TimeZone(identifier: "UTC") ?? .current)
    static let shanghai = MetaStudioTimeParser(timeZone: TimeZone(identifier: "Asia/Shanghai") ?? .current)
    static let newYork = MetaStudioTimeParser(timeZone: TimeZone(identifier: "America/New_York") ?? .current)
    /// 2026-11-22T14:00:00Z
    static let moment = 1_795_356_000.0

    static let accepted: [(String, Double)] = [
        ("2026-11-22T14:00:00Z", moment),
        ("2026-11-22t14:00:00z", moment),
        ("2026-11-22 14:00:00Z", moment),
        ("2026-11-22T14:00:00.5Z", moment + 0.5),
        ("2026-11-22T14:00:00.123456789Z", moment + 0.123456789),
        ("2026-11-22T22:00:00+08:00", moment),
        ("2026-11-22T22:00:00+0800", moment),
        ("2026-11-22T22:00:00+08", moment),
        ("2026-11-22T22:00:00.250+08:00", moment + 0.25),
        ("2026-11-22T08:30:00-05:30", moment),
        ("2026-11-22T14:00:00 +00:00", moment),
        ("  2026-11-22T14:00:00Z  ", moment),
        // Zone-less: read in the parser's zone (UTC here).
        ("2026-11-22 14:00:00", moment),
        ("2026-11-22T14:00:00", moment),
        ("2026-11-22 14:00:00.75", moment + 0.75),
        // Numbers: seconds below 10^11, milliseconds above.
        ("1795356000", moment),
        ("1795356000.5", moment + 0.5),
        ("1795356000000", moment),
        ("1795356000250", moment + 0.25),
        ("99999999999", 99_999_999_999),
        ("100000000000", 100_000_000),
        // Leap years and a leap second.
        ("2028-02-29T00:00:00Z", 1_835_395_200),
        ("2016-12-31T23:59:60Z", 1_483_228_799.999),
    ]

    @Test(arguments: 0..<accepted.count)
    func readsEveryAcceptedFormat(index: Int) throws {
        let (text, expected) = Self.accepted[index]
        let date = try #require(Self.utc.parse(text), "\(text) was not read")
        #expect(abs(date.timeIntervalSince1970 - expected) < 0.000_001, "\(text) → \(date.timeIntervalSince1970)")
    }

    @Test func aZoneLessTimeIsReadInTheConfiguredZone() throws {
        // 22:00 in Shanghai (UTC+8, no DST) is 14:00 UTC.
        #expect(Self.shanghai.parse("2026-11-22 22:00:00")?.timeIntervalSince1970 == Self.moment)
        // New York follows DST: UTC-4 in July, UTC-5 in November.
        #expect(Self.newYork.parse("2026-07-01 10:00:00")?.timeIntervalSince1970 == 1_782_914_400)
        #expect(Self.newYork.parse("2026-11-22 09:00:00")?.timeIntervalSince1970 == Self.moment)
        // A time with a zone ignores the configured zone.
        #expect(Self.shanghai.parse("2026-11-22T14:00:00Z")?.timeIntervalSince1970 == Self.moment)
        #expect(Self.shanghai.parse("1795356000")?.timeIntervalSince1970 == Self.moment)
    }

    static let rejected = [
        "garbage", "tomorrow", "2026-11-22", "14:00:00", "2026/11/22 14:00:00", "22-11-2026 14:00:00",
        "2026-11-22T14:00Z", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-11-31T00:00:00Z",
        "2026-11-22T24:00:00Z", "2026-11-22T14:60:00Z", "2026-11-22T14:00:61Z", "2026-11-22T14:00:00.Z",
        "2026-11-22T14:00:00.1234567890Z", "2026-11-22T14:00:00+25:00", "2026-11-22T14:00:00+08:60",
        "2026-11-22T14:00:00Zjunk", "2026-11-22T14:00:00 UTC", "2026-11-22T14:00:00+8", "-1795356000", "1e9",
        "1795356000.", ".5", "1.2.3", "100000000000000", "99999999999999999999999", "0x66df9308",
        "２０２６-11-22T14:00:00Z",
        String(repeating: "9", count: 400),
    ]

    @Test func garbageIsNil() {
        for text in Self.rejected {
            #expect(Self.utc.parse(text) == nil, "\(text) was accepted")
        }
    }

    @Test func emptyAndZeroMeanUnset() {
        for text in ["", "   ", "0", "0.0", "000"] {
            #expect(MetaStudioTimeParser.isUnset(text), "\(text)")
            #expect(Self.utc.parse(text) == nil)
        }
        #expect(!MetaStudioTimeParser.isUnset("garbage"))
        #expect(!MetaStudioTimeParser.isUnset("1"))
    }

    @Test func civilDaysMatchFoundation() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        for (year, month, day) in [
            (1970, 1, 1), (1969, 12, 31), (2000, 2, 29), (2100, 3, 1), (1600, 3, 1), (9999, 12, 31),
        ] {
            let date = calendar.date(from: DateComponents(year: year, month: month, day: day))
            let days = MetaStudioTimeParser.daysFromCivil(year: year, month: month, day: day)
            #expect(date?.timeIntervalSince1970 == Double(days * 86_400), "\(year)-\(month)-\(day)")
        }
    }
}
