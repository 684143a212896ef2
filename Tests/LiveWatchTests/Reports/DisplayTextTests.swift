import Foundation
import SQLite
import Testing

@testable import LiveWatch

/// Vendor text with terminal escapes, line breaks, bidi overrides and spreadsheet formulas, shown safely.
@Suite struct DisplayTextTests {
    /// A room name that sets the terminal's title, clears the screen, turns red, breaks the line,
    /// reverses the rest (U+202E) and sends an 8-bit CSI (U+009B) and a DEL.
    static let hostile = "\u{1B}]0;pwned\u{07}\u{1B}[2J\u{1B}[31mRed\r\nRoom \u{202E}4pm.exe\u{9B}1m\u{7F}"
    /// `hostile` as a terminal shows it after escaping.
    static let hostileShown =
        "\\u{1B}]0;pwned\\u{7}\\u{1B}[2J\\u{1B}[31mRed\\u{D}\\u{A}Room \\u{202E}4pm.exe\\u{9B}1m\\u{7F}"
    static let formula = "=HYPERLINK(\"http://evil.example/\",\"prize\")"

    /// What a terminal acts on or reorders by: C0, DEL, C1, bidi embeddings, overrides and isolates.
    static func unsafe(_ text: String, allowing allowed: Set<Unicode.Scalar> = []) -> [UInt32] {
        text.unicodeScalars.filter { scalar in
            guard !allowed.contains(scalar) else { return false }
            switch scalar.value {
            case 0x00..<0x20, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: return true
            default: return false
            }
        }.map(\.value)
    }

    @Test func terminalTextShowsEveryControlAndBidiCharacterAsVisibleText() throws {
        #expect(DisplayText.terminal(Self.hostile) == Self.hostileShown)
        #expect(DisplayText.terminal("直播间 Live room 7") == "直播间 Live room 7")
        for value in [
            0x00, 0x09, 0x1F, 0x7F, 0x80, 0x9F, 0x202A, 0x202B, 0x202C, 0x202D, 0x2066, 0x2067, 0x2068, 0x2069,
        ] {
            let scalar = try #require(Unicode.Scalar(UInt32(value)))
            let shown = DisplayText.terminal("a" + String(Character(scalar)) + "b")
            #expect(shown == "a\\u{\(String(value, radix: 16, uppercase: true))}b")
        }
    }

    @Test func logLinesShowVendorTextEscaped() {
        let log = CapturedLog()
        log.logger.error("Tencent Chat error 70009: \(Self.hostile)", metadata: ["room": "\(Self.hostile)"])
        let text = log.text
        #expect(text.hasSuffix("\n"))
        #expect(Self.unsafe(String(text.dropLast())).isEmpty, "\(text)")
        #expect(text.contains("\\u{1B}]0;pwned\\u{7}\\u{1B}[2J\\u{1B}[31mRed"))
        #expect(text.contains("\\u{202E}4pm.exe\\u{9B}1m\\u{7F}"))
    }

    @Test func csvFieldsAreQuotedAndGuardedAgainstFormulas() {
        #expect(DisplayText.csvField(Self.formula) == "\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"prize\"\")\"")
        #expect(DisplayText.csvField("@SUM(A1:A9)") == "'@SUM(A1:A9)")
        #expect(DisplayText.csvField("+1+1") == "'+1+1")
        #expect(DisplayText.csvField("-2+3") == "'-2+3")
        #expect(DisplayText.csvField("-") == "'-")
        #expect(DisplayText.csvField("\tcmd") == "'\tcmd")
        #expect(DisplayText.csvField("\rcmd") == "\"'\rcmd\"")
        // Plain numbers stay numbers, stored as text or not.
        #expect(DisplayText.csvField("-42") == "-42")
        #expect(DisplayText.csvField("+3.5") == "+3.5")
        #expect(DisplayText.csvField("-1.5e-3") == "-1.5e-3")
        #expect(DisplayText.csvField("-5", numeric: true) == "-5")
        // RFC 4180: CR LF (one Swift Character), comma and quote make a quoted field.
        #expect(DisplayText.csvField("a\r\nb") == "\"a\r\nb\"")
        #expect(DisplayText.csvField("a,b") == "\"a,b\"")
        #expect(DisplayText.csvField("x\u{1B}[31m\u{202E}") == "x\\u{1B}[31m\\u{202E}")
    }

