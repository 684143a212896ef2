/// One result row: values addressed by column index or name.
public struct Row: Sendable, Equatable {
    /// Column names, in result order.
    public let columns: [String]
    /// Values, in result order.
    public let values: [SQLiteValue]

    public init(columns: [String], values: [SQLiteValue]) {
        self.columns = columns
        self.values = values
    }

    /// The value at a column index, or `.null` when out of range.
    public subscript(_ index: Int) -> SQLiteValue {
        values.indices.contains(index) ? values[index] : .null
    }

    /// The value of a named column, or `.null` when there is no such column.
    public subscript(_ name: String) -> SQLiteValue {
        guard let index = columns.firstIndex(of: name) else { return .null }
        return values[index]
    }

    /// The named column as an integer, if it holds one.
    public func int64(_ name: String) -> Int64? {
        switch self[name] {
        case .integer(let value): return value
        case .real(let value): return Int64(exactly: value.rounded(.towardZero))
        default: return nil
        }
    }

    /// The named column as a `Double`, if numeric.
    public func double(_ name: String) -> Double? {
        switch self[name] {
        case .integer(let value): return Double(value)
        case .real(let value): return value
        default: return nil
        }
    }

    /// The named column as text, if it holds text.
    public func string(_ name: String) -> String? {
        if case .text(let value) = self[name] { return value }
        return nil
    }
}
