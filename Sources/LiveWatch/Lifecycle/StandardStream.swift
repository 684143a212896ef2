#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Standard output and standard error, written with POSIX `write(2)` so that a
/// closed or broken stream can never kill the process: a line that cannot be
/// written (EPIPE when the reader went away, EBADF, ENOSPC, EAGAIN...) is
/// dropped. `FileHandle.write` would trap on such an error on Linux, and
/// without `ignoreBrokenPipes()` the first write to a closed pipe is a SIGPIPE.
public enum StandardStream: Sendable {
    /// File descriptor 1.
    case output
    /// File descriptor 2.
    case error

    var descriptor: Int32 {
        switch self {
        case .output: return 1
        case .error: return 2
        }
    }

    /// Writes all of `text`, retrying interrupted and partial writes; returns false
    /// (the rest dropped) if the stream refused it. Never throws, never traps.
    @discardableResult
    public func write(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return true }
        return bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return true }
            var offset = 0
            while offset < buffer.count {
                let written = sysWrite(descriptor, base + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }
    }

    /// Ignores SIGPIPE for the whole process, so a write to a pipe nobody reads fails with EPIPE
    /// instead of killing the process (sockets and standard streams alike). Idempotent.
    public static func ignoreBrokenPipes() {
        _ = signal(SIGPIPE, SIG_IGN)
    }
}

/// POSIX `write(2)` (the name is shadowed inside `StandardStream`).
private func sysWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
        return Glibc.write(descriptor, bytes, count)
    #elseif canImport(Musl)
        return Musl.write(descriptor, bytes, count)
    #else
        return Darwin.write(descriptor, bytes, count)
    #endif
}
