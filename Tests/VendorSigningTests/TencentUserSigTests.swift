import Foundation
import Testing

@testable import VendorSigning

/// Tencent Cloud Chat UserSig: SIGNING.md section 2 and vector tencent-1.
struct TencentUserSigTests {
    static let key = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
    static let vectorSig =
        "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkKjIT87NK82CSxSnZiQUFmSlAKUMTAyiAyqVWFGQWpYJkTE1NjRDiJZm5YFFzNPXFmekgG3zKHM1T9D3LzdODi-OKs8vCqpxcAvydnV2SSv2cy03cPcpDnA2SMgu0nUxslWoBHdYzUg__"

    @Test func tencent1Vector() throws {
        #expect(
            TencentUserSig.contentToSign(
                identifier: "xiaojun", sdkAppID: 1_400_000_000, time: 1_700_000_000, expire: 15_552_000)
                == "TLS.identifier:xiaojun\nTLS.sdkappid:1400000000\nTLS.time:1700000000\nTLS.expire:15552000\n")
        #expect(
            TencentUserSig.jsonText(
                identifier: "xiaojun", sdkAppID: 1_400_000_000, time: 1_700_000_000, expire: 15_552_000,
                signature: "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=")
                == "{\"TLS.ver\": \"2.0\", \"TLS.identifier\": \"xiaojun\", \"TLS.sdkappid\": 1400000000, \"TLS.expire\": 15552000, \"TLS.time\": 1700000000, \"TLS.sig\": \"LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=\"}"
        )
        let sig = try TencentUserSig.generate(
            secretKey: Self.key, sdkAppID: 1_400_000_000, identifier: "xiaojun",
            time: 1_700_000_000, expire: 15_552_000)
        #expect(sig == Self.vectorSig)
    }

    @Test func vectorVerifies() throws {
        let decoded = try TencentUserSig.verify(
            userSig: Self.vectorSig, secretKey: Self.key, sdkAppID: 1_400_000_000,
            now: 1_700_000_000 + 15_552_000)
        #expect(
            decoded
                == TencentUserSig.Decoded(
                    identifier: "xiaojun", sdkAppID: 1_400_000_000,
                    time: 1_700_000_000, expire: 15_552_000))
    }

    @Test func roundTrip() throws {
        let sig = try TencentUserSig.generate(
            secretKey: "another-secret", sdkAppID: 1_400_123_456, identifier: "admin",
            time: 1_750_000_000, expire: 86_400)
        #expect(!sig.contains("+") && !sig.contains("/") && !sig.contains("="))
        let decoded = try TencentUserSig.verify(
            userSig: sig, secretKey: "another-secret", sdkAppID: nil, now: 1_750_000_001)
        #expect(
            decoded
                == TencentUserSig.Decoded(
                    identifier: "admin", sdkAppID: 1_400_123_456, time: 1_750_000_000, expire: 86_400))
    }

    @Test func nonASCIIIdentifierEscapedLikePython() throws {
        let json = TencentUserSig.jsonText(
            identifier: "用户😀", sdkAppID: 1_400_000_000, time: 1_700_000_000, expire: 86_400,
            signature: "byQCePWTooCJX8cF1eRhAkOIkfTntO3f24emcmjg/mM=")
        #expect(
            json
                == "{\"TLS.ver\": \"2.0\", \"TLS.identifier\": \"\\u7528\\u6237\\ud83d\\ude00\", \"TLS.sdkappid\": 1400000000, \"TLS.expire\": 86400, \"TLS.time\": 1700000000, \"TLS.sig\": \"byQCePWTooCJX8cF1eRhAkOIkfTntO3f24emcmjg/mM=\"}"
        )
        // Byte-exact against Python tls-sig-api-v2 semantics for the same inputs.
        let sig = try TencentUserSig.generate(
            secretKey: Self.key, sdkAppID: 1_400_000_000, identifier: "用户😀",
            time: 1_700_000_000, expire: 86_400)
        #expect(
            sig
                == "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkYkrNTY0sYkrNjIzNY0pTLIxTgGSqAVx1cUp2YkFBZgpQraGJARRA5VIrCjKLUoEyFmYmcMGSzFyQkKE5muLizHSQfUmVgc6pAeEh*fnOXhEWyW6GqUEZjtn*ntlpIXkl-sZpRiapucm5Wen6ub62SrUA5Kc3lg__"
        )
        let decoded = try TencentUserSig.verify(
            userSig: sig, secretKey: Self.key, sdkAppID: 1_400_000_000, now: 1_700_000_000)
        #expect(decoded.identifier == "用户😀")
    }

    @Test func jsonStringEscapesControlCharactersQuotesAndBackslash() {
        let json = TencentUserSig.jsonText(
            identifier: "张三\"\\/\n\t\u{01}\u{7F}😀é", sdkAppID: 1, time: 2, expire: 3, signature: "a/b+c=")
        #expect(
            json
                == "{\"TLS.ver\": \"2.0\", \"TLS.identifier\": \"\\u5f20\\u4e09\\\"\\\\/\\n\\t\\u0001\\u007f\\ud83d\\ude00\\u00e9\", \"TLS.sdkappid\": 1, \"TLS.expire\": 3, \"TLS.time\": 2, \"TLS.sig\": \"a/b+c=\"}"
        )
    }

    @Test func rejectsWrongKey() {
        #expect(throws: TencentUserSigError.badSignature) {
            try TencentUserSig.verify(
                userSig: Self.vectorSig, secretKey: "wrong-key", sdkAppID: 1_400_000_000, now: 1_700_000_000)
        }
    }

    @Test func rejectsExpired() throws {
        let expiry: Int64 = 1_700_000_000 + 15_552_000
        _ = try TencentUserSig.verify(userSig: Self.vectorSig, secretKey: Self.key, sdkAppID: nil, now: expiry)
        #expect(throws: TencentUserSigError.expired(expiredAt: expiry, now: expiry + 1)) {
            try TencentUserSig.verify(userSig: Self.vectorSig, secretKey: Self.key, sdkAppID: nil, now: expiry + 1)
        }
    }

    @Test func rejectsOtherSDKAppID() {
        #expect(throws: TencentUserSigError.mismatch(expectedSDKAppID: 1_400_000_001, actualSDKAppID: 1_400_000_000)) {
            try TencentUserSig.verify(
                userSig: Self.vectorSig, secretKey: Self.key, sdkAppID: 1_400_000_001, now: 1_700_000_000)
        }
    }

    @Test func rejectsTamperedString() {
        var characters = Array(Self.vectorSig)
        for index in stride(from: 0, to: characters.count - 2, by: 7) {
            var tampered = characters
            tampered[index] = tampered[index] == "A" ? "B" : "A"
            #expect(throws: TencentUserSigError.self) {
                try TencentUserSig.verify(
                    userSig: String(tampered), secretKey: Self.key, sdkAppID: nil, now: 1_700_000_000)
            }
        }
        characters.removeLast(10)
        #expect(throws: TencentUserSigError.self) {
            try TencentUserSig.verify(
                userSig: String(characters), secretKey: Self.key, sdkAppID: nil, now: 1_700_000_000)
        }
    }

    @Test func rejectsTamperedFieldsWithOriginalSignature() throws {
        // Valid zlib + JSON, identifier changed but TLS.sig kept: must fail the HMAC check.
        let json = TencentUserSig.jsonText(
            identifier: "admin", sdkAppID: 1_400_000_000, time: 1_700_000_000, expire: 15_552_000,
            signature: "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=")
        let forged = TencentUserSig.urlSafe(Data(try TencentUserSig.compress(Array(json.utf8))).base64EncodedString())
        #expect(throws: TencentUserSigError.badSignature) {
            try TencentUserSig.verify(userSig: forged, secretKey: Self.key, sdkAppID: nil, now: 1_700_000_000)
        }
    }

    @Test func rejectsGarbage() throws {
        var inputs = [
            "", "   ", "abc", "!!!!", "____", "****", "eJ", "eJyr", "eJyrVgrxCdYrSy1S",
            Data("not zlib at all".utf8).base64EncodedString(),
        ]
        // zlib, but not JSON / not an object / missing fields.
        for payload in [
            "not json", "[1, 2, 3]", "{}", "{\"TLS.identifier\": 5}",
            "{\"TLS.identifier\": \"x\", \"TLS.sdkappid\": 1, \"TLS.time\": 1, \"TLS.expire\": 1, \"TLS.sig\": \"%%%\"}",
        ] {
            inputs.append(
                TencentUserSig.urlSafe(Data(try TencentUserSig.compress(Array(payload.utf8))).base64EncodedString()))
        }
        // A zlib bomb inflating past the 64 KiB bound.
        let bomb = try TencentUserSig.compress([UInt8](repeating: 0x20, count: 200_000))
        inputs.append(TencentUserSig.urlSafe(Data(bomb).base64EncodedString()))
        // Pseudo-random strings over the UserSig alphabet (deterministic LCG).
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-_")
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for length in 1...300 {
            var text = "eJ"
            for _ in 0..<length {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                text.append(alphabet[Int(state >> 33) % alphabet.count])
            }
            inputs.append(text)
        }
        for input in inputs {
            #expect(throws: TencentUserSigError.self) {
                try TencentUserSig.verify(userSig: input, secretKey: Self.key, sdkAppID: nil, now: 1_700_000_000)
            }
        }
    }

    @Test func errorDescriptionsDoNotLeakSecrets() {
        let errors: [TencentUserSigError] = [
            .malformed(reason: "not valid base64"), .badSignature, .expired(expiredAt: 1, now: 2),
            .mismatch(expectedSDKAppID: 1, actualSDKAppID: 2), .compressionFailed(code: -2),
        ]
        for error in errors {
            let text = String(describing: error) + error.localizedDescription
            #expect(!text.contains(Self.key))
            #expect(!text.contains("LvA7d"))
            #expect(!text.contains(Self.vectorSig))
        }
        do {
            _ = try TencentUserSig.verify(userSig: Self.vectorSig, secretKey: "wrong-key", sdkAppID: nil, now: 0)
            Issue.record("expected badSignature")
        } catch {
            let text = String(describing: error)
            #expect(!text.contains("wrong-key") && !text.contains("LvA7d") && !text.contains(Self.vectorSig))
        }
    }
}
