import Foundation

/// Alerts of a Volcengine monitor:
/// - `viewing_restriction_changed` (notice, subject the activity id): the
///   restrictions differ from the activity's last observation. The message
///   names what changed ("secret rotated", "CustomUrl changed"), never a value;
///   `warning` when a secret changed or a restriction disappeared, else `info`.
/// - `live_client_link_changed` (notice, `warning`): a permanent start link's
///   fingerprint differs from the last observation.
/// - `live_client_link_expiring` (warning): a temporary start link's
///   `ExpireTime` is within `link_expiry_warning`; resolves when a later link
///   expires beyond it, or when the link is no longer watched.
///
/// The first observation of an activity or a link writes no notice.
public struct VolcengineEvaluator: AlertEvaluator {
    /// The monitor's name.
    public let monitor: String
    /// `link_expiry_warning`, in seconds.
    public let linkExpiryWarning: Double

    /// Creates the evaluator of one monitor.
    public init(monitor: String, linkExpiryWarning: Double) {
        self.monitor = monitor
        self.linkExpiryWarning = linkExpiryWarning
    }

    /// Notices compare with the previous observation of each activity and link.
    public var comparesWithPrevious: Bool { true }
    /// A link no longer watched resolves its expiry alert.
    public var rulesResolvingVanishedSubjects: [AlertRule] { [.liveClientLinkExpiring] }

    /// The notices and link-expiry conditions of one poll (nothing for a failed poll), given the
    /// previous observation of each watched activity and link.
    public func evaluate(_ report: PollReport, previous: Observation?, openSubjects: [AlertRule: [String]])
        -> AlertEvaluation
    {
        guard case .observed(.volcengine(let observation)) = report.outcome else { return AlertEvaluation() }
        var before = VolcengineObservation(restrictions: nil, links: nil)
        if case .volcengine(let previousObservation)? = previous { before = previousObservation }
        let previousRestrictions = Dictionary(
            (before.restrictions ?? []).map { ($0.activityID, $0) }, uniquingKeysWith: { first, _ in first })
        var evaluation = AlertEvaluation()
        for activity in observation.restrictions ?? [] {
            if let old = previousRestrictions[activity.activityID],
                let notice = restrictionNotice(from: old, to: activity)
            {
                evaluation.notices.append(notice)
            }
        }
        let previousLinks = Dictionary(
            (before.links ?? []).map { (LinkIdentity($0), $0) }, uniquingKeysWith: { first, _ in first })
        let now = Int64(report.finishedAt.timeIntervalSince1970.rounded(.down))
        var watched = Set<String>()
        for link in observation.links ?? [] {
            watched.insert(link.subject)
            if let old = previousLinks[LinkIdentity(link)], let notice = linkNotice(from: old, to: link) {
                evaluation.notices.append(notice)
            }
            evaluation.conditions.append(
                (
                    AlertKey(rule: .liveClientLinkExpiring, monitor: monitor, subject: link.subject),
                    expiryCondition(for: link, now: now)
                ))
        }
        for subject in openSubjects[.liveClientLinkExpiring] ?? [] where !watched.contains(subject) {
            evaluation.conditions.append(
                (
                    AlertKey(rule: .liveClientLinkExpiring, monitor: monitor, subject: subject),
                    .clear(message: "Start link \(subject) is no longer watched", value: nil)
                ))
        }
        return evaluation
    }

    /// What makes two observations the same start link: its activity, its login type and its guest.
    struct LinkIdentity: Hashable {
        var activityID: Int64
        var loginType: Int
        var userName: String?

        init(_ link: LiveClientLink) {
            activityID = link.activityID
            loginType = link.loginType
            userName = link.userName
        }
    }

    // MARK: - Viewing restrictions

    /// The notice for an activity whose restrictions differ from its previous observation, if they do.
    func restrictionNotice(from previous: ActivityViewingRestrictions, to activity: ActivityViewingRestrictions)
        -> AlertNotice?
    {
        let activityID = String(activity.activityID)
        let (changes, serious) = Self.differences(from: previous, to: activity)
        guard !changes.isEmpty else { return nil }
        return AlertNotice(
            key: AlertKey(rule: .viewingRestrictionChanged, monitor: monitor, subject: activityID),
            severity: serious ? .warning : .info,
            message: "Volcengine activity \(activityID) viewing restrictions changed: "
                + changes.joined(separator: "; "))
    }

