import Testing

@testable import LiveWatch

/// What may be stored of a secret: INTERFACES section 4's fingerprint.
@Suite struct SecretTests {
    @Test func theFingerprintIsSha256AndTheFirstSixteenHexDigits() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
        #expect(Secret.fingerprint(of: "abc") == "sha256:ba7816bf8f01cfea")
        #expect(Secret("").fingerprint == "sha256:e3b0c44298fc1c14")
        #expect("\(Secret("abc"))" == "<redacted>")
    }
}
