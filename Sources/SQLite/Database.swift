import CSQLite

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One SQLite connection.
///
/// Not thread-safe by itself: own it from one serial context (an actor or a
/// serial queue). Writes go through `write(_:)`, which uses `BEGIN IMMEDIATE`
/// so the busy timeout applies when the write lock is taken, not halfway
/// through a transaction.
public final class Database {
    /// How the connection is opened.
    public struct Options: Sendable {
        /// Open without write access (reports, `sqlite3`-style readers).
        public var readOnly: Bool
        /// How long to wait for another connection's lock before `SQLITE_BUSY`, in milliseconds.
        public var busyTimeoutMilliseconds: Int32
        /// Use write-ahead logging (readers do not block the writer).
        public var journalModeWAL: Bool
        /// Give freed pages back with `PRAGMA incremental_vacuum`. Takes effect only on a new,
        /// empty file, and must be set before WAL: which is why it is an option here.
        public var incrementalAutoVacuum: Bool

        public init(
            readOnly: Bool = false, busyTimeoutMilliseconds: Int32 = 5_000, journalModeWAL: Bool = true,
            incrementalAutoVacuum: Bool = false
        ) {
            self.readOnly = readOnly
            self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
            self.journalModeWAL = journalModeWAL
            self.incrementalAutoVacuum = incrementalAutoVacuum
        }
    }

    let handle: OpaquePointer
    /// The file path the connection was opened on.
    public let path: String
    private var statementCache: [String: Statement] = [:]
    private var staticStatementCache: [UnsafeRawPointer: Statement] = [:]

    /// Configures SQLite once for the process, before its first connection: memory statistics off. With them on
    /// (the default), every allocation SQLite makes takes a process-wide mutex to count bytes, which nothing here
    /// reads (no `sqlite3_memory_used`, no soft heap limit); storing a 10,000-room crawl allocates at each of its
    /// 20,000 statements (`livewatch-bench tencent-crawl`). If SQLite was already initialised by other code in
    /// the process, the call is refused and the defaults stay: still correct, only slower.
    private static let processConfiguration: Void = {
        _ = livewatch_sqlite_disable_memory_statistics()
    }()

