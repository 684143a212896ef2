import Foundation
import SQLite

extension ObservationReader {
    /// The platforms of `monitor`'s latest stored listing, in the order they were stored; nil before
    /// its first successful poll. Two polls in the same second share their `observed_at`: each platform
    /// is then read as the later one stored it.
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
        var seen = Set<String>()
        var platforms: [LivePlatform] = []
        platforms.reserveCapacity(rows.count)
        // Latest row first, so each platform is built once, from the row that counts.
        for row in rows.reversed() {
            guard let id = text(row[0]), seen.insert(id).inserted else { continue }
            var callbacks: [PlatformCallback]?
            if let stored = text(row[8]) {
                if let same = currentCallbacks[id], stored == ObservationWriter.callbackJSON(same) {
                    callbacks = same
                } else {
                    callbacks = Self.callbacks(fromJSON: stored)
                }
            }
            platforms.append(
                LivePlatform(
                    platformID: id, name: text(row[1]), accessType: text(row[2]), authorizeState: text(row[3]),
                    authorizedTime: time(row[4]), expireTime: time(row[5]), account: text(row[6]),
                    authKeyFingerprint: text(row[7]),
                    callbacks: callbacks ?? [], callbacksKnown: callbacks != nil))
        }
        platforms.reverse()
        return LivePlatformListing(platforms: platforms)
    }

    private static func text(_ value: SQLiteValue) -> String? {
        if case .text(let text) = value { return text }
        return nil
    }

    private static func time(_ value: SQLiteValue) -> LivePlatform.TimeField {
        if case .integer(let seconds) = value { return .parsed(Date(timeIntervalSince1970: Double(seconds))) }
        return .absent
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
