import Foundation
import SQLite

extension ObservationReader {
    /// The platforms of `monitor`'s latest stored listing, in the order they were stored; nil before
    /// its first successful poll.
    ///
    /// Times read back as `.parsed`, or `.absent` when NULL (an unreadable time was stored as NULL too).
    /// Callbacks are decoded from their stored JSON, except where it is the very text `current`'s
    /// platform of the same id would store: then they are that platform's callbacks, without decoding.
    /// Rows written before callbacks were stored, or whose JSON cannot be read, have `callbacksKnown` false.
    public static func latestPlatforms(
        monitor: String, like current: LivePlatformListing? = nil, in database: Database
    ) throws -> LivePlatformListing? {
        let rows = try database.statement(
            """
            SELECT platform_id, platform_name, access_type, authorize_state, authorized_time, expire_time, account,
                   auth_key_fingerprint, callback_urls
            FROM platform_authorizations
            WHERE monitor = ? AND observed_at = (SELECT max(observed_at) FROM platform_authorizations WHERE monitor = ?)
            ORDER BY rowid
            """
        ).query([monitor, monitor])
        guard !rows.isEmpty else { return nil }
        var currentCallbacks: [String: [PlatformCallback]] = [:]
        for platform in current?.platforms ?? [] { currentCallbacks[platform.platformID] = platform.callbacks }
        var platforms: [LivePlatform] = []
        platforms.reserveCapacity(rows.count)
        for row in rows {
            guard let id = row.string("platform_id") else { continue }
            let stored = row.string("callback_urls")
            var callbacks: [PlatformCallback]?
            if let stored {
                if let same = currentCallbacks[id], stored == ObservationWriter.callbackJSON(same) {
                    callbacks = same
                } else {
                    callbacks = Self.callbacks(fromJSON: stored)
                }
            }
            platforms.append(LivePlatform(
                platformID: id, name: row.string("platform_name"), accessType: row.string("access_type"),
                authorizeState: row.string("authorize_state"), authorizedTime: time(row.int64("authorized_time")),
                expireTime: time(row.int64("expire_time")), account: row.string("account"),
                authKeyFingerprint: row.string("auth_key_fingerprint"), callbacks: callbacks ?? [],
                callbacksKnown: callbacks != nil))
        }
        return LivePlatformListing(platforms: platforms)
    }

    private static func time(_ seconds: Int64?) -> LivePlatform.TimeField {
        seconds.map { .parsed(Date(timeIntervalSince1970: Double($0))) } ?? .absent
    }

    private struct StoredCallback: Decodable {
        var apiType: String
        var url: String

        enum CodingKeys: String, CodingKey {
            case apiType = "api_type"
            case url
        }
    }

    /// The callbacks of `ObservationWriter.callbackJSON`'s text; nil when it cannot be read.
    static func callbacks(fromJSON text: String) -> [PlatformCallback]? {
        guard let stored = try? JSONDecoder().decode([StoredCallback].self, from: Data(text.utf8)) else { return nil }
        return stored.map { PlatformCallback(apiType: $0.apiType, url: $0.url) }
    }
}
