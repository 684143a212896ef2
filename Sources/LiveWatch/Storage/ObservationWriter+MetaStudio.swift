import Foundation
import SQLite

extension ObservationWriter {
    /// Inserts one `platform_authorizations` row per platform of the listing.
    /// `auth_key_fingerprint` is the fingerprint; the key itself never reaches here.
    static func insertPlatformAuthorizations(
        _ listing: LivePlatformListing, monitor: String, observedAt: Int64, in database: Database
    ) throws {
        let insert = try database.statement(
            """
            INSERT INTO platform_authorizations (monitor, observed_at, platform_id, platform_name, access_type,
                authorize_state, authorized_time, expire_time, account, auth_key_fingerprint, callback_urls)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for platform in listing.platforms {
            try insert.execute(
                monitor, observedAt, platform.platformID, platform.name, platform.accessType, platform.authorizeState,
                platform.authorizedTime.date.map(unixSeconds), platform.expireTime.date.map(unixSeconds),
                platform.account, platform.authKeyFingerprint, callbackJSON(platform.callbacks))
        }
    }

    /// `[{"api_type":"…","url":"…"}]`, in the listing's (sorted) order: the same callbacks always give the same text.
    public static func callbackJSON(_ callbacks: [PlatformCallback]) -> String {
        "["
            + callbacks.map { "{\"api_type\":\(JSONText.quote($0.apiType)),\"url\":\(JSONText.quote($0.url))}" }
            .joined(separator: ",") + "]"
    }
}
