import Foundation
import Testing
import VendorSigning

@testable import LiveWatch

@Suite struct TencentUserSigCacheTests {
    static let key = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"

    @Test func reusesTheUserSigWhileMoreThanHalfItsLifetimeRemainsThenRenewsIt() throws {
        let clock = SettableClock(Date(timeIntervalSince1970: 1_800_000_000))
        let cache = TencentUserSigCache(
            secretKey: Secret(Self.key), sdkAppID: 1_400_000_000, identifier: "admin", clock: clock.now)
        let first = try cache.current()
        #expect(cache.generations == 1)
        clock.advance(by: 43_199) // 12 h minus a second: more than half of the day remains
        #expect(try cache.current() == first)
        #expect(cache.generations == 1)
        clock.advance(by: 1) // exactly half left: renew
        let second = try cache.current()
        #expect(second != first)
        #expect(cache.generations == 2)
        let decoded = try TencentUserSig.verify(
            userSig: second, secretKey: Self.key, sdkAppID: 1_400_000_000, now: 1_800_043_200)
        #expect(
            decoded
                == TencentUserSig.Decoded(
                    identifier: "admin", sdkAppID: 1_400_000_000, time: 1_800_043_200, expire: 86_400))
    }

    @Test func aClockThatWentBackRenewsInsteadOfSendingAUserSigFromTheFuture() throws {
        let clock = SettableClock(Date(timeIntervalSince1970: 1_800_000_000))
        let cache = TencentUserSigCache(secretKey: Secret(Self.key), sdkAppID: 1, identifier: "admin", clock: clock.now)
        let first = try cache.current()
        clock.advance(by: -3_600)
        #expect(try cache.current() != first)
        #expect(cache.generations == 2)
    }

    @Test func renewReplacesTheCachedUserSig() throws {
        let clock = SettableClock(Date(timeIntervalSince1970: 1_800_000_000))
        let cache = TencentUserSigCache(
            secretKey: Secret(Self.key), sdkAppID: 1, identifier: "admin", lifetime: 600, clock: clock.now)
        let first = try cache.current()
        clock.advance(by: 5)
        let renewed = try cache.renew()
        #expect(renewed != first)
        #expect(try cache.current() == renewed)
        #expect(cache.cached == renewed)
        #expect(cache.generations == 2)
    }

    @Test func aGeneratedUserSigVerifiesAndExpiresWhenItShould() throws {
        let clock = SettableClock(Date(timeIntervalSince1970: 1_800_000_000))
        let cache = TencentUserSigCache(
            secretKey: Secret(Self.key), sdkAppID: 1_400_000_000, identifier: "admin", clock: clock.now)
        let userSig = try cache.current()
        #expect(!userSig.contains("+") && !userSig.contains("/") && !userSig.contains("="))
        _ = try TencentUserSig.verify(
            userSig: userSig, secretKey: Self.key, sdkAppID: 1_400_000_000, now: 1_800_086_400)
        #expect(throws: TencentUserSigError.expired(expiredAt: 1_800_086_400, now: 1_800_086_401)) {
            try TencentUserSig.verify(
                userSig: userSig, secretKey: Self.key, sdkAppID: 1_400_000_000, now: 1_800_086_401)
        }
        #expect(throws: TencentUserSigError.badSignature) {
            try TencentUserSig.verify(
                userSig: userSig, secretKey: Self.key + "x", sdkAppID: 1_400_000_000, now: 1_800_000_000)
        }
    }
}
