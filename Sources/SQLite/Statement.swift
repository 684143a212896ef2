import CSQLite

/// A prepared statement, finalized when released.
///
/// A statement belongs to the `Database` that prepared it and must be used on
/// the same thread of control as that database.
public final class Statement {
    /// The SQL the statement was prepared from.
    public let sql: String
    @usableFromInline let handle: OpaquePointer
    @usableFromInline unowned let database: Database
    /// Number of `?` parameters the statement expects.
    public let parameterCount: Int
    /// Result column names.
    public let columnNames: [String]

    init(database: Database, sql: String) throws {
        var statement: OpaquePointer?
        // PERSISTENT: statements are cached for the connection's life; kept out of SQLite's lookaside
        // memory, which then stays free for the short allocations of each step.
        let code = sqlite3_prepare_v3(database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw database.error(code: code, sql: sql)
        }
        self.handle = statement
        self.sql = sql
        self.database = database
        self.parameterCount = Int(sqlite3_bind_parameter_count(statement))
        let count = Int(sqlite3_column_count(statement))
        self.columnNames = (0..<count).map { index in
            sqlite3_column_name(statement, Int32(index)).map { String(cString: $0) } ?? ""
        }
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Resets the statement and binds the given values to its parameters.
    public func bind(_ arguments: [any SQLiteBindable]) throws {
        sqlite3_reset(handle)
        guard arguments.count == parameterCount else {
            throw SQLiteError(
                code: .range,
                message: "expected \(parameterCount) arguments, got \(arguments.count)",
                sql: sql)
        }
        for (offset, argument) in arguments.enumerated() {
            let code = argument.sqliteValue.bind(to: handle, at: Int32(offset + 1))
            guard code == SQLITE_OK else { throw database.error(code: code, sql: sql) }
        }
    }

    /// Resets the statement and binds `values` in order, checking that they fill every parameter.
    @inlinable
    func resetAndBind<each Value: SQLiteBindable>(_ values: repeat each Value) throws {
        sqlite3_reset(handle)
        var index: Int32 = 0
        for value in repeat each values {
            index += 1
            let code = value.sqliteValue.bind(to: handle, at: index)
            guard code == SQLITE_OK else { throw database.error(code: code, sql: sql) }
        }
        guard Int(index) == parameterCount else {
            throw SQLiteError(code: .range, message: "expected \(parameterCount) arguments, got \(index)", sql: sql)
        }
    }

    /// Runs the statement to completion with the given values bound in order: the fast path
    /// for hot inserts (no array, no existential boxes).
    /// Inlinable, so each call site is specialised for its argument types (no generic metadata per call).
    @inlinable
    public func execute<each Value: SQLiteBindable>(_ values: repeat each Value) throws {
        try resetAndBind(repeat each values)
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard code == SQLITE_DONE || code == SQLITE_ROW else { throw database.error(code: code, sql: sql) }
    }

    /// Binds `values`, runs the statement to completion and returns the first row's first column as an
    /// integer (nil without a row or for NULL): `INSERT ... RETURNING key` without allocating rows.
    @inlinable
    public func scalarInt64<each Value: SQLiteBindable>(_ values: repeat each Value) throws -> Int64? {
        try resetAndBind(repeat each values)
        defer { sqlite3_reset(handle) }
        var code = sqlite3_step(handle)
        let result: Int64? =
            code == SQLITE_ROW && sqlite3_column_type(handle, 0) != SQLITE_NULL
            ? sqlite3_column_int64(handle, 0) : nil
        while code == SQLITE_ROW { code = sqlite3_step(handle) }
        guard code == SQLITE_DONE else { throw database.error(code: code, sql: sql) }
        return result
    }

    /// Runs the statement to completion with the given arguments, ignoring rows.
    public func run(_ arguments: [any SQLiteBindable] = []) throws {
        try bind(arguments)
        defer { sqlite3_reset(handle) }
        while try step() {}
    }

    /// Runs the statement and returns every row.
    public func query(_ arguments: [any SQLiteBindable] = []) throws -> [Row] {
        try bind(arguments)
        defer { sqlite3_reset(handle) }
        var rows: [Row] = []
        while try step() {
            rows.append(currentRow())
        }
        return rows
    }

    /// Steps once: true when a row is available.
    func step() throws -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw database.error(code: code, sql: sql)
        }
    }

    func currentRow() -> Row {
        var values: [SQLiteValue] = []
        values.reserveCapacity(columnNames.count)
        for column in 0..<Int32(columnNames.count) {
            values.append(value(at: column))
        }
        return Row(columns: columnNames, values: values)
    }

    private func value(at column: Int32) -> SQLiteValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(handle, column))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(handle, column))
        case SQLITE_TEXT:
            return text(at: column).map(SQLiteValue.text) ?? .null
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, column))
            guard count > 0, let pointer = sqlite3_column_blob(handle, column) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: pointer, count: count)))
        default:
            return .null
        }
    }

    /// The text of `column`, byte for byte: all `sqlite3_column_bytes` bytes, so an embedded NUL and what
    /// follows it are kept (a C-string read stops at the NUL, and the value would never equal what was bound).
    ///
    /// A Swift `String` is always valid UTF-8, and that is what binding stores, so every `String` bound
    /// reads back equal. Invalid UTF-8 can only come from elsewhere (another program, `CAST(blob AS TEXT)`);
    /// it is decoded deliberately with each bad sequence replaced by U+FFFD, the same way every time.
    /// Nil only when SQLite cannot give the text (out of memory), read as NULL as before.
    private func text(at column: Int32) -> String? {
        // Text first, then its length: the order SQLite documents (column_text may convert, changing the length).
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }
}