    /// RFC 4180 records: fields split at commas outside quotes, records at CRLF outside quotes.
    static func parseCSV(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var scalars = text.unicodeScalars[...]
        while let scalar = scalars.popFirst() {
            if quoted {
                if scalar == "\"" {
                    if scalars.first == "\"" {
                        field.unicodeScalars.append("\"")
                        scalars.removeFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(scalar)
                }
            } else if scalar == "\"" {
                quoted = true
            } else if scalar == "," {
                record.append(field)
                field = ""
            } else if scalar == "\r", scalars.first == "\n" {
                scalars.removeFirst()
                record.append(field)
                records.append(record)
                record = []
                field = ""
            } else {
                field.unicodeScalars.append(scalar)
            }
        }
        return records
    }

    /// Rooms crawled from a real database through the rooms report, in every format.
    @Test func aHostileRoomNameIsSafeInEveryReportFormat() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let store = try Store(path: folder.file("rooms.db"))
        for (hoursAgo, views) in [(4.0, [100, 50, 80]), (1.0, [150, 60, 30])] {
            let rooms = [
                LiveRoom(
                    roomID: "room-hostile", roomName: Self.hostile, ownerAccount: "host\u{1B}[8m", activityStatus: 1,
                    viewCount: Int64(views[0])),
                LiveRoom(
                    roomID: "room-formula", roomName: Self.formula, ownerAccount: "@owner", activityStatus: 1,
                    viewCount: Int64(views[1])),
                LiveRoom(
                    roomID: "room-falling", roomName: "-10 viewers", ownerAccount: "o", activityStatus: 1,
                    viewCount: Int64(views[2])),
            ]
            try store.writeSynchronously { database in
                try ObservationWriter.insertLiveRooms(
                    LiveRoomList(rooms: rooms, pages: 1), monitor: "tim", at: now.addingTimeInterval(-hoursAgo * 3_600),
                    in: database)
            }
        }
        store.close()
        let reader = try Database(path: folder.file("rooms.db"), options: .init(readOnly: true))
        let report = try Reports.run(ReportRequest(name: .rooms, since: 3 * 3_600, now: now), on: reader)
        #expect(report.rows.count == 3)

        let table = ReportFormat.table.render(report)
        #expect(Self.unsafe(table, allowing: ["\n"]).isEmpty, "\(table)")
        #expect(table.split(separator: "\n").count == 6, "title, header, rule and one line per room:\n\(table)")
        #expect(table.contains(Self.hostileShown))
        #expect(table.contains("host\\u{1B}[8m"))

        let csv = ReportFormat.csv.render(report)
        #expect(Self.unsafe(csv, allowing: ["\r", "\n"]).isEmpty, "\(csv)")
        let records = Self.parseCSV(csv)
        #expect(records.count == 4)
        #expect(records.allSatisfy { $0.count == report.columns.count }, "\(records)")
        let byRoom = Dictionary(uniqueKeysWithValues: records.dropFirst().map { ($0[1], $0) })
        // The line break survives, quoted; the escapes and the override are shown, not sent.
        #expect(
            byRoom["room-hostile"]?[2]
                == "\\u{1B}]0;pwned\\u{7}\\u{1B}[2J\\u{1B}[31mRed\r\nRoom \\u{202E}4pm.exe\\u{9B}1m\\u{7F}")
        #expect(byRoom["room-formula"]?[2] == "'" + Self.formula)
        #expect(byRoom["room-formula"]?[3] == "'@owner")
        #expect(byRoom["room-falling"]?[2] == "'-10 viewers")
        // A negative number is left numeric.
        #expect(byRoom["room-falling"]?[6] == "-50")
        #expect(csv.contains(",-50\r\n"))

        let json = ReportFormat.json.render(report)
        #expect(Self.unsafe(json, allowing: ["\n"]).isEmpty, "\(json)")
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        let names = Set(objects.compactMap { $0["room_name"] as? String })
        #expect(names == [Self.hostile, Self.formula, "-10 viewers"], "JSON keeps the vendor's text exactly")
    }
}
