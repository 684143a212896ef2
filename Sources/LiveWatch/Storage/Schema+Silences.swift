extension Schema {
    /// Version 8: silences added with `livewatch silence add`, applied by the running daemon at its next poll.
    /// `rule` and `subject` NULL match any; `expired_at` is set by `livewatch silence expire`. Times are Unix
    /// seconds. The daemon reads the silences whose `ends_at` is still ahead, through `silences_by_end`.
    static let silences = """
        CREATE TABLE silences (
            id INTEGER PRIMARY KEY,
            monitor TEXT NOT NULL,
            rule TEXT,
            subject TEXT,
            starts_at INTEGER NOT NULL,
            ends_at INTEGER NOT NULL,
            comment TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expired_at INTEGER,
            CHECK (ends_at > starts_at)
        );
        CREATE INDEX silences_by_end ON silences (ends_at);
        """
}
