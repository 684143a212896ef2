import Foundation
import SQLite
import Testing

/// A fresh database file in a temporary folder, removed with the folder.
struct TemporaryDatabase {
    let directory: String
    var path: String { directory + "/test.db" }

    init() throws {
        directory = NSTemporaryDirectory() + "sqlite-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

@Suite struct DatabaseTests {
    @Test func bindsAndReadsEveryType() throws {
        let temporary = try TemporaryDatabase()
        defer { temporary.remove() }
        let database = try Database(path: temporary.path)
        try database.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n)")
        let optionalMissing: Int? = nil
        try database.run(
            "INSERT INTO t VALUES (?, ?, ?, ?, ?)",
            [Int64.max, 2.5, "héllo 世界", [UInt8]([0, 1, 255]), optionalMissing])
        try database.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [true, Int32(-7), "", [UInt8](), SQLiteValue.null])
        let rows = try database.query("SELECT i, r, s, b, n FROM t ORDER BY rowid")
        #expect(rows.count == 2)
        #expect(rows[0]["i"] == .integer(Int64.max))
        #expect(rows[0]["r"] == .real(2.5))
        #expect(rows[0]["s"] == .text("héllo 世界"))
        #expect(rows[0]["b"] == .blob([0, 1, 255]))
        #expect(rows[0]["n"] == .null)
        #expect(rows[1]["i"] == .integer(1))
        #expect(rows[1]["r"] == .real(-7)) // REAL affinity converts the bound integer
        #expect(rows[1]["s"] == .text(""))
        #expect(rows[1]["b"] == .blob([]))
    }

    @Test func opensInWALWithNormalSynchronous() throws {
        let temporary = try TemporaryDatabase()
        defer { temporary.remove() }
        let database = try Database(path: temporary.path)
        #expect(try database.first("PRAGMA journal_mode")?[0] == .text("wal"))
        #expect(try database.scalarInt64("PRAGMA synchronous") == 1)
    }

