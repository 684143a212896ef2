import Foundation
import SQLite

/// How a report is printed. Vendor text is made safe for each: control and bidi
/// characters are shown as `\u{1B}` in a table, escaped in JSON, and CSV fields
/// are quoted (RFC 4180) and guarded against formulas (see ``DisplayText``).
public enum ReportFormat: String, Sendable, CaseIterable {
    case table
    case json
    case csv

    /// The report as text in this format.
    public func render(_ report: ReportTable) -> String {
        switch self {
        case .table: return Self.table(report)
        case .json: return Self.json(report)
        case .csv: return Self.csv(report)
        }
    }

    static func text(_ value: SQLiteValue) -> String {
        switch value {
        case .null: return ""
        case .integer(let number): return String(number)
        case .real(let number):
            return number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .text(let text): return text
        case .blob(let bytes): return bytes.map { String(format: "%02x", $0) }.joined()
        }
    }

    static func table(_ report: ReportTable) -> String {
        let columns = report.columns.map(DisplayText.terminal)
        var widths = columns.map(\.count)
        let cells = report.rows.map { $0.map { DisplayText.terminal(text($0)) } }
        for row in cells {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ values: [String]) -> String {
            values.enumerated().map { index, value in
                value.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        var lines = [
            DisplayText.terminal(report.title), line(columns), line(widths.map { String(repeating: "-", count: $0) }),
        ]
        lines += cells.map(line)
        if cells.isEmpty { lines.append("(no data)") }
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ report: ReportTable) -> String {
        let objects = report.rows.map { row in
            "{"
                + zip(report.columns, row).map { column, value in
                    JSONText.quote(column) + ":" + jsonValue(value)
                }.joined(separator: ",") + "}"
        }
        return "[" + objects.joined(separator: ",\n ") + "]\n"
    }

    static func jsonValue(_ value: SQLiteValue) -> String {
        switch value {
        case .null: return "null"
        case .integer(let number): return String(number)
        case .real(let number): return number.isFinite ? AlertLine.number(number) : "null"
        case .text(let text): return JSONText.quote(text)
        case .blob: return JSONText.quote(text(value))
        }
    }

    static func csv(_ report: ReportTable) -> String {
        func field(_ value: SQLiteValue) -> String {
            switch value {
            case .integer, .real: return DisplayText.csvField(text(value), numeric: true)
            case .null, .text, .blob: return DisplayText.csvField(text(value))
            }
        }
        var lines = [report.columns.map { DisplayText.csvField($0) }.joined(separator: ",")]
        lines += report.rows.map { $0.map(field).joined(separator: ",") }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
