import Foundation
import Testing

@testable import LiveWatch

/// Secrets are trimmed of surrounding white space wherever they come from, and a secret that still
/// holds a control character is a configuration error that names monitor and key, never the value.
@Suite struct SecretReferenceTests {
    static let firstHalf = "ctl-secret-first-half-8c1d"
    static let secondHalf = "ctl-secret-second-half-51ab"

    @Test(arguments: ["\r", "\n", "\r\n", " \t", "\r\n\r\n"])
    func anEnvironmentSecretIsTrimmedOfItsLineEnd(ending: String) throws {
        let secret = try SecretReference.environment("AK").resolve(environment: ["AK": "AKLT-value" + ending])
        #expect(secret.reveal() == "AKLT-value")
    }

    @Test(arguments: ["\n", "\r", "\u{0}", "\u{1B}", "\t", "\u{7F}", "\u{85}"])
    func aControlCharacterInsideIsRefusedFromEverySource(character: String) throws {
        let value = Self.firstHalf + character + Self.secondHalf
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Data(value.utf8).write(to: URL(fileURLWithPath: folder.file("token")))
        let references: [SecretReference] = [
            .literal(value), .environment("TOKEN"), .file(folder.file("token")), .credential("token"),
        ]
        for reference in references {
            do {
                _ = try reference.resolve(environment: ["TOKEN": value, "CREDENTIALS_DIRECTORY": folder.path])
                Issue.record("\(reference.origin) was accepted")
            } catch {
                #expect(error.message.contains("control character"), "\(error.message)")
                #expect(!error.message.contains(Self.firstHalf) && !error.message.contains(Self.secondHalf))
            }
        }
    }

    @Test func theLoaderNamesMonitorAndKeyButNotTheValue() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Data((Self.firstHalf + "\n" + Self.secondHalf + "\n").utf8)
            .write(to: URL(fileURLWithPath: folder.file("huawei-token")))
        let loader = ConfigurationLoader(environment: ["VOLC_AK": "AKLT-volc\r", "VOLC_SK": "volc-sk\r\n"])
        do {
            _ = try loader.parse(
                """
                metastudio:
                  - name: hw
                    project_id: 0123456789abcdef0123456789abcdef
                    token: { file: \(folder.file("huawei-token")) }
                volcengine:
                  - name: volc
                    access_key: { env: VOLC_AK }
                    secret_key: { env: VOLC_SK }
                    activity_ids: [1]
                """)
            Issue.record("a token with a line break inside was accepted")
        } catch {
            let messages = error.problems.map(\.description)
            // Only the token is a problem: the CRLF-ended environment values are trimmed and accepted.
            #expect(messages.count == 1, "\(messages)")
            #expect(messages.first?.hasPrefix("line 4: hw: token: file ") == true, "\(messages)")
            #expect(messages.first?.contains("holds a control character") == true)
            #expect(!error.description.contains(Self.firstHalf) && !error.description.contains(Self.secondHalf))
        }
    }
}
