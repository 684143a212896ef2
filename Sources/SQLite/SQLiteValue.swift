import CSQLite

/// A value stored in or bound to SQLite: one of its five storage classes.
public enum SQLiteValue: Sendable, Equatable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// A Swift value that can be bound to a statement parameter: it says how SQLite stores it, and the
/// wrapper binds that. Binding itself (the C statement handle) stays inside the wrapper.
public protocol SQLiteBindable: Sendable {
    /// The value as SQLite stores it.
    var sqliteValue: SQLiteValue { get }
}

extension SQLiteValue {
    /// Binds this value to parameter `index` (1-based) of `statement`; returns SQLite's result code.
    /// Inlinable, so a statement's typed `execute` binds an `Int` or a `String` with no detour through the enum.
    @inlinable
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        switch self {
        case .null:
            return sqlite3_bind_null(statement, index)
        case .integer(let value):
            return sqlite3_bind_int64(statement, index, value)
        case .real(let value):
            return sqlite3_bind_double(statement, index, value)
        case .text(let value):
            return Self.bindText(value, to: statement, at: index)
        case .blob(let bytes):
            return bytes.withUnsafeBytes { buffer in
                // A zero-length blob still needs a non-NULL pointer, or SQLite stores NULL.
                sqlite3_bind_blob64(
                    statement, index, buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1),
                    sqlite3_uint64(buffer.count), livewatch_sqlite_transient())
            }
        }
    }

    /// Binds `text` as UTF-8; native strings are contiguous UTF-8, bound without making a C string first.
    @inlinable
    static func bindText(_ text: String, to statement: OpaquePointer, at index: Int32) -> Int32 {
        var text = text
        return text.withUTF8 { bytes in
            sqlite3_bind_text64(
                statement, index,
                UnsafeRawPointer(bytes.baseAddress ?? UnsafePointer(bitPattern: 1))?
                    .assumingMemoryBound(to: CChar.self),
                sqlite3_uint64(bytes.count), livewatch_sqlite_transient(), UInt8(SQLITE_UTF8))
        }
    }
}

extension SQLiteValue: SQLiteBindable {
    /// The value itself.
    @inlinable public var sqliteValue: SQLiteValue { self }
}

extension Int: SQLiteBindable {
    /// An integer.
    @inlinable public var sqliteValue: SQLiteValue { .integer(Int64(self)) }
}

extension Int64: SQLiteBindable {
    /// An integer.
    @inlinable public var sqliteValue: SQLiteValue { .integer(self) }
}

extension Int32: SQLiteBindable {
    /// An integer.
    @inlinable public var sqliteValue: SQLiteValue { .integer(Int64(self)) }
}

extension Bool: SQLiteBindable {
    /// 1 or 0.
    @inlinable public var sqliteValue: SQLiteValue { .integer(self ? 1 : 0) }
}

extension Double: SQLiteBindable {
    /// A real.
    @inlinable public var sqliteValue: SQLiteValue { .real(self) }
}

extension String: SQLiteBindable {
    /// Text.
    @inlinable public var sqliteValue: SQLiteValue { .text(self) }
}

extension Array: SQLiteBindable where Element == UInt8 {
    /// A blob.
    @inlinable public var sqliteValue: SQLiteValue { .blob(self) }
}

extension Optional: SQLiteBindable where Wrapped: SQLiteBindable {
    /// NULL, or the wrapped value.
    @inlinable public var sqliteValue: SQLiteValue {
        switch self {
        case .none: return .null
        case .some(let wrapped): return wrapped.sqliteValue
        }
    }
}
