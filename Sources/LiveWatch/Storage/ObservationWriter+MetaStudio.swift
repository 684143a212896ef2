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
    /// The callbacks as stored (`callback_urls`), nil for rows written before that column existed.
    public var callbacks: [PlatformCallback]?

    public init(platformID: String, name: String?, authKeyFingerprint: String?, callbacks: [PlatformCallback]?) {
        self.platformID = platformID
        self.name = name
        self.authKeyFingerprint = authKeyFingerprint
        self.callbacks = callbacks
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
                callbacks: row.string("callback_urls").flatMap(callbacks(fromJSON:)))
        }
        return platforms
    }

    private struct StoredCallback: Codable {
        var apiType: String
        var url: String

        enum CodingKeys: String, CodingKey {
            case apiType = "api_type"
            case url
        }
    }

    /// `[{"api_type":"…","url":"…"}]`, in the listing's (sorted) order.
    static func callbackJSON(_ callbacks: [PlatformCallback]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let stored = callbacks.map { StoredCallback(apiType: $0.apiType, url: $0.url) }
        guard let data = try? encoder.encode(stored) else { return "[]" }
        return String(decoding: data, as: UTF8.self)
    }

    static func callbacks(fromJSON text: String) -> [PlatformCallback]? {
        guard let stored = try? JSONDecoder().decode([StoredCallback].self, from: Data(text.utf8)) else { return nil }
        return stored.map { PlatformCallback(apiType: $0.apiType, url: $0.url) }
    }
}
