import Foundation

/// Every live platform of a MetaStudio project, from one complete listing.
public struct LivePlatformListing: Sendable, Equatable {
    /// The platforms, in listing order, each platform id once.
    public var platforms: [LivePlatform]

    /// A listing of `platforms`.
    public init(platforms: [LivePlatform]) {
        self.platforms = platforms
    }
}

/// One MetaStudio live platform and its authorization. Holds the fingerprint
/// of the platform's auth key, never the key.
public struct LivePlatform: Sendable, Equatable {
    /// How a time field of the listing was read.
    public enum TimeField: Sendable, Equatable {
        /// The vendor left it out (or sent an empty string or 0).
        case absent
        /// It was understood.
        case parsed(Date)
        /// It was sent but in no format livewatch understands; stored as NULL.
        case unreadable

        /// The moment, when understood.
        public var date: Date? {
            if case .parsed(let date) = self { return date }
            return nil
        }
    }

    /// `platform_id`: the alerts' subject.
    public var platformID: String
    /// The platform's display name.
    public var name: String?
    /// `MEITUAN_OFFICIAL` or `MSS_STANDARD`.
    public var accessType: String?
    /// `AUTHORIZED` or `UNAUTHORIZED`; nil when the platform has no `authorization_info`.
    public var authorizeState: String?
    /// `authorization_info.authorized_time`, as read.
    public var authorizedTime: TimeField = .absent
    /// `authorization_info.expire_time`, as read.
    public var expireTime: TimeField = .absent
    /// The authorized account (for Meituan, the opBizCode).
    public var account: String?
    /// `sha256:` + 16 hex of `auth_config.key`, if the platform has one.
    public var authKeyFingerprint: String?
    /// `callback_config`, sorted by API type then URL.
    public var callbacks: [PlatformCallback] = []
    /// False for a platform read back from storage whose callbacks were not recorded (rows written
    /// before livewatch stored them) or cannot be read: `callbacks` is then empty and says nothing.
    public var callbacksKnown: Bool = true

    /// `Name (id)`, or just the id when the platform has no name: for messages.
    public var displayName: String {
        if let name, !name.isEmpty { return "\(name) (\(platformID))" }
        return platformID
    }
}

/// One callback of a custom live platform (`StandardPlatformApiConfig`).
public struct PlatformCallback: Sendable, Equatable, Comparable {
    /// `PRODUCT_QUERY` or `LIVE_EVENT_CALLBACK`.
    public var apiType: String
    /// The callback URL (not a secret).
    public var url: String

    /// True when the URL is HTTPS, the only scheme MetaStudio documents.
    public var isHTTPS: Bool { url.lowercased().hasPrefix("https://") }

    /// Orders by API type, then URL.
    public static func < (lhs: PlatformCallback, rhs: PlatformCallback) -> Bool {
        (lhs.apiType, lhs.url) < (rhs.apiType, rhs.url)
    }
}