    @Test func rollsBackWhenTheBodyThrows() throws {
        let temporary = try TemporaryDatabase()
        defer { temporary.remove() }
        let database = try Database(path: temporary.path)
        try database.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        #expect(throws: SQLiteError.self) {
            try database.write {
                try database.run("INSERT INTO t (v) VALUES (?)", ["kept?"])
                try database.run("INSERT INTO t (v) VALUES (?)", [SQLiteValue.null])
            }
        }
        #expect(try database.scalarInt64("SELECT count(*) FROM t") == 0)
        #expect(!database.isInTransaction)
    }

    @Test func errorsCarryCodeAndSQLButNeverBoundValues() throws {
        let temporary = try TemporaryDatabase()
        defer { temporary.remove() }
        let database = try Database(path: temporary.path)
        try database.execute("CREATE TABLE t (v TEXT UNIQUE)")
        try database.run("INSERT INTO t VALUES (?)", ["s3cr3t-value"])
        do {
            try database.run("INSERT INTO t VALUES (?)", ["s3cr3t-value"])
            Issue.record("expected a constraint error")
        } catch let error as SQLiteError {
            #expect(error.code.matches(.constraint))
            #expect(error.sql?.contains("INSERT INTO t") == true)
            #expect(!error.description.contains("s3cr3t-value"))
            #expect(!error.message.contains("s3cr3t-value"))
        }
    }

    @Test func rejectsAWrongNumberOfArguments() throws {
        let temporary = try TemporaryDatabase()
        defer { temporary.remove() }
        let database = try Database(path: temporary.path)
        try database.execute("CREATE TABLE t (a, b)")
        #expect(throws: SQLiteError.self) { try database.run("INSERT INTO t VALUES (?, ?)", [1]) }
    }

    @Test(.timeLimit(.minutes(1))) func aSecondWriterGetsBusyAfterItsTimeout() throws {
        let temporary = try TemporaryDatabase()
        defer { temporary.remove() }
        let first = try Database(path: temporary.path)
        try first.execute("CREATE TABLE t (v)")
        let second = try Database(path: temporary.path, options: .init(busyTimeoutMilliseconds: 100))
        try first.execute("BEGIN IMMEDIATE")
        try first.run("INSERT INTO t VALUES (1)")
        // The bounded timeout is honoured: the write gives up with SQLITE_BUSY instead of waiting for ever
        // (the test's time limit, not a stopwatch, catches a wait that never ends).
        do {
            try second.write { try second.run("INSERT INTO t VALUES (2)") }
            Issue.record("expected SQLITE_BUSY")
        } catch let error as SQLiteError {
            #expect(error.code.matches(.busy))
        }
        try first.execute("COMMIT")
        try second.write { try second.run("INSERT INTO t VALUES (2)") }
        #expect(try first.scalarInt64("SELECT count(*) FROM t") == 2)
    }

    /// Text with an embedded NUL, non-ASCII text, or both, read back byte for byte through every way of binding.
    @Test(arguments: [
        "app\u{0}x", "\u{0}", "a\u{0}\u{0}b\u{0}", "héllo\u{0}世界", "直播间 🎥\u{0}尾巴", "e\u{301}", "tab\tnewline\n", "",
    ])
    func textRoundTripsByteForByte(text: String) throws {
        let temporary = try TemporaryDatabase()
        defer { temporary.remove() }
        let database = try Database(path: temporary.path)
        try database.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT)")
        try database.run("INSERT INTO t (id, s) VALUES (1, ?)", [text])
        try database.statement("INSERT INTO t (id, s) VALUES (2, ?)").execute(text)
        try database.run("INSERT INTO t (id, s) VALUES (3, ?)", [SQLiteValue.text(text)])
        let optional: String? = text
        try database.run("INSERT INTO t (id, s) VALUES (4, ?)", [optional])
        let rows = try database.query("SELECT id, s, length(CAST(s AS BLOB)) AS bytes FROM t ORDER BY id")
        #expect(rows.count == 4)
        for row in rows {
            #expect(row["s"] == .text(text), "row \(row["id"])")
            #expect(row.string("s")?.utf8.elementsEqual(text.utf8) == true)
            #expect(row.int64("bytes") == Int64(text.utf8.count), "SQLite stored every byte")
        }
        // What was read back finds the row again: it equals what was stored.
        let stored = try #require(rows.first?.string("s"))
        #expect(try database.scalarInt64("SELECT count(*) FROM t WHERE s = ?", [stored]) == 4)
    }

    /// Invalid UTF-8 cannot come from a Swift `String`; text another program stored that way is
    /// decoded deliberately (each bad sequence becomes U+FFFD), the same every time, NULs kept.
    @Test func invalidUTF8StoredByOthersIsRepairedTheSameWayEveryTime() throws {
        let temporary = try TemporaryDatabase()
        defer { temporary.remove() }
        let database = try Database(path: temporary.path)
        let first = try database.first("SELECT CAST(x'61ff0062c3' AS TEXT) AS s")?.string("s")
        let second = try database.first("SELECT CAST(x'61ff0062c3' AS TEXT) AS s")?.string("s")
        #expect(first == "a\u{FFFD}\u{0}b\u{FFFD}")
        #expect(first == second)
    }

    /// A file the wrapper creates is owner-only, and so are its WAL and shared-memory files; a file
    /// that is already there keeps the mode its owner gave it.
    @Test func newFilesAreOwnerOnlyAndAnExistingFileKeepsItsMode() throws {
        let temporary = try TemporaryDatabase()
        defer { temporary.remove() }
        let created = try Database(path: temporary.path)
        try created.execute("CREATE TABLE t (v); INSERT INTO t VALUES (1)")
        for suffix in ["", "-wal", "-shm"] {
            #expect(try Self.mode(temporary.path + suffix) == 0o600, "test.db\(suffix)")
        }

        let chosen = temporary.directory + "/chosen.db"
        #expect(FileManager.default.createFile(atPath: chosen, contents: nil, attributes: [.posixPermissions: 0o640]))
        let existing = try Database(path: chosen)
        try existing.execute("CREATE TABLE t (v); INSERT INTO t VALUES (1)")
        for suffix in ["", "-wal", "-shm"] {
            #expect(try Self.mode(chosen + suffix) == 0o640, "chosen.db\(suffix)")
        }
    }

    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return ((attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1) & 0o777
    }

    @Test func aReadOnlyConnectionSeesCommittedDataAndCannotWrite() throws {
        let temporary = try TemporaryDatabase()
        defer { temporary.remove() }
        let writer = try Database(path: temporary.path)
        try writer.execute("CREATE TABLE t (v)")
        try writer.run("INSERT INTO t VALUES (?)", [42])
        let reader = try Database(path: temporary.path, options: .init(readOnly: true))
        #expect(try reader.scalarInt64("SELECT v FROM t") == 42)
        #expect(throws: SQLiteError.self) { try reader.execute("INSERT INTO t VALUES (1)") }
    }

    /// `transaction()` without a kind takes the write lock at BEGIN (IMMEDIATE): another writer is
    /// refused at once, before the transaction has written anything. `.deferred` takes no lock up front.
    @Test func aTransactionIsImmediateUnlessToldOtherwise() throws {
        let temporary = try TemporaryDatabase()
        defer { temporary.remove() }
        let first = try Database(path: temporary.path)
        try first.execute("CREATE TABLE t (v)")
        let second = try Database(path: temporary.path, options: .init(busyTimeoutMilliseconds: 0))
        try first.transaction { () -> Void in
            #expect(throws: SQLiteError.self) { try second.write { try second.run("INSERT INTO t VALUES (1)") } }
        }
        try first.transaction(.deferred) {
            try second.write { try second.run("INSERT INTO t VALUES (2)") }
        }
        #expect(try first.scalarInt64("SELECT count(*) FROM t") == 1)
    }
}

