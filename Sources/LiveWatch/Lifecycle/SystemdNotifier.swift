import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// systemd's notify protocol without libsystemd: one datagram per message to
/// the AF_UNIX socket named by `$NOTIFY_SOCKET` (a path, or `@name` for the
/// abstract namespace). Without `$NOTIFY_SOCKET` every call does nothing.
public struct SystemdNotifier: Sendable {
    /// The socket path, if the service manager gave one.
    public let socketPath: String?
    /// The watchdog interval systemd expects pings within (`$WATCHDOG_USEC`), in seconds.
    public let watchdogInterval: Double?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        if let text = environment["WATCHDOG_USEC"], let microseconds = Double(text), microseconds > 0,
            environment["WATCHDOG_PID"].map({ $0 == String(getpid()) }) ?? true
        {
            watchdogInterval = microseconds / 1_000_000
        } else {
            watchdogInterval = nil
        }
    }

    /// True when there is a socket to notify.
    public var isEnabled: Bool { socketPath != nil }

    /// Sends `READY=1`.
    public func ready(status: String) { send("READY=1\nSTATUS=\(status)") }
    /// Sends `STOPPING=1`.
    public func stopping() { send("STOPPING=1") }
    /// Sends `RELOADING=1` with the monotonic time systemd 253+ wants (older ones ignore it).
    public func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let microseconds = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
        send("RELOADING=1\nMONOTONIC_USEC=\(microseconds)")
    }
    /// Sends `READY=1` after a reload.
    public func reloaded(status: String) { ready(status: status) }
    /// Sends `WATCHDOG=1`.
    public func watchdog() { send("WATCHDOG=1") }
    /// Sends a free-form `STATUS=`.
    public func status(_ text: String) { send("STATUS=\(text)") }

    /// Sends one datagram; failures are ignored (notification is best effort).
    @discardableResult
    public func send(_ message: String) -> Bool {
        guard let socketPath else { return false }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in pathBytes.enumerated() { buffer[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1))
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bytes.withUnsafeBytes { buffer in
                    sendto(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                }
            }
        }
        return sent == bytes.count
    }
}
