import Foundation
import Synchronization
import VendorSigning

/// The UserSig a Tencent Cloud Chat monitor sends: generated from the secret
/// key, reused while more than half of its lifetime remains, then renewed,
/// so a request never carries one close to expiry.
public final class TencentUserSigCache: Sendable {
    /// Default validity of a generated UserSig: one day (Tencent suggests at least 24 h).
    public static let defaultLifetime: Int64 = 86_400

    private struct Entry {
        var userSig: String
        var issuedAt: Int64
    }

    private let secretKey: Secret
    private let sdkAppID: UInt64
    private let identifier: String
    /// Validity of each generated UserSig, in seconds.
    public let lifetime: Int64
    private let clock: @Sendable () -> Date
    private let entry = Mutex<Entry?>(nil)
    private let generatedCount = Mutex(0)

    /// - Parameters:
    ///   - lifetime: validity of each UserSig (`TLS.expire`), in seconds.
    ///   - clock: the time UserSigs are issued at and aged by.
    public init(
        secretKey: Secret, sdkAppID: UInt64, identifier: String, lifetime: Int64 = TencentUserSigCache.defaultLifetime,
        clock: @escaping @Sendable () -> Date = Date.init
    ) {
        self.secretKey = secretKey
        self.sdkAppID = sdkAppID
        self.identifier = identifier
        self.lifetime = max(2, lifetime)
        self.clock = clock
    }

    /// The UserSig to send now: the cached one while more than half its lifetime remains
    /// (and the clock has not gone back before it), otherwise a new one.
    public func current() throws -> String {
        let now = Self.unixSeconds(clock())
        return try entry.withLock { entry in
            if let cached = entry, now >= cached.issuedAt, now - cached.issuedAt < lifetime / 2 {
                return cached.userSig
            }
            let fresh = try generate(at: now)
            entry = fresh
            return fresh.userSig
        }
    }

    /// Discards the cached UserSig and generates a new one (after the vendor said it expired: 70001).
    @discardableResult
    public func renew() throws -> String {
        let now = Self.unixSeconds(clock())
        return try entry.withLock { entry in
            let fresh = try generate(at: now)
            entry = fresh
            return fresh.userSig
        }
    }

    /// The cached UserSig, if any, without renewing it (to scrub it from messages).
    public var cached: String? { entry.withLock { $0?.userSig } }

    /// How many UserSigs this cache has generated.
    public var generations: Int { generatedCount.withLock { $0 } }

    private func generate(at now: Int64) throws -> Entry {
        let userSig = try TencentUserSig.generate(
            secretKey: secretKey.reveal(), sdkAppID: sdkAppID, identifier: identifier, time: now, expire: lifetime)
        generatedCount.withLock { $0 += 1 }
        return Entry(userSig: userSig, issuedAt: now)
    }

    static func unixSeconds(_ date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down))
    }
}