@Suite struct MigratorTests {
    static let first = Migrator.Migration(name: "one", sql: "CREATE TABLE a (x INTEGER);")
    static let second = Migrator.Migration(name: "two", sql: "ALTER TABLE a ADD COLUMN y TEXT; CREATE TABLE b (z);")

    @Test func migratesFromAnOlderVersionKeepingData() throws {
        let temporary = try TemporaryDatabase()
        defer { temporary.remove() }
        do {
            let database = try Database(path: temporary.path)
            #expect(try Migrator(migrations: [Self.first]).migrate(database) == [1])
            try database.run("INSERT INTO a (x) VALUES (7)")
        }
        let database = try Database(path: temporary.path)
        let applied = try Migrator(migrations: [Self.first, Self.second]).migrate(database)
        #expect(applied == [2])
        #expect(try database.userVersion() == 2)
        #expect(try database.scalarInt64("SELECT x FROM a") == 7)
        try database.run("INSERT INTO b VALUES (1)")
        #expect(try Migrator(migrations: [Self.first, Self.second]).migrate(database) == [])
    }

    @Test func aFailedMigrationLeavesTheOldVersion() throws {
        let temporary = try TemporaryDatabase()
        defer { temporary.remove() }
        let database = try Database(path: temporary.path)
        let broken = Migrator.Migration(name: "broken", sql: "CREATE TABLE c (x); CREATE TABLE c (x);")
        #expect(throws: SQLiteError.self) { try Migrator(migrations: [Self.first, broken]).migrate(database) }
        #expect(try database.userVersion() == 1)
        #expect(try database.query("SELECT name FROM sqlite_master WHERE name = 'c'").isEmpty)
    }

    @Test func refusesADatabaseFromANewerProgram() throws {
        let temporary = try TemporaryDatabase()
        defer { temporary.remove() }
        let database = try Database(path: temporary.path)
        try database.setUserVersion(5)
        let error = try #require(throws: SchemaVersionError.self) {
            try Migrator(migrations: [Self.first], program: "livewatch").migrate(database)
        }
        #expect(
            error.description
                == "\(temporary.path): database schema version 5 is newer than this livewatch (1); upgrade livewatch")
        #expect(try database.userVersion() == 5)
        #expect(try database.query("SELECT name FROM sqlite_master").isEmpty, "nothing was migrated")
    }

    /// A version no migration writes (negative, or past the newest) is a clean error with one line,
    /// never an index out of range.
    @Test(arguments: [-1, -2_147_483_648, 3, 2_147_483_647])
    func refusesAVersionItDidNotWrite(version: Int) throws {
        let temporary = try TemporaryDatabase()
        defer { temporary.remove() }
        let database = try Database(path: temporary.path)
        try database.setUserVersion(version)
        #expect(try database.userVersion() == version)
        let error = try #require(throws: SchemaVersionError.self) {
            try Migrator(migrations: [Self.first, Self.second], program: "livewatch").migrate(database)
        }
        #expect(error.found == version)
        let expected =
            version < 0
            ? "database schema version \(version) was not written by livewatch"
            : "database schema version \(version) is newer than this livewatch (2); upgrade livewatch"
        #expect(error.description == "\(temporary.path): \(expected)")
        #expect(!error.description.contains("\n"))
        #expect(try database.query("SELECT name FROM sqlite_master").isEmpty, "nothing was migrated")
    }
}

@Suite struct AutoVacuumTests {
    @Test func incrementalAutoVacuumIsSetOnANewFileBeforeWAL() throws {
        let temporary = try TemporaryDatabase()
        defer { temporary.remove() }
        let database = try Database(path: temporary.path, options: .init(incrementalAutoVacuum: true))
        try database.execute("CREATE TABLE t (x)")
        #expect(try database.scalarInt64("PRAGMA auto_vacuum") == 2)
        #expect(try database.first("PRAGMA journal_mode")?[0] == .text("wal"))
    }
}
