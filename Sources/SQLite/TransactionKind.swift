/// How a transaction takes its locks.
public enum TransactionKind: String, Sendable {
    /// Takes the read lock at the first read; for read-only work.
    case deferred = "DEFERRED"
    /// Takes the write lock at BEGIN, so a busy timeout applies up front: for writes.
    case immediate = "IMMEDIATE"
    /// Like immediate; in WAL mode identical to it.
    case exclusive = "EXCLUSIVE"
}
