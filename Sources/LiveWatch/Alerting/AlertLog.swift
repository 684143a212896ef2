import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The JSON Lines alert log on an `O_APPEND` file, reopened when it was
/// rotated (renamed or removed) underneath us. With logrotate's `copytruncate`
/// the same file shrinks and `O_APPEND` keeps writing at its new end.
///
/// A line is whole or absent: the file's size is noted before each line, and a
/// line that cannot be written completely (a short write followed by ENOSPC, an
/// I/O error) is cut off again with `ftruncate`, so the next attempt starts on a
/// line boundary. Lines are on disk (`fdatasync`) before `append` returns, so a
/// caller may then forget them (the outbox deletes its rows only after that).
/// livewatch is the only writer of the file.
public final class AlertLog: Sendable {
    private struct OpenFile {
        var descriptor: Int32 = -1
        var device: UInt64 = 0
        var inode: UInt64 = 0
        /// Where a fragment that could not be cut off starts; cut before anything else is written.
        var fragmentAt: off_t?
    }

    /// The system calls the log makes: `write(2)` and `fdatasync(2)`, replaceable in tests to
    /// simulate a short write, a full disk or a failing flush. Each returns what the call returns
    /// and leaves the reason in `errno`.
    struct FileCalls: Sendable {
        var write: @Sendable (_ descriptor: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int
        var sync: @Sendable (_ descriptor: Int32) -> Int32

        static let posix = FileCalls(write: posixWrite, sync: posixDataSync)
    }

    /// The log's path.
    public let path: String
    private let calls: FileCalls
    private let state = Mutex(OpenFile())

    /// Prepares the log; the file (and its directory) are created on the first write.
    public convenience init(path: String) {
        self.init(path: path, calls: .posix)
    }

    init(path: String, calls: FileCalls) {
        self.path = path
        self.calls = calls
    }

    deinit {
        state.withLock { file in
            if file.descriptor >= 0 { close(file.descriptor) }
        }
    }

    /// Appends one line (the newline is added), whole or not at all, and flushes it to disk.
    public func append(_ line: String) throws(AlertLogError) {
        let outcome = append([line])
        if let error = outcome.error { throw error }
    }

    /// What `append(_:)` of several lines achieved.
    public struct Outcome: Sendable {
        /// How many of the lines, from the first, are in the file and on disk.
        public var written: Int
        /// Why the rest were not written, if they were not.
        public var error: AlertLogError?
    }

    /// Appends `lines` in order, each whole or not at all, then flushes them to disk with one `fdatasync`.
    ///
    /// Stops at the first line that cannot be written (its fragment is cut off again). If the flush
    /// fails, every line of this call is cut off again and none counts as written: a line reported
    /// written is on disk, and one not reported written is not in the file, so writing it again later
    /// never duplicates it.
    public func append(_ lines: [String]) -> Outcome {
        guard !lines.isEmpty else { return Outcome(written: 0, error: nil) }
        return state.withLock { (file: inout OpenFile) -> Outcome in
            do throws(AlertLogError) {
                try reopenIfRotated(&file)
                try cutFragment(&file)
            } catch {
                return Outcome(written: 0, error: error)
            }
            let batchStart = size(of: file.descriptor)
            var written = 0
            var failure: AlertLogError?
            for line in lines {
                // Without the size, a fragment could not be cut off: write nothing rather than risk one.
                guard let lineStart = size(of: file.descriptor) else {
                    failure = AlertLogError(
                        path: path, reason: "cannot read its size: \(String(cString: strerror(errno)))")
                    break
                }
                if let reason = writeWhole(line, to: file.descriptor) {
                    failure = AlertLogError(path: path, reason: reason)
                    discard(&file, from: lineStart)
                    break
                }
                written += 1
            }
            guard written > 0 else {
                drop(&file)
                return Outcome(written: 0, error: failure)
            }
            if calls.sync(file.descriptor) != 0 {
                // Not known to be on disk: take the lines back, so a retry writes each exactly once.
                let reason = String(cString: strerror(errno))
                discard(&file, from: batchStart)
                drop(&file)
                return Outcome(written: 0, error: AlertLogError(path: path, reason: "cannot flush to disk: \(reason)"))
            }
            if failure != nil { drop(&file) }
            return Outcome(written: written, error: failure)
        }
    }

    /// Closes the file; the next append reopens it (SIGHUP's "reopen the alert log").
    public func reopen() {
        state.withLock { file in
            if file.descriptor >= 0 { close(file.descriptor) }
            file = OpenFile()
        }
    }

    /// Writes `line` and its newline completely, retrying short writes; the reason on failure.
    private func writeWhole(_ line: String, to descriptor: Int32) -> String? {
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                calls.write(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return String(cString: strerror(errno))
            }
            // A regular file never takes nothing without an error; do not spin if it does.
            if written == 0 { return "the write made no progress" }
            offset += written
        }
        return nil
    }

    /// The file's size now, or nil if it cannot be read (then nothing can be cut off safely).
    private func size(of descriptor: Int32) -> off_t? {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        return status.st_size
    }

    /// Cuts the file back to `start` (the beginning of a line that failed). If that fails, the
    /// fragment is remembered and cut before the next line; until then nothing is appended.
    private func discard(_ file: inout OpenFile, from start: off_t?) {
        guard let start else { return }
        // Only ever shrink: if the file is already shorter (truncated by logrotate), nothing of ours is left.
        guard let current = size(of: file.descriptor), current > start else { return }
        while ftruncate(file.descriptor, start) != 0 {
            if errno == EINTR { continue }
            file.fragmentAt = start
            return
        }
    }

    /// Cuts a fragment left by an earlier failure, or fails without writing.
    private func cutFragment(_ file: inout OpenFile) throws(AlertLogError) {
        guard let start = file.fragmentAt else { return }
        file.fragmentAt = nil
        discard(&file, from: start)
        if file.fragmentAt != nil {
            throw AlertLogError(
                path: path, reason: "cannot remove a partly written line: \(String(cString: strerror(errno)))")
        }
    }

    /// Drops the descriptor so the next write starts afresh, unless a fragment still has to be cut in this file.
    private func drop(_ file: inout OpenFile) {
        guard file.fragmentAt == nil, file.descriptor >= 0 else { return }
        close(file.descriptor)
        file = OpenFile()
    }

    private func reopenIfRotated(_ file: inout OpenFile) throws(AlertLogError) {
        if file.descriptor >= 0 {
            var onDisk = stat()
            if stat(path, &onDisk) == 0, UInt64(onDisk.st_dev) == file.device, UInt64(onDisk.st_ino) == file.inode {
                return
            }
            // Rotated: a fragment left in the old file is logrotate's now; the new file starts clean.
            close(file.descriptor)
            file = OpenFile()
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else {
            throw AlertLogError(path: path, reason: String(cString: strerror(errno)))
        }
        var opened = stat()
        fstat(descriptor, &opened)
        file = OpenFile(descriptor: descriptor, device: UInt64(opened.st_dev), inode: UInt64(opened.st_ino))
        // A new file's name must survive a crash as well as its lines: flush the directory entry too.
        let folder = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            _ = fsync(folder)
            close(folder)
        }
    }
}

private func posixWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

private func posixDataSync(_ descriptor: Int32) -> Int32 {
    fdatasync(descriptor)
}

/// The alert log could not be written.
public struct AlertLogError: Error, Sendable, CustomStringConvertible {
    /// The alert log's path.
    public let path: String
    /// What the system said (`strerror`), never the line.
    public let reason: String

    /// One line with the path and the reason.
    public var description: String { "cannot write the alert log \(path): \(reason)" }
}
