import Foundation

/// Where a process's resident memory is, from `/proc/PID/smaps`: the pages of its own binary (code, and the
/// data, relocated tables and read-only data beside it), of the shared libraries it loads, and anonymous memory
/// (heap, thread stacks, SQLite's page cache).
struct ResidentSet {
    var binaryCode = 0
    var binaryData = 0
    var libraries = 0
    var anonymous = 0

    var total: Int { binaryCode + binaryData + libraries + anonymous }

    /// Reads the mappings of `pid`; `binary` is the path the process was started from. Nil if unreadable.
    init?(pid: pid_t, binary: String) {
        // Read to the end by hand: `String(contentsOfFile:)` stops after the first 4 KB of a /proc file.
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/smaps"),
            let data = try? handle.readToEnd(), let smaps = String(data: data, encoding: .utf8)
        else { return nil }
        let executable = URL(fileURLWithPath: binary).resolvingSymlinksInPath().path
        var kind = Kind.anonymous
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), first.first?.isHexDigit == true, fields.count >= 5 {
                kind = Self.kind(permissions: fields[1], path: fields.count > 5 ? String(fields[5]) : "", executable)
            } else if fields.first == "Rss:", fields.count >= 2, let kilobytes = Int(fields[1]) {
                let bytes = kilobytes * 1_024
                switch kind {
                case .binaryCode: binaryCode += bytes
                case .binaryData: binaryData += bytes
                case .library: libraries += bytes
                case .anonymous: anonymous += bytes
                }
            }
        }
    }

    private enum Kind { case binaryCode, binaryData, library, anonymous }

    private static func kind(permissions: Substring, path: String, _ executable: String) -> Kind {
        if path == executable { return permissions.contains("x") ? .binaryCode : .binaryData }
        return path.hasPrefix("/") ? .library : .anonymous
    }

    var summary: String {
        String(
            format: "%.1f MB = binary code %.1f + binary data %.1f + shared libraries %.1f + anonymous %.1f",
            Double(total) / 1e6, Double(binaryCode) / 1e6, Double(binaryData) / 1e6, Double(libraries) / 1e6,
            Double(anonymous) / 1e6)
    }
}
