/// One problem found in a configuration file: where it is and what is wrong.
public struct ConfigurationProblem: Sendable, Equatable, CustomStringConvertible {
    /// 1-based line in the file, when known.
    public let line: Int?
    /// The monitor (or notifier) the key belongs to, if any.
    public let owner: String?
    /// The key path, e.g. `daemon.failure_threshold` or `interval`.
    public let key: String
    /// What is wrong, in one phrase.
    public let message: String

    /// `line 12: polyv-main: interval: must be at least 1s`.
    public var description: String {
        var parts: [String] = []
        if let line { parts.append("line \(line)") }
        if let owner { parts.append(owner) }
        if !key.isEmpty { parts.append(key) }
        parts.append(message)
        return parts.joined(separator: ": ")
    }
}

/// A configuration that cannot be used: every problem found, in file order.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The file the problems are in.
    public let path: String
    /// Every problem, in the order found.
    public let problems: [ConfigurationProblem]

    public init(path: String, problems: [ConfigurationProblem]) {
        self.path = path
        self.problems = problems
    }

    public var description: String {
        problems.map { "\(path): \($0)" }.joined(separator: "\n")
    }
}
