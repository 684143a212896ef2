import Foundation
import SQLite

extension ObservationReader {
    /// The previous observation of what `current` watches on `monitor`: each activity's restrictions
    /// as its latest poll stored them, and each link's latest row (matched by activity, login type
    /// and guest). Activities and links never stored are left out; a list `current` does not watch is nil.
    ///
    /// An activity stored without restrictions (its placeholder row) reads back with no entries. A
    /// link row without a URL fingerprint reads back with an empty one, which no real fingerprint equals.
    public static func previousVolcengine(
        monitor: String, of current: VolcengineObservation, in database: Database
    ) throws -> VolcengineObservation {
        var previous = VolcengineObservation(restrictions: nil, links: nil)
        if let activities = current.restrictions {
            previous.restrictions = try activities.compactMap { activity in
                try latestRestrictions(monitor: monitor, activityID: activity.activityID, in: database)
            }
        }
        if let links = current.links {
            previous.links = try links.compactMap { link in try latestLink(monitor: monitor, like: link, in: database) }
        }
        return previous
    }

    /// The restrictions of the activity's latest poll, or nil when it was never stored.
    static func latestRestrictions(monitor: String, activityID: Int64, in database: Database) throws
        -> ActivityViewingRestrictions?
    {
        let activity = String(activityID)
        let rows = try database.statement(
            """
            SELECT restriction_type, custom_app, custom_url, error_redirect_url, secret_fingerprint, main_button_title,
                   sub_button_title
            FROM viewing_restrictions
            WHERE monitor = ? AND activity_id = ?
              AND poll_id = (SELECT max(poll_id) FROM viewing_restrictions WHERE monitor = ? AND activity_id = ?)
            """
        ).query([monitor, activity, monitor, activity])
        guard let first = rows.first else { return nil }
        let placeholder = ViewingRestriction(
            type: nil, customApp: nil, customURL: nil, errorRedirectURL: nil, secretFingerprint: nil)
        return ActivityViewingRestrictions(
            activityID: activityID, mainButtonTitle: first.string("main_button_title"),
            subButtonTitle: first.string("sub_button_title"),
            entries: rows.compactMap { row in
                let entry = ViewingRestriction(
                    type: row.int64("restriction_type").map { Int($0) }, customApp: row.string("custom_app"),
                    customURL: row.string("custom_url"), errorRedirectURL: row.string("error_redirect_url"),
                    secretFingerprint: row.string("secret_fingerprint"))
                // The placeholder row of an activity without restrictions.
                return entry == placeholder ? nil : entry
            })
    }

    /// The latest stored row of the link with `link`'s activity, login type and guest, or nil when it was never stored.
    static func latestLink(monitor: String, like link: LiveClientLink, in database: Database) throws -> LiveClientLink?
    {
        guard
            let row = try database.statement(
                """
                SELECT expire_time, url_fingerprint, tmp_url_fingerprint FROM live_client_links
                WHERE monitor = ? AND activity_id = ? AND login_type = ? AND user_name IS ?
                ORDER BY poll_id DESC LIMIT 1
                """
            ).query([monitor, String(link.activityID), link.loginType, link.userName]).first
        else { return nil }
        return LiveClientLink(
            activityID: link.activityID, loginType: link.loginType, userName: link.userName,
            expireTime: row.int64("expire_time"),
            urlFingerprint: row.string("url_fingerprint") ?? "",
            temporaryURLFingerprint: row.string("tmp_url_fingerprint"))
    }
}
