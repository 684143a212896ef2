import Foundation
import SQLite

/// What the last stored listing said about one platform: what change notices compare with.
public struct StoredPlatform: Sendable, Equatable {
    /// `platform_id`.
    public var platformID: String
    /// `platform_name`, for messages about a platform that left the listing.
    public var name: String?
    /// `auth_key_fingerprint`.
    public var authKeyFingerprint: String?
    /// `callback_urls` as stored (JSON), nil for rows written before that column existed.
    public var callbackURLs: String?

    public init(platformID: String, name: String?, authKeyFingerprint: String?, callbackURLs: String?) {
        self.platformID = platformID
        self.name = name
        self.authKeyFingerprint = authKeyFingerprint
        self.callbackURLs = callbackURLs
    }

    /// The stored callbacks, decoded; nil when there are none stored or they cannot be read.
    public var callbacks: [PlatformCallback]? {
        callbackURLs.flatMap(ObservationWriter.callbacks(fromJSON:))
    }
}

extension ObservationWriter {
    /// Inserts one `platform_authorizations` row per platform of the listing.
    /// `auth_key_fingerprint` is the fingerprint; the key itself never reaches here.
    static func insertPlatformAuthorizations(
        _ listing: LivePlatformListing, monitor: String, observedAt: Int64, in database: Database
    ) throws {
        let insert = try database.cachedStatement(
            """
            INSERT INTO platform_authorizations (monitor, observed_at, platform_id, platform_name, access_type,
                authorize_state, authorized_time, expire_time, account, auth_key_fingerprint, callback_urls)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for platform in listing.platforms {
            try insert.run([
                monitor, observedAt, platform.platformID, platform.name, platform.accessType, platform.authorizeState,
                platform.authorizedTime.date.map(unixSeconds), platform.expireTime.date.map(unixSeconds), platform.account,
                platform.authKeyFingerprint, callbackJSON(platform.callbacks),
            ])
        }
    }

    /// The platforms of the monitor's latest stored listing, by platform id
    /// (empty before the first successful poll).
    public static func latestPlatforms(monitor: String, in database: Database) throws -> [String: StoredPlatform] {
        let rows = try database.query(
            """
            SELECT platform_id, platform_name, auth_key_fingerprint, callback_urls FROM platform_authorizations
            WHERE monitor = ? AND observed_at = (SELECT max(observed_at) FROM platform_authorizations WHERE monitor = ?)
            ORDER BY rowid
            """, [monitor, monitor])
        var platforms: [String: StoredPlatform] = [:]
        for row in rows {
            guard let id = row.string("platform_id") else { continue }
            platforms[id] = StoredPlatform(
                platformID: id, name: row.string("platform_name"), authKeyFingerprint: row.string("auth_key_fingerprint"),
                callbackURLs: row.string("callback_urls"))
        }
        return platforms
    }

    private struct StoredCallback: Decodable {
        var apiType: String
        var url: String

        enum CodingKeys: String, CodingKey {
            case apiType = "api_type"
            case url
        }
    }

    /// `[{"api_type":"…","url":"…"}]`, in the listing's (sorted) order: the same callbacks always give the same text.
    public static func callbackJSON(_ callbacks: [PlatformCallback]) -> String {
        "[" + callbacks.map { "{\"api_type\":\(JSONText.quote($0.apiType)),\"url\":\(JSONText.quote($0.url))}" }
            .joined(separator: ",") + "]"
    }

    static func callbacks(fromJSON text: String) -> [PlatformCallback]? {
        guard let stored = try? JSONDecoder().decode([StoredCallback].self, from: Data(text.utf8)) else { return nil }
        return stored.map { PlatformCallback(apiType: $0.apiType, url: $0.url) }
    }
}
