import Foundation
import PropertyBased
import Testing

@testable import LiveWatch

@Suite struct RedactorTests {
    /// The redactor as it was before its ASCII fast path: Foundation's search for every secret.
    static func reference(_ secrets: [String], _ text: String) -> String {
        var result = text
        for secret in secrets.filter({ $0.count >= 4 }).sorted(by: { $0.count > $1.count })
        where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: "<redacted>")
        }
        return result
    }

    @Test func redactsAsFoundationsSearchDid() async {
        let cases: [([String], String)] = [
            (["abcd", "ab"], "xxabcdyyabcd ab"), (["UserSig-1234"], "code 70001: UserSig-1234 rejected"),
            (["秘密秘密"], "a秘密秘密b"), (["e\u{301}tat"], "\u{E9}tat"), (["abcd"], "ABCD"), ([], "text"),
            (["aaaa", "aaaaaa"], "aaaaaaaaa"), (["secret"], ""), (["abc"], "abc"),
        ]
        for (secrets, text) in cases {
            #expect(Redactor(secrets)(text) == Self.reference(secrets, text), "\(secrets) \(text)")
        }
        // Scalars, so a combining accent may follow anything (and make Foundation's search non-literal).
        let alphabet: [Unicode.Scalar] = ["a", "b", "*", "-", "_", "\u{E9}", "\u{301}", "秘", " "]
        await propertyCheck(
            count: 2_000, input: Gen.int(in: 0...8).array(of: 0...40), Gen.int(in: 0...8).array(of: 0...6)
        ) {
            textCodes, secretCodes in
            let text = String(String.UnicodeScalarView(textCodes.map { alphabet[$0] }))
            let secret = String(String.UnicodeScalarView(secretCodes.map { alphabet[$0] }))
            let secrets = [secret, String(secret.prefix(4)), "ab*-"]
            #expect(Redactor(secrets)(text) == Self.reference(secrets, text), "\(secrets) \(text)")
        }
    }
}
