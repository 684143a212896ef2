import Foundation

/// What one successful Volcengine livesaas poll saw. Secrets (restriction
/// SecretKeys, start links) are only present as fingerprints.
public struct VolcengineObservation: Sendable, Equatable {
    /// One entry per watched activity, in configuration order; nil when `viewing_restrictions` is off.
    public var restrictions: [ActivityViewingRestrictions]?
    /// The host link and each guest link of each watched activity; nil when `live_client_links` is off.
    public var links: [LiveClientLink]?

    /// Distinct activities observed (`polls.items`).
    public var activityCount: Int {
        var ids = Set<Int64>()
        for restriction in restrictions ?? [] { ids.insert(restriction.activityID) }
        for link in links ?? [] { ids.insert(link.activityID) }
        return ids.count
    }
}

/// An activity's custom viewing restrictions (`GetCustomViewingRestrictionInfoAPI`).
public struct ActivityViewingRestrictions: Sendable, Equatable {
    /// The activity (live room) id.
    public var activityID: Int64
    /// `MainViewingRestrictionButtonTitle`.
    public var mainButtonTitle: String?
    /// `SubViewingRestrictionButtonTitle`.
    public var subButtonTitle: String?
    /// Up to two entries (type 1 main, type 2 secondary); empty when the activity has none.
    public var entries: [ViewingRestriction]
}

/// One `CustomViewingRestriction` entry, its SecretKey reduced to a fingerprint.
public struct ViewingRestriction: Sendable, Equatable {
    /// `ViewingRestrictionType`: 1 main, 2 secondary.
    public var type: Int?
    /// `CustomApp`: the account system's name.
    public var customApp: String?
    /// `CustomUrl`: the login page of the account system.
    public var customURL: String?
    /// `ErrorRedirectUrl`: where a failed check sends the viewer.
    public var errorRedirectURL: String?
    /// ``Secret/fingerprint(of:)`` of the SecretKey; nil when the vendor sent none.
    public var secretFingerprint: String?
}

/// One start link as stored: fingerprints and the temporary link's expiry, never the link.
public struct LiveClientLink: Sendable, Equatable {
    /// The activity (live room) id.
    public var activityID: Int64
    /// 0 host, 1 guest.
    public var loginType: Int
    /// The guest's name (nil for the host link).
    public var userName: String?
    /// `ExpireTime` of the temporary link (unix seconds); nil when there is none (guest links).
    public var expireTime: Int64?
    /// Fingerprint of the permanent `Url`.
    public var urlFingerprint: String
    /// Fingerprint of `TmpUrl`, if one was sent.
    public var temporaryURLFingerprint: String?

    /// The alert subject: the activity id, or `activity:guest` for a guest link.
    public var subject: String { Self.subject(activityID: activityID, userName: userName) }

    /// The alert subject of a link.
    public static func subject(activityID: Int64, userName: String?) -> String {
        if let userName { return "\(activityID):\(userName)" }
        return String(activityID)
    }
}
