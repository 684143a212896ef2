import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The JSON Lines alert log: one `write(2)` per line on an `O_APPEND` file,
/// reopened when it was rotated (renamed or removed) underneath us. With
/// logrotate's `copytruncate` the same file shrinks and `O_APPEND` keeps
/// writing at its new end.
public final class AlertLog: Sendable {
    private struct OpenFile {
        var descriptor: Int32 = -1
        var device: UInt64 = 0
        var inode: UInt64 = 0
    }

    /// The log's path.
    public let path: String
    private let state = Mutex(OpenFile())

    /// Prepares the log; the file (and its directory) are created on the first write.
    public init(path: String) {
        self.path = path
    }

    deinit {
        state.withLock { file in
            if file.descriptor >= 0 { close(file.descriptor) }
        }
    }

    /// Appends one line (the newline is added) with a single write.
    public func append(_ line: String) throws(AlertLogError) {
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        try state.withLock { (file: inout OpenFile) throws(AlertLogError) in
            try reopenIfRotated(&file)
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { buffer in
                    write(file.descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                }
                if written < 0 {
                    if errno == EINTR { continue }
                    let reason = String(cString: strerror(errno))
                    // Drop the descriptor so the next write starts afresh.
                    close(file.descriptor)
                    file.descriptor = -1
                    throw AlertLogError(path: path, reason: reason)
                }
                offset += written
            }
        }
    }

    /// Closes the file; the next append reopens it (SIGHUP's "reopen the alert log").
    public func reopen() {
        state.withLock { file in
            if file.descriptor >= 0 { close(file.descriptor) }
            file.descriptor = -1
        }
    }

    private func reopenIfRotated(_ file: inout OpenFile) throws(AlertLogError) {
        if file.descriptor >= 0 {
            var onDisk = stat()
            if stat(path, &onDisk) == 0, UInt64(onDisk.st_dev) == file.device, UInt64(onDisk.st_ino) == file.inode {
                return
            }
            close(file.descriptor)
            file.descriptor = -1
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
    }
}

/// The alert log could not be written.
public struct AlertLogError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String

    public var description: String { "cannot write the alert log \(path): \(reason)" }
}
