/// An error from SQLite: its result code, SQLite's message and the SQL text.
///
/// Bound values are never part of the error, so a secret bound to a statement
/// cannot reach a log through it.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// The (extended) result code.
    public let code: ResultCode
    /// SQLite's own message.
    public let message: String
    /// The SQL being run, if any (never its bound values).
    public let sql: String?

    public init(code: ResultCode, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    public var description: String {
        var text = "SQLite error \(code.rawValue): \(message)"
        if let sql {
            let compact = sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            text += " (in: \(compact.prefix(200)))"
        }
        return text
    }
}
