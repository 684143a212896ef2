import Foundation
import PropertyBased
import Testing

@testable import LiveWatch

@Suite struct JSONReaderTests {
    /// Skips one whole document; nil when it is valid, else the syntax error.
    static func syntaxError(_ text: String) -> JSONReader.SyntaxError? {
        syntaxError(Array(text.utf8))
    }

    static func syntaxError(_ bytes: [UInt8], maxDepth: Int = JSONReader.defaultMaxDepth) -> JSONReader.SyntaxError? {
        bytes.withUnsafeBufferPointer { buffer -> JSONReader.SyntaxError? in
            var reader = JSONReader(buffer, maxDepth: maxDepth)
            do throws(JSONReader.SyntaxError) {
                try reader.skipValue()
                try reader.finish()
                return nil
            } catch {
                return error
            }
        }
    }

    /// The decoded value of a one-string document.
    static func string(_ json: String) -> String?? {
        Array(json.utf8).withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer)
            guard let token = try? reader.readString(), (try? reader.finish()) != nil else { return nil }
            return .some(reader.string(token))
        }
    }

    static func number(_ json: String) -> (Int64?, Double?)? {
        Array(json.utf8).withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer)
            guard let token = try? reader.readNumber(), (try? reader.finish()) != nil else { return nil }
            return (reader.int64(token), reader.double(token))
        }
    }

    @Test func acceptsJSONWithFoundationsLeniencies() {
        for valid in [
            "0", "-0", "1.5e-3", #""""#, "true", "false", "null", " [ ] ", "{}", #"{"a":[1,{"b":null}],"c":"d"}"#,
            "[1,]", #"{"a":1,}"#, "[-]", "[01]", "[1.2.3]", #"["\q"]"#, "[\"\u{01}\"]", #"{"\x":1}"#,
        ] {
            #expect(Self.syntaxError(valid) == nil, "\(valid)")
        }
        for invalid in [
            "", " ", "[", "]", "{", "[1", "[1,", "[,]", "[1,,2]", "{,}", #"{"a"}"#, #"{"a":}"#, #"{"a":1 "b":2}"#,
            "[1}", "{]", "tru", "truex", "nul", "[+1]", "[.5]", "1x", "1 2", #""abc"#, #""\"#, #""\u12""#, "'a'",
            "[true false]", #"{1:2}"#,
        ] {
            #expect(Self.syntaxError(invalid) != nil, "\(invalid)")
        }
    }

    @Test func nestingIsLimitedWithoutRecursion() {
        func nested(_ depth: Int) -> [UInt8] {
            Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8)
        }
        #expect(Self.syntaxError(nested(512)) == nil)
        #expect(Self.syntaxError(nested(513))?.reason == "too deeply nested")
        #expect(Self.syntaxError(nested(10), maxDepth: 9) != nil)
        // A million open brackets: an error at the limit, no stack growth.
        #expect(Self.syntaxError(Array(repeating: UInt8(ascii: "["), count: 1_000_000))?.offset == 512)
        #expect(Self.syntaxError(Array(repeating: UInt8(ascii: "{"), count: 1_000_000)) != nil)
    }

    @Test func decodesStringsAsJSONDecoderDoes() {
        #expect(Self.string(#""plain""#) == "plain")
        #expect(Self.string(#""a\"b\\c\/d\be\ff\ng\rh\ti""#) == "a\"b\\c/d\u{08}e\u{0C}f\ng\rh\ti")
        #expect(Self.string(#""\u00e9\u4E2D\ud83d\ude00\u0000""#) == "é中😀\u{0}")
        #expect(Self.string(#""体育""#) == "体育")
        // Unpaired surrogates, bad escapes and raw control characters cannot be decoded (JSONDecoder rejects them).
        for undecodable in [
            #""\ud800""#, #""\ud800x""#, #""\ud800\u0041""#, #""\udc00""#, #""\uzzzz""#, #""\x""#, "\"a\u{01}\"",
        ] {
            #expect(Self.string(undecodable) == .some(nil), "\(undecodable)")
        }
        // Invalid UTF-8, raw or next to an escape.
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xC3, 0x5C, 0x6E, 0xA9, 0x22]] {
            bytes.withUnsafeBufferPointer { buffer in
                var reader = JSONReader(buffer)
                let token = try? reader.readString()
                #expect(token.map { reader.string($0) } == .some(nil))
            }
        }
    }

    @Test func convertsNumbersAsJSONDecoderDoes() {
        #expect(Self.number("42")?.0 == 42)
        #expect(Self.number("-9223372036854775808")?.0 == Int64.min)
        #expect(Self.number("9223372036854775807")?.0 == Int64.max)
        #expect(Self.number("9223372036854775808")?.0 == nil)
        #expect(Self.number("1.0")?.0 == 1)
        #expect(Self.number("1e3")?.0 == 1_000)
        #expect(Self.number("1.5")?.0 == nil)
        #expect(Self.number("1.5")?.1 == 1.5)
        #expect(Self.number("1e-400")?.0 == 0)
        #expect(Self.number("1e-400")?.1 == nil)
        #expect(Self.number("1e400")?.1 == nil)
        #expect(Self.number("9007199254740993.000")?.0 == 9_007_199_254_740_993)
        #expect(Self.number("1230000000000000000e-2")?.0 == 12_300_000_000_000_000)
        #expect(Self.number("-92233720368547758.07e2")?.0 == -9_223_372_036_854_775_807)
        // JSONDecoder truncates a fraction beyond 2^53 (its Decimal path); a fraction is not an integer here.
        #expect(Self.number("9007199254740993.5")?.0 == nil)
        #expect(Self.number("9223372036854775000.0")?.0 == 9_223_372_036_854_775_000)
        for malformed in ["-", "01", "1.", "1.e5", "1e", "1e+", "1.2.3", "--1", "1-2"] {
            #expect(Self.number(malformed).map { $0.0 == nil && $0.1 == nil } == true, "\(malformed)")
        }
    }

    @Test func walksObjectsMemberByMember() throws {
        let json = Array(#" {"a" : [1, "x", {"deep": [true]}], "b": "two", "c": {} } "#.utf8)
        try json.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer)
            #expect(try reader.peekKind() == .object)
            try reader.beginObject()
            var seen: [String] = []
            while let key = try reader.nextKey() {
                let name = try #require(reader.string(key))
                seen.append(name)
                if name == "b" {
                    #expect(reader.string(try reader.readString()) == "two")
                } else {
                    try reader.skipValue()
                }
            }
            try reader.finish()
            #expect(seen == ["a", "b", "c"])
            #expect(reader.depth == 0)
        }
    }

    @Test func neverTrapsOnHostileBytes() async {
        await propertyCheck(count: 3_000, input: Gen.int(in: 0...255).array(of: 0...64)) { values in
            let alphabet = Array(#"{}[],:"\ -0123456789.eE+tfnrulsaxu"#.utf8)
            let bytes = values.map { $0 < 128 ? alphabet[$0 % alphabet.count] : UInt8($0) }
            _ = Self.syntaxError(bytes)
            bytes.withUnsafeBufferPointer { buffer in
                var reader = JSONReader(buffer)
                if let token = try? reader.readString() { _ = reader.string(token) }
                var numbers = JSONReader(buffer)
                if let token = try? numbers.readNumber() {
                    _ = numbers.int64(token)
                    _ = numbers.double(token)
                }
            }
        }
    }
}
