import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What the kernel counted for a child process, read when it is reaped (`wait4`), and its peak resident set.
struct ChildUsage {
    /// User + system CPU seconds of all its threads.
    var cpu: Double
    /// Peak resident set size of the program, in bytes: its `VmHWM`, sampled every 20 ms while it ran (0 if it
    /// ended before the first sample). Not `wait4`'s `ru_maxrss`: `posix_spawn` starts the child in this
    /// process's address space (`CLONE_VM`), and `execve` carries that address space's high-water mark into the
    /// child's `ru_maxrss`, so a program smaller than the benchmark would read as large as the benchmark.
    var peakRSS: Int
    /// Voluntary + involuntary context switches of all its threads.
    var contextSwitches: Int
    /// Its exit status as `wait4` reported it.
    var status: Int32

    /// The exit code, if it exited (rather than being killed by a signal).
    var exitCode: Int32? { status & 0x7F == 0 ? (status >> 8) & 0xFF : nil }
}

/// A program started with `posix_spawn` (standard output and error into files), so that what it costs can be
/// read from the kernel when it ends: the figures are the product's own, not the benchmark's.
final class SpawnedProcess: Sendable {
    let pid: pid_t
    let started = Date()

    init(path: String, arguments: [String], environment: [String: String], output: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard result == 0 else {
            throw BenchError("cannot start \(path): \(String(cString: strerror(result)))")
        }
        self.pid = pid
    }

    /// Sends `signal` to the process.
    func send(_ signal: Int32) { kill(pid, signal) }

    /// The program's resident high-water mark so far (`VmHWM`), in bytes; nil once it has ended.
    func residentHighWater() -> Int? {
        procStatusBytes(String(pid), field: "VmHWM")
    }

    /// Waits for the process to end and returns what it cost.
    func wait() -> ChildUsage {
        let sampler = HighWaterSampler(self)
        var usage = rusage()
        var status: Int32 = 0
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let peak = sampler.stop()
        let cpu =
            Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
        return ChildUsage(
            cpu: cpu, peakRSS: peak, contextSwitches: usage.ru_nvcsw + usage.ru_nivcsw,
            status: status)
    }
}

/// Reads a child's `VmHWM` every 20 ms on a thread of its own until stopped: the last reading is the peak.
private final class HighWaterSampler: @unchecked Sendable {
    private let lock = NSLock()
    private var peak = 0
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)

    init(_ process: SpawnedProcess) {
        let thread = Thread { [self] in
            while !lock.withLock({ stopped }) {
                if let value = process.residentHighWater() { lock.withLock { peak = max(peak, value) } }
                usleep(20_000)
            }
            finished.signal()
        }
        thread.start()
    }

    /// Stops sampling; the highest reading.
    func stop() -> Int {
        lock.withLock { stopped = true }
        finished.wait()
        return lock.withLock { peak }
    }
}

/// A benchmark that cannot go on, with the reason.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The `livewatch` binary to measure: `path` if given, else the one built beside this benchmark.
func livewatchBinary(_ path: String?) throws -> String {
    let chosen =
        path
        ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "livewatch"
        ).path
    guard FileManager.default.isExecutableFile(atPath: chosen) else {
        throw BenchError("no livewatch binary at \(chosen): build it (`swift build -c release`) or pass --livewatch")
    }
    return chosen
}

/// `name` if it is a path, else where it is found in PATH.
func executablePath(_ name: String) throws -> String {
    if name.contains("/") { return name }
    let directories = (getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin").split(separator: ":")
    for directory in directories where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
        return "\(directory)/\(name)"
    }
    throw BenchError("\(name) is not in PATH")
}

/// This process's context switches so far (all threads).
func processContextSwitches() -> Int {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return usage.ru_nvcsw + usage.ru_nivcsw
}
