import Foundation

/// A start link as `GetDownloadLiveClient` returned it. The links log a host
/// in without a password: they are kept as ``Secret``s, which print as `<redacted>`.
public struct StartLink: Sendable {
    /// The permanent `Url`.
    public var url: Secret
    /// `TmpUrl`, for the host link only.
    public var temporaryURL: Secret?
    /// `ExpireTime` of `TmpUrl`, unix seconds.
    public var expireTime: Int64?
}

/// Which start link to fetch: the host's (`LoginType` 0) or a guest's (`LoginType` 1 with a name).
public enum StartLinkKind: Sendable, Equatable {
    case host
    case guest(String)

    /// `LoginType`.
    public var loginType: Int {
        if case .guest = self { return 1 }
        return 0
    }

    /// The guest's name, if any.
    public var userName: String? {
        if case .guest(let name) = self { return name }
        return nil
    }

    /// Whether `name` is an acceptable guest name: 1 to 15 characters, as the API documents.
    public static func isValidGuestName(_ name: String) -> Bool {
        (1...15).contains(name.count)
    }
}
