/// How serious an alert-log line is.
public enum Severity: String, Sendable, Comparable, CaseIterable {
    case info
    case warning
    case critical

    var rank: Int {
        switch self {
        case .info: return 0
        case .warning: return 1
        case .critical: return 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}