    /// What differs between two observations, by name only; `serious` when a
    /// secret changed or a restriction disappeared.
    static func differences(
        from previous: ActivityViewingRestrictions, to current: ActivityViewingRestrictions
    ) -> (changes: [String], serious: Bool) {
        var changes: [String] = []
        var serious = false
        let before = Dictionary(previous.entries.map { ($0.type, $0) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(current.entries.map { ($0.type, $0) }, uniquingKeysWith: { first, _ in first })
        let types = Set(before.keys).union(after.keys).sorted { ($0 ?? Int.max) < ($1 ?? Int.max) }
        for type in types {
            let label = restrictionLabel(type)
            switch (before[type], after[type]) {
            case (.some, nil):
                changes.append("\(label) disappeared")
                serious = true
            case (nil, .some):
                changes.append("\(label) added")
            case (.some(let old), .some(let new)):
                var fields: [String] = []
                if old.secretFingerprint != new.secretFingerprint {
                    serious = true
                    switch (old.secretFingerprint, new.secretFingerprint) {
                    case (nil, _): fields.append("secret set")
                    case (_, nil): fields.append("secret removed")
                    default: fields.append("secret rotated")
                    }
                }
                if old.customApp != new.customApp { fields.append("CustomApp changed") }
                if old.customURL != new.customURL { fields.append("CustomUrl changed") }
                if old.errorRedirectURL != new.errorRedirectURL { fields.append("ErrorRedirectUrl changed") }
                if !fields.isEmpty { changes.append("\(label): " + fields.joined(separator: ", ")) }
            case (nil, nil):
                break
            }
        }
        if previous.mainButtonTitle != current.mainButtonTitle {
            changes.append("MainViewingRestrictionButtonTitle changed")
        }
        if previous.subButtonTitle != current.subButtonTitle {
            changes.append("SubViewingRestrictionButtonTitle changed")
        }
        return (changes, serious)
    }

    static func restrictionLabel(_ type: Int?) -> String {
        switch type {
        case 1: return "main restriction (type 1)"
        case 2: return "secondary restriction (type 2)"
        case let other?: return "restriction type \(other)"
        case nil: return "restriction without a type"
        }
    }

    // MARK: - Start links

    /// The notice for a link whose permanent URL differs from its previous observation, if it does.
    func linkNotice(from previous: LiveClientLink, to link: LiveClientLink) -> AlertNotice? {
        guard previous.urlFingerprint != link.urlFingerprint else { return nil }
        return AlertNotice(
            key: AlertKey(rule: .liveClientLinkChanged, monitor: monitor, subject: link.subject), severity: .warning,
            message: "\(Self.linkLabel(link)) changed: links handed out before no longer work")
    }

    /// `live_client_link_expiring` for one link at `now` (unix seconds).
    func expiryCondition(for link: LiveClientLink, now: Int64) -> AlertCondition {
        let label = Self.linkLabel(link, temporary: true)
        guard let expireTime = link.expireTime else {
            return .clear(message: "\(label) is no longer returned", value: nil)
        }
        let remaining = expireTime - now
        let at = AlertLine.rfc3339(Date(timeIntervalSince1970: TimeInterval(expireTime)))
        if Double(remaining) <= linkExpiryWarning {
            let when =
                remaining > 0
                ? "expires in \(DurationParser.format(Double(remaining))), at \(at)"
                : "expired \(DurationParser.format(Double(-remaining))) ago, at \(at)"
            return .firing(
                severity: .warning, message: "\(label) \(when)", value: Double(remaining), threshold: linkExpiryWarning)
        }
        return .clear(
            message: "\(label) now expires in \(DurationParser.format(Double(remaining))), at \(at)",
            value: Double(remaining))
    }

    static func linkLabel(_ link: LiveClientLink, temporary: Bool = false) -> String {
        let kind = temporary ? "temporary" : "permanent"
        if let name = link.userName {
            return "Guest \(name)'s \(kind) start link for activity \(link.activityID)"
        }
        return "The host's \(kind) start link for activity \(link.activityID)"
    }
}
