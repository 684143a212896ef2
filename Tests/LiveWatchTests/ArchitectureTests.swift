import Foundation
import Testing

/// The layering the README's architecture section promises, checked on the sources themselves:
/// vendors know nothing of storage, only `Storage/` and the SQLite wrapper speak SQL, `Alerting/`
/// holds neither SQL nor a database connection, and the executable only parses arguments.
@Suite struct ArchitectureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Every Swift file under `Sources/<folder>`, as (path relative to Sources, code lines without comments).
    static func files(under folder: String) -> [(path: String, code: [String])] {
        let base = root.appendingPathComponent("Sources")
        let start = base.appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(atPath: start.path) else { return [] }
        var result: [(String, [String])] = []
        for case let relative as String in walker where relative.hasSuffix(".swift") {
            let path = start.appendingPathComponent(relative).path
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            let code = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }
            result.append((folder + "/" + relative, code))
        }
        return result.sorted { $0.0 < $1.0 }
    }

    /// SQL in a string literal: a statement keyword in capitals, as this project writes SQL.
    static let sql =
        #"\b(SELECT\s|INSERT INTO|DELETE FROM|UPDATE \w+ SET|CREATE (TABLE|INDEX|VIEW|TRIGGER)|PRAGMA \w|BEGIN IMMEDIATE|WITH RECURSIVE)"#

    /// True when `line` holds SQL (see `sql`).
    static func holdsSQL(_ line: String) -> Bool {
        line.range(of: sql, options: .regularExpression) != nil
    }

    static func violations(in folder: String, _ isViolation: (String) -> Bool) -> [String] {
        files(under: folder).flatMap { file in
            file.code.enumerated().filter { isViolation($0.element) }.map {
                "\(file.path): \($0.element.trimmingCharacters(in: .whitespaces))"
            }
        }
    }

    @Test func vendorsKnowNothingOfStorage() {
        let found = Self.violations(in: "LiveWatch/Vendors") { line in
            line.hasPrefix("import SQLite") || line.hasPrefix("import CSQLite")
                || line.contains("ObservationWriter") || line.contains("Store(") || line.contains(": Store")
                || line.contains("Database")
        }
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }

    @Test func onlyStorageAndTheWrapperHoldSQL() {
        var found: [String] = []
        for folder in [
            "LiveWatch/Alerting", "LiveWatch/Configuration", "LiveWatch/Core", "LiveWatch/HTTP",
            "LiveWatch/Lifecycle", "LiveWatch/Metrics", "LiveWatch/Reports", "LiveWatch/Scheduling",
            "LiveWatch/Vendors",
            "LiveWatchDemo", "VendorSimulator", "VendorSigning", "livewatch",
        ] {
            found += Self.violations(in: folder) { Self.holdsSQL($0) }
        }
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }

    @Test func alertingHoldsNoDatabase() {
        let found = Self.violations(in: "LiveWatch/Alerting") { line in
            line.hasPrefix("import SQLite") || line.range(of: #"\bDatabase\b"#, options: .regularExpression) != nil
        }
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }

    @Test func theExecutableImportsNeitherSQLiteNorTheSimulator() {
        let found = Self.violations(in: "livewatch") { line in
            ["import SQLite", "import CSQLite", "import VendorSimulator", "import CZlib"].contains {
                line.hasPrefix($0)
            }
        }
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
        #expect(!Self.files(under: "livewatch").isEmpty)
    }

    @Test func onlyTheWrapperImportsTheCModule() {
        var found: [String] = []
        for folder in ["LiveWatch", "LiveWatchDemo", "VendorSimulator", "livewatch"] {
            found += Self.violations(in: folder) { $0.hasPrefix("import CSQLite") }
        }
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }
}
