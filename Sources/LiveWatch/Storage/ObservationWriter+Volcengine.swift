import Foundation
import SQLite

extension ObservationWriter {
    /// Stores a Volcengine observation: one `viewing_restrictions` row per
    /// restriction entry (one row with `restriction_type` NULL for an activity
    /// that has none, so its disappearance is recorded) and one
    /// `live_client_links` row per link. Secrets are fingerprints only.
    ///
    /// `poll_id` is this poll's `polls` row, which `PollRecorder` inserts first
    /// in the same transaction and passes as `pollID`. Without it, the monitor's latest row is looked up:
    /// a walk through all of the monitor's polls (`polls_by_monitor_time` does not order them by id), so
    /// the daemon always passes it.
    static func insertVolcengine(
        _ observation: VolcengineObservation, monitor: String, observedAt: Int64, pollID: Int64?,
        in database: Database
    ) throws {
        let pollID =
            try pollID
            ?? database.statement("SELECT max(id) FROM polls WHERE monitor = ?").scalarInt64(monitor)
        let restriction = try database.statement(
            """
            INSERT INTO viewing_restrictions (monitor, observed_at, activity_id, restriction_type, custom_app, custom_url,
                error_redirect_url, secret_fingerprint, main_button_title, sub_button_title, poll_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for activity in observation.restrictions ?? [] {
            let entries =
                activity.entries.isEmpty
                ? [
                    ViewingRestriction(
                        type: nil, customApp: nil, customURL: nil, errorRedirectURL: nil, secretFingerprint: nil)
                ]
                : activity.entries
            for entry in entries {
                try restriction.execute(
                    monitor, observedAt, String(activity.activityID), entry.type, entry.customApp, entry.customURL,
                    entry.errorRedirectURL, entry.secretFingerprint, activity.mainButtonTitle, activity.subButtonTitle,
                    pollID)
            }
        }
        let link = try database.statement(
            """
            INSERT INTO live_client_links (monitor, observed_at, activity_id, login_type, user_name, expire_time,
                url_fingerprint, tmp_url_fingerprint, poll_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for observed in observation.links ?? [] {
            try link.execute(
                monitor, observedAt, String(observed.activityID), observed.loginType, observed.userName,
                observed.expireTime, observed.urlFingerprint, observed.temporaryURLFingerprint, pollID)
        }
    }
}
