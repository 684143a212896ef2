import Foundation
import SQLite

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

    /// The notices and link-expiry conditions of one poll (nothing for a failed poll).
    public func evaluate(_ report: PollReport, in database: Database) throws -> AlertEvaluation {
        guard case .observed(.volcengine(let observation)) = report.outcome else { return AlertEvaluation() }
        var evaluation = AlertEvaluation()
        for activity in observation.restrictions ?? [] {
            if let notice = try restrictionNotice(for: activity, in: database) {
                evaluation.notices.append(notice)
            }
        }
        let now = ObservationWriter.unixSeconds(report.finishedAt)
        var watched = Set<String>()
        for link in observation.links ?? [] {
            watched.insert(link.subject)
            if let notice = try linkNotice(for: link, in: database) {
                evaluation.notices.append(notice)
            }
            evaluation.conditions.append((
                AlertKey(rule: .liveClientLinkExpiring, monitor: monitor, subject: link.subject),
                expiryCondition(for: link, now: now)))
        }
        let open = try SQLiteAlertStateStore(database: database).openSubjects(rule: .liveClientLinkExpiring, monitor: monitor)
        for subject in open where !watched.contains(subject) {
            evaluation.conditions.append((
                AlertKey(rule: .liveClientLinkExpiring, monitor: monitor, subject: subject),
                .clear(message: "Start link \(subject) is no longer watched", value: nil)))
        }
        return evaluation
    }

    // MARK: - Viewing restrictions

    /// The notice for an activity whose restrictions differ from its last observation, if they do.
    func restrictionNotice(for activity: ActivityViewingRestrictions, in database: Database) throws -> AlertNotice? {
        let activityID = String(activity.activityID)
        let rows = try database.cachedStatement(
            """
            SELECT restriction_type, custom_app, custom_url, error_redirect_url, secret_fingerprint, main_button_title,
                   sub_button_title
            FROM viewing_restrictions
            WHERE monitor = ? AND activity_id = ?
              AND poll_id = (SELECT max(poll_id) FROM viewing_restrictions WHERE monitor = ? AND activity_id = ?)
            """
        ).query([monitor, activityID, monitor, activityID])
        guard let first = rows.first else { return nil }
        let previous = ActivityViewingRestrictions(
            activityID: activity.activityID, mainButtonTitle: first.string("main_button_title"),
            subButtonTitle: first.string("sub_button_title"),
            entries: rows.compactMap { row in
                let entry = ViewingRestriction(
                    type: row.int64("restriction_type").map { Int($0) }, customApp: row.string("custom_app"),
                    customURL: row.string("custom_url"), errorRedirectURL: row.string("error_redirect_url"),
                    secretFingerprint: row.string("secret_fingerprint"))
                // The placeholder row of an activity without restrictions.
                let isPlaceholder = entry == ViewingRestriction(
                    type: nil, customApp: nil, customURL: nil, errorRedirectURL: nil, secretFingerprint: nil)
                return isPlaceholder ? nil : entry
            })
        let (changes, serious) = Self.differences(from: previous, to: activity)
        guard !changes.isEmpty else { return nil }
        return AlertNotice(
            key: AlertKey(rule: .viewingRestrictionChanged, monitor: monitor, subject: activityID),
            severity: serious ? .warning : .info,
            message: "Volcengine activity \(activityID) viewing restrictions changed: " + changes.joined(separator: "; "))
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
        if previous.mainButtonTitle != current.mainButtonTitle { changes.append("MainViewingRestrictionButtonTitle changed") }
        if previous.subButtonTitle != current.subButtonTitle { changes.append("SubViewingRestrictionButtonTitle changed") }
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

    /// The notice for a link whose permanent URL differs from its last observation, if it does.
    func linkNotice(for link: LiveClientLink, in database: Database) throws -> AlertNotice? {
        let previous = try database.cachedStatement(
            """
            SELECT url_fingerprint FROM live_client_links
            WHERE monitor = ? AND activity_id = ? AND login_type = ? AND user_name IS ?
            ORDER BY poll_id DESC LIMIT 1
            """
        ).query([monitor, String(link.activityID), link.loginType, link.userName]).first
        guard let previous, previous.string("url_fingerprint") != link.urlFingerprint else { return nil }
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
            let when = remaining > 0
                ? "expires in \(DurationParser.format(Double(remaining))), at \(at)"
                : "expired \(DurationParser.format(Double(-remaining))) ago, at \(at)"
            return .firing(
                severity: .warning, message: "\(label) \(when)", value: Double(remaining), threshold: linkExpiryWarning)
        }
        return .clear(
            message: "\(label) now expires in \(DurationParser.format(Double(remaining))), at \(at)", value: Double(remaining))
    }

    static func linkLabel(_ link: LiveClientLink, temporary: Bool = false) -> String {
        let kind = temporary ? "temporary" : "permanent"
        if let name = link.userName {
            return "Guest \(name)'s \(kind) start link for activity \(link.activityID)"
        }
        return "The host's \(kind) start link for activity \(link.activityID)"
    }
}
