/// `daemon.listen`: where the metrics and health listener binds, `host:port`. The host is an IPv4
/// address, a host name or a bracketed IPv6 address (`[::1]:9464`); port 0 picks a free port.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// The host as written, without brackets.
    public var host: String
    /// The port, 0 for any free one.
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, bracketing an IPv6 host.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Reads `host:port`; nil (with the reason) when it is not one.
    public static func parse(_ text: String) -> Result<ListenAddress, ListenAddressError> {
        guard text.utf8.count <= ConfigurationLimits.listenLength else { return .failure(.tooLong) }
        guard let colon = text.lastIndex(of: ":") else { return .failure(.noPort) }
        var host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2 else { return .failure(.badHost) }
            host = String(host.dropFirst().dropLast())
            guard host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return .failure(.badHost) }
        } else {
            let allowed = host.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "." || $0 == "-" }
            guard !host.isEmpty, allowed else { return .failure(.badHost) }
        }
        guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(portText), ConfigurationLimits.listenPort.contains(port)
        else { return .failure(.badPort) }
        return .success(ListenAddress(host: host, port: port))
    }
}

/// Why `daemon.listen` is not a `host:port`.
public enum ListenAddressError: Error, Sendable, CustomStringConvertible {
    case tooLong, noPort, badHost, badPort

    public var description: String {
        switch self {
        case .tooLong: return "longer than \(ConfigurationLimits.listenLength) characters"
        case .noPort: return "expected host:port, e.g. 127.0.0.1:9464"
        case .badHost:
            return "the host must be an IPv4 address, a host name or a bracketed IPv6 address, e.g. [::1]:9464"
        case .badPort:
            return
                "the port must be a number from \(ConfigurationLimits.listenPort.lowerBound) to \(ConfigurationLimits.listenPort.upperBound)"
        }
    }
}