    /// Opens (creating unless read-only) the database at `path` and configures it.
    ///
    /// A file created here is mode 0600 (owner only) whatever the umask, and so are its `-wal` and
    /// `-shm` files, which SQLite creates with the database file's mode. An existing file keeps its mode.
    public init(path: String, options: Options = Options()) throws {
        Self.processConfiguration
        if !options.readOnly {
            try Self.createOwnerOnlyIfMissing(path)
        }
        var connection: OpaquePointer?
        let flags =
            options.readOnly
            ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
            : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &connection, flags, nil)
        guard code == SQLITE_OK, let connection else {
            let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(connection)
            throw SQLiteError(code: ResultCode(rawValue: code), message: "\(message): \(path)")
        }
        self.handle = connection
        self.path = path
        sqlite3_extended_result_codes(connection, 1)
        sqlite3_busy_timeout(connection, options.busyTimeoutMilliseconds)
        if !options.readOnly {
            if options.incrementalAutoVacuum, try scalarInt64("PRAGMA page_count") == 0 {
                try execute("PRAGMA auto_vacuum = INCREMENTAL")
            }
            if options.journalModeWAL {
                try execute("PRAGMA journal_mode=WAL")
            }
            try execute("PRAGMA synchronous=NORMAL")
        }
        // cache_size and mmap_size stay SQLite's defaults (2 MiB, no mmap). Measured on the statements of a
        // room crawl: 10,000 rooms (about 1.5 MB of pages) store in the same CPU with 2 MiB, 8 MiB or 256 MiB of
        // mmap; 512 KiB is slower; at 50,000 rooms 8 MiB and 16 MiB cost 7 and 11 MB more RSS for no CPU saved.
        try execute("PRAGMA foreign_keys=ON")
    }

    /// The mode of a database file this wrapper creates: read and write for the owner only.
    public static let newFileMode: mode_t = 0o600

    /// Creates `path` empty with `newFileMode` if nothing is there yet (SQLite would otherwise create it
    /// 0644 under the usual umask, and the history would be readable by every local user).
    /// `O_EXCL` never touches a file that exists, whoever made it; `fchmod` makes the mode exact whatever the umask.
    static func createOwnerOnlyIfMissing(_ path: String) throws {
        // In-memory and temporary databases, and URI file names, have no plain path to create.
        guard !path.isEmpty, path != ":memory:", !path.hasPrefix("file:") else { return }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, newFileMode)
        guard descriptor >= 0 else {
            // Already there (the operator's file and mode are kept), or not creatable here: SQLite's open says why.
            return
        }
        defer { close(descriptor) }
        guard fchmod(descriptor, newFileMode) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw SQLiteError(code: .cantOpen, message: "cannot set mode 0600 on the new database \(path): \(reason)")
        }
    }

    deinit {
        statementCache.removeAll()
        staticStatementCache.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more SQL statements that take no arguments.
    public func execute(_ sql: String) throws {
        let code = sqlite3_exec(handle, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw error(code: code, sql: sql) }
    }

    /// Prepares a statement (not cached).
    public func prepare(_ sql: String) throws -> Statement {
        try Statement(database: self, sql: sql)
    }

    /// A prepared statement for `sql`, prepared once per connection and reused.
    public func cachedStatement(_ sql: String) throws -> Statement {
        if let statement = statementCache[sql] { return statement }
        let statement = try prepare(sql)
        statementCache[sql] = statement
        return statement
    }

    /// A prepared statement for SQL written in the source, cached by its address: the cheapest lookup,
    /// for statements run on every poll.
    public func statement(_ sql: StaticString) throws -> Statement {
        let key = UnsafeRawPointer(sql.utf8Start)
        if let statement = staticStatementCache[key] { return statement }
        let statement = try prepare(sql.description)
        staticStatementCache[key] = statement
        return statement
    }

    /// Runs one statement with arguments, using the statement cache.
    public func run(_ sql: String, _ arguments: [any SQLiteBindable] = []) throws {
        try cachedStatement(sql).run(arguments)
    }

    /// Runs a query with arguments and returns all rows, using the statement cache.
    public func query(_ sql: String, _ arguments: [any SQLiteBindable] = []) throws -> [Row] {
        try cachedStatement(sql).query(arguments)
    }

    /// The first row of a query, if any.
    public func first(_ sql: String, _ arguments: [any SQLiteBindable] = []) throws -> Row? {
        try query(sql, arguments).first
    }

    /// The first column of the first row, as a 64-bit integer (nil without a row, or when it is not an integer).
    public func scalarInt64(_ sql: String, _ arguments: [any SQLiteBindable] = []) throws -> Int64? {
        guard let row = try first(sql, arguments) else { return nil }
        if case .integer(let value) = row[0] { return value }
        return nil
    }

    /// The rowid of the last inserted row on this connection.
    public var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// True when a transaction is open on this connection.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` inside a transaction: committed if it returns, rolled back if it throws.
    ///
    /// `IMMEDIATE` unless told otherwise: the write lock is taken at BEGIN, where the busy timeout
    /// applies, never halfway through (a deferred transaction that reads, then writes, can fail with
    /// `SQLITE_BUSY` at its first write whatever the timeout). Read-only work asks for `.deferred`.
    ///
    /// The first error is the one rethrown; a rollback happens only if the
    /// transaction is still open (SQLite may already have rolled it back).
    /// BEGIN and COMMIT are prepared once and reused, like every statement run on each poll.
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        let begin: Statement
        switch kind {
        case .deferred: begin = try statement("BEGIN DEFERRED TRANSACTION")
        case .immediate: begin = try statement("BEGIN IMMEDIATE TRANSACTION")
        case .exclusive: begin = try statement("BEGIN EXCLUSIVE TRANSACTION")
        }
        try begin.execute()
        do {
            let result = try body()
            try statement("COMMIT TRANSACTION").execute()
            return result
        } catch {
            if isInTransaction {
                try? execute("ROLLBACK TRANSACTION")
            }
            throw error
        }
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: the way to write.
    public func write<T>(_ body: () throws -> T) throws -> T {
        try transaction(.immediate, body)
    }

    /// `PRAGMA user_version`.
    public func userVersion() throws -> Int {
        Int(try scalarInt64("PRAGMA user_version") ?? 0)
    }

    /// Sets `PRAGMA user_version`.
    public func setUserVersion(_ version: Int) throws {
        try execute("PRAGMA user_version = \(version)")
    }

    @usableFromInline
    func error(code: Int32, sql: String?) -> SQLiteError {
        let extended = sqlite3_extended_errcode(handle)
        let message = String(cString: sqlite3_errmsg(handle))
        let resultCode = ResultCode(rawValue: extended != 0 && (extended & 0xFF) == (code & 0xFF) ? extended : code)
        return SQLiteError(code: resultCode, message: message, sql: sql)
    }
}
