import Foundation
import PropertyBased
import Synchronization
import Testing
import VendorSigning

@testable import LiveWatch
@testable import VendorSimulator

/// `TencentChatClient.parse` (on `JSONReader`) gives exactly what the `JSONDecoder` decoding it replaced gives
/// (`ReferenceTencentChatParse`): the same page, vendor error or failure, request id and status, on the test
/// bodies, on the simulator's pages, on generated pages of every shape, and on every prefix and many mutations
/// of pages.
@Suite struct TencentChatParseEquivalenceTests {
    /// Both parses of `body`, compared; a description of the first difference, or nil.
    static func difference(_ body: [UInt8], status: Int = 200) -> String? {
        let response = IncomingResponse(status: status, headers: [], body: body)
        let new = TencentChatClient.parse(response)
        let old = ReferenceTencentChatParse.parse(response)
        guard new.answer != old.answer || new.requestID != old.requestID || new.httpStatus != old.httpStatus else {
            return nil
        }
        let text = String(decoding: body.prefix(2_000), as: UTF8.self)
        return "body \(text)\nnew: \(new.requestID ?? "-") \(new.answer)\nold: \(old.requestID ?? "-") \(old.answer)"
    }

    static func expectSame(_ body: [UInt8], status: Int = 200, sourceLocation: SourceLocation = #_sourceLocation) {
        if let difference = difference(body, status: status) {
            Issue.record(Comment(rawValue: difference), sourceLocation: sourceLocation)
        }
    }

    /// Bodies written by hand for the parse tests, and the edges of `JSONDecoder` worth pinning.
    static let handWritten: [String] = [
        #"""
        {"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0,
         "RequestId": "Id-8c9858f01e954611ae2d4c1b1ed7d583-O-Seq-52720",
         "Response" : {"Next":"1693271355-123123123123", "RoomList":[
           {"RoomName":"name","RoomId":"room_id0","Owner_Account":"bren","CoverURL":"cover_url","Category":[1,2,3],
            "CreateTime":1693271354,"ActivityStatus":1,"ViewCount":1000}]}}
        """#,
        #"""
        {"ActionStatus":"OK","ErrorCode":0,"RequestId":"r","Response":{"Next":"","RoomList":[
          {"RoomId":12345,"Category":["体育","a\"b"],"CreateTime":"not a time","ActivityStatus":"2","ViewCount":null},
          {"RoomId":"r2","RoomName":7,"Category":"1,2","CreateTime":"1693271354"}]}}
        """#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"x","RoomList":[{"RoomId":"a"},{"RoomName":"b"}]}}"#,
        #"{"ActionStatus":"FAIL","ErrorInfo":"UserSig expired","ErrorCode":70001,"RequestId":"q"}"#,
        #"{"ActionStatus":"FAIL","ErrorInfo":"x","ErrorCode":70001,"Response":5}"#,
        #"{"ActionStatus":"OK","ErrorCode":60007,"Response":{"Next":""}}"#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":null}"#,
        #"{"ActionStatus":"OK","ErrorCode":0}"#,
        #"{"ActionStatus":"MAYBE","ErrorCode":0,"Response":{"Next":""}}"#,
        #"{"ErrorCode":0,"Response":{"Next":""}}"#,
        #"{"ActionStatus":"OK","ErrorCode":"0","Response":{"Next":""}}"#,
        #"{"ActionStatus":"OK","ErrorCode":1.0,"Response":{"Next":""}}"#,
        #"{"ActionStatus":"OK","ErrorCode":1e400,"Response":{"Next":""}}"#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"a","RoomList":[null]}}"#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"a","RoomList":{}}}"#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":7}}"#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"a","RoomList":[{"RoomId":"x","Category":[1,null]}]}}"#,
        #"{"ActionStatus":"OK","ActionStatus":"FAIL","ErrorCode":0,"Response":{"Next":""}}"#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"a",},"Response":7,}"#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"a","RoomList":[{"RoomId":"x","RoomId":"y"},]}}"#,
        #"{"Action\u0053tatus":"OK","ErrorCode":0,"Response":{"Ne\u0078t":"a"}}"#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"a","RoomList":[{"RoomId":"x","\q":1}]}}"#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"a","RoomList":[{"RoomId":"x","X":{"\q":1}}]}}"#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Extra":[-,01,1.2.3,"\q"],"Response":{"Next":"a"}}"#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"\ud83d\ude00 \ud800 x"}}"#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"\ud83d\ude00\u00e9\/\b\f\n\r\t"}}"#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"\udc00"}}"#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"\u00zz"}}"#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"a","RoomList":[{"RoomId":1.5},{"RoomId":1e3}]}}"#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"a","RoomList":[{"RoomId":1e-400},{"RoomId":-0.0}]}}"#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"a","RoomList":[{"RoomId":12345678901234567890}]}}"#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"a","RoomList":[{"RoomId":""}]}}"#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"a","RoomList":[{"RoomId":true}]}}"#,
        """
        {"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"a","RoomList":[{"RoomId":"x","Category":\
        [1.0,1e3,1e-400,9007199254740993.000000000000,9223372036854775807.0,1.5,\
        12345678901234567890,-0.0,0.0000001,9223372036854775000.0,1E2,-9223372036854775808,9223372036854775808]}]}}
        """,
        """
        {"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"a","RoomList":[{"RoomId":"x","ViewCount":"+5",\
        "CreateTime":" 5","ActivityStatus":"-9223372036854775808"},{"RoomId":"y","ViewCount":9223372036854775807,\
        "CreateTime":-9223372036854775809,"ActivityStatus":"9223372036854775808"}]}}
        """,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"a","RoomList":[{"RoomId":"x","Category":[1e400]}]}}"#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"a","RoomList":[{"RoomId":"x","Category":[]}]}}"#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"a","RoomList":[{"RoomId":"x","Category":["\u0001"]}]}}"#,
        #"  {"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"a"}}  "#,
        #"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"a"}} x"#,
        #"[{"ActionStatus":"FAIL","ErrorCode":1}]"#,
        #""FAIL""#, "null", "", " ", "{", "}", "[]", "{}", "{,}", "[,]", "[1,,2]", #"{"a":1 "b":2}"#, "<html></html>",
        #"{"ActionStatus":"FAIL","ErrorCode":1,"X":[1}"#, #"{"ActionStatus":"FAIL","ErrorCode":1,"X":tru}"#,
        #"{"ActionStatus":"FAIL","ErrorCode":1,"X":"\u12"}"#, #"{"ActionStatus":"FAIL","ErrorCode":1,"X":"\uab\\x"}"#,
        #"{"ActionStatus":"FAIL","ErrorCode":1,"X":1x}"#, #"{"ActionStatus":"FAIL","ErrorCode":1,"X":+1}"#,
        "\u{FEFF}{\"ActionStatus\":\"FAIL\",\"ErrorCode\":5}",
    ]

    @Test func handWrittenBodiesAndEdges() {
        for body in Self.handWritten {
            Self.expectSame(Array(body.utf8))
            Self.expectSame(Array(body.utf8), status: 502)
        }
        // Raw bytes no Swift literal holds: control characters, invalid UTF-8 where read and where skipped.
        let prefix = Array(#"{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":""#.utf8)
        for inner: [UInt8] in [
            [0x01], [0x7F], [0xFF], [0xC3], [0xC3, 0xA9], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
        ] {
            Self.expectSame(prefix + inner + Array(#""}}"#.utf8))
            Self.expectSame(prefix + Array(#"a","X":""#.utf8) + inner + Array(#""}}"#.utf8))
            Self.expectSame(prefix + Array(#"a","X":{""#.utf8) + inner + Array(#"":1}}}"#.utf8))
            Self.expectSame(prefix + Array(#"a","\#(inner.count)":1,""#.utf8) + inner + Array(#"":1}}"#.utf8))
        }
        // UTF-16 and UTF-32, with and without a byte order mark.
        let text = #"{"ActionStatus":"FAIL","ErrorCode":7,"ErrorInfo":"é"}"#
        for encoding: String.Encoding in [
            .utf16, .utf16BigEndian, .utf16LittleEndian, .utf32BigEndian, .utf32LittleEndian,
        ] {
            if let data = text.data(using: encoding) { Self.expectSame(Array(data)) }
        }
        Self.expectSame([0xFE, 0xFF, 0xD8])
        Self.expectSame([0x31, 0])
    }

    @Test func nestingAtAndBeyondFoundationsLimit() {
        for depth in [100, 508, 509, 510, 511, 512, 513, 5_000] {
            let body =
                #"{"ActionStatus":"FAIL","ErrorCode":1,"X":"# + String(repeating: "[", count: depth)
                + String(repeating: "]", count: depth) + "}"
            Self.expectSame(Array(body.utf8))
            let objects =
                #"{"ActionStatus":"FAIL","ErrorCode":1,"X":"# + String(repeating: #"{"a":"#, count: depth) + "1"
                + String(repeating: "}", count: depth) + "}"
            Self.expectSame(Array(objects.utf8))
        }
        // Never closed: an error, not a crash, however deep.
        Self.expectSame(Array(String(repeating: "[", count: 200_000).utf8))
    }

    @Test func theSimulatorsPagesAndErrors() async throws {
        let simulation = TencentChatSimulation(clock: { Date(timeIntervalSince1970: 1_700_000_000) })
        simulation.addApplication(
            sdkAppID: 1_400_000_000, secretKey: TencentChatClientTests.vectorKey, administrator: "xiaojun")
        simulation.setRooms(count: 137)
        simulation.setRateLimit(1_000_000)
        let client = try TencentChatClientTests.client()
        let userSig = try client.userSigs.current()
        var next = ""
        var pages = 0
        repeat {
            let request = client.makeRequest(next: next, userSig: userSig, random: 1, timeout: 5)
            let body = try #require(Self.ask(simulation, request))
            Self.expectSame(body)
            guard
                case .page(let page) = TencentChatClient.parse(IncomingResponse(status: 200, headers: [], body: body))
                    .answer
            else {
                Issue.record("not a page")
                return
            }
            next = page.next
            pages += 1
        } while !next.isEmpty && pages < 50
        #expect(pages >= 7)
        simulation.inject(.error(code: 60007, info: "frequency"), count: 1)
        simulation.inject(.http(.truncatedJSON), count: 1)
        for _ in 0..<2 {
            let request = client.makeRequest(next: "", userSig: userSig, random: 1, timeout: 5)
            Self.expectSame(try #require(Self.ask(simulation, request)))
        }
    }

    /// The simulator's answer to a request, without a server.
    static func ask(_ simulation: TencentChatSimulation, _ request: OutgoingRequest) -> [UInt8]? {
        guard let url = URLComponents(string: request.url) else { return nil }
        let simulated = SimulatedRequest(
            method: request.method, path: url.path, rawQuery: url.percentEncodedQuery ?? "", headers: request.headers,
            body: request.body ?? [])
        guard case .reply(_, _, let body) = simulation.handle(simulated) else { return nil }
        return body
    }

    @Test func generatedPages() async {
        let outcomes = Mutex([String: Int]())
        await propertyCheck(count: 1_500, input: Gen.int64()) { seed in
            var generator = PageGenerator(seed: UInt64(bitPattern: seed))
            let body = generator.page()
            if let difference = Self.difference(body) {
                Issue.record("seed \(seed): \(difference)")
            }
            let outcome: String
            switch TencentChatClient.parse(IncomingResponse(status: 200, headers: [], body: body)).answer {
            case .page(let page): outcome = page.rooms.isEmpty ? "empty page" : "page"
            case .vendorError: outcome = "vendor error"
            case .failure(let failure):
                outcome = failure.message.hasPrefix("Tencent Chat RoomList[") ? "no RoomId" : failure.message
            }
            outcomes.withLock { $0[outcome, default: 0] += 1 }
        }
        // The generator reaches every kind of answer, pages with rooms most of all.
        let seen = outcomes.withLock { $0 }
        for outcome in [
            "page", "empty page", "vendor error", "no RoomId", "Tencent Chat answer lacks Response.Next",
            "Tencent Chat sent a body that is not Tencent JSON",
            "Tencent Chat sent a Tencent answer, but its Response cannot be read",
        ] {
            #expect(seen[outcome, default: 0] >= 15, "\(outcome): \(seen)")
        }
    }

    @Test func generatedRoomsOnACleanPage() async {
        let rooms = Mutex(0)
        await propertyCheck(count: 2_000, input: Gen.int64()) { seed in
            var generator = PageGenerator(seed: UInt64(bitPattern: seed))
            let body = generator.cleanPage()
            if let difference = Self.difference(body) {
                Issue.record("seed \(seed): \(difference)")
            }
            if case .page(let page) = TencentChatClient.parse(IncomingResponse(status: 200, headers: [], body: body))
                .answer
            {
                rooms.withLock { $0 += page.rooms.count }
            }
        }
        // Most pages read, so each room's fields were compared.
        #expect(rooms.withLock { $0 } > 2_000)
    }

    @Test func everyPrefixOfAPage() {
        var generator = PageGenerator(seed: 42)
        let pages = [
            Array(Self.handWritten[0].utf8), Array(Self.handWritten[1].utf8), generator.page(), generator.page(),
        ]
        for page in pages {
            for length in 0...page.count {
                Self.expectSame(Array(page.prefix(length)))
            }
        }
    }

    @Test func mutatedPages() async {
        await propertyCheck(count: 3_000, input: Gen.int64()) { seed in
            var generator = PageGenerator(seed: UInt64(bitPattern: seed))
            var body = generator.chance(2) ? Array(Self.handWritten[generator.below(3)].utf8) : generator.page()
            for _ in 0..<(1 + generator.below(3)) where !body.isEmpty {
                let at = generator.below(body.count)
                switch generator.below(5) {
                case 0: body[at] = UInt8(truncatingIfNeeded: generator.next())
                case 1:
                    let structural = Array(#"{}[],:"\ -0.e"#.utf8)
                    body[at] = structural[generator.below(structural.count)]
                case 2: body.remove(at: at)
                case 3: body.insert(contentsOf: body[at..<min(body.count, at + generator.below(20))], at: at)
                default: body = Array(body.prefix(at))
                }
            }
            if let difference = Self.difference(body) {
                Issue.record("seed \(seed): \(difference)")
            }
        }
    }
}

/// Random Tencent pages from a seed: every field of every type, escapes, unicode, invalid strings and numbers,
/// missing, duplicate and unknown members, nesting, trailing commas and whitespace.
struct PageGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed | 1 }

    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    mutating func below(_ count: Int) -> Int { Int(next() % UInt64(count)) }
    /// True one time in `count`.
    mutating func chance(_ count: Int) -> Bool { below(count) == 0 }
    mutating func pick<T>(_ options: [T]) -> T { options[below(options.count)] }

    mutating func page() -> [UInt8] {
        var members: [String] = []
        if !chance(12) { members.append(member("ActionStatus", chance(8) ? #""FAIL""# : #""OK""#)) }
        if !chance(8) { members.append(member("ErrorInfo", chance(20) ? value() : chance(6) ? string() : #""""#)) }
        if !chance(8) {
            let code = chance(5) ? pick(["70001", "60007", "null", #""0""#, "1.0", "-1", "1e400"]) : "0"
            members.append(member("ErrorCode", chance(20) ? value() : code))
        }
        if !chance(8) { members.append(member("RequestId", chance(20) ? value() : chance(6) ? string() : #""Id-1""#)) }
        if !chance(15) { members.append(member("Response", chance(12) ? value() : response())) }
        while chance(4) {
            members.append(member(pick(["X", "X", "X", "Response", "ActionStatus", "ErrorCode"]), value()))
        }
        if chance(20) { members.append(member(pick(["ActionStatus", "ErrorCode"]), value())) }
        return Array(object(shuffled(members)).utf8)
    }

    /// A readable envelope whose rooms all have an id, so every room's fields are read and compared.
    mutating func cleanPage() -> [UInt8] {
        var rooms: [String] = []
        for index in 0..<(1 + below(5)) {
            var room = self.room()
            let id = chance(4) ? String(index + 1) : #""r\#(index)""#
            room.insert(contentsOf: #""RoomId":\#(id),"#, at: room.index(after: room.startIndex))
            rooms.append(room)
        }
        let text = #"{"ActionStatus":"OK","ErrorCode":0,"RequestId":"r","Response":{"Next":"n","RoomList":"#
        return Array((text + array(rooms) + "}}").utf8)
    }

    mutating func response() -> String {
        var members: [String] = []
        if !chance(10) { members.append(member("Next", chance(20) ? value() : string())) }
        if !chance(10) {
            if chance(12) {
                members.append(member("RoomList", value()))
            } else {
                var rooms: [String] = []
                for _ in 0..<below(6) { rooms.append(chance(30) ? value() : room()) }
                members.append(member("RoomList", array(rooms)))
            }
        }
        while chance(5) { members.append(member(pick(["Extra", "Next", "RoomList"]), value())) }
        return object(shuffled(members))
    }

    mutating func room() -> String {
        var members: [String] = []
        let fields = [
            "RoomId", "RoomName", "Owner_Account", "CoverURL", "Category", "CreateTime", "ActivityStatus", "ViewCount",
        ]
        for field in fields where !chance(field == "RoomId" ? 40 : 6) {
            let text: String
            switch field {
            case "RoomId": text = chance(3) ? number() : chance(6) ? value() : string()
            case "Category":
                var tags: [String] = []
                for _ in 0..<below(4) { tags.append(chance(2) ? number() : chance(8) ? value() : string()) }
                text = chance(5) ? value() : array(tags)
            case "CreateTime", "ActivityStatus", "ViewCount":
                text = chance(4) ? value() : chance(4) ? "\"\(number())\"" : number()
            default: text = chance(5) ? value() : string()
            }
            members.append(member(field, text))
        }
        while chance(4) { members.append(member(pick(fields + ["Extra", "Room\\u0049d"]), value())) }
        return object(shuffled(members))
    }

    mutating func member(_ key: String, _ value: String) -> String {
        let escapedKey = chance(40) ? key.replacingOccurrences(of: "o", with: "\\u006f") : key
        return ws() + "\"" + escapedKey + "\"" + ws() + ":" + ws() + value + ws()
    }

    mutating func object(_ members: [String]) -> String {
        "{" + members.joined(separator: ",") + (chance(30) && !members.isEmpty ? "," : "") + ws() + "}"
    }

    mutating func array(_ elements: [String]) -> String {
        var spaced: [String] = []
        for element in elements { spaced.append(ws() + element + ws()) }
        return "[" + spaced.joined(separator: ",") + (chance(30) && !elements.isEmpty ? "," : "") + "]"
    }

    mutating func ws() -> String {
        chance(4) ? pick([" ", "\n", "\t ", "\r\n"]) : ""
    }

    mutating func shuffled(_ items: [String]) -> [String] {
        var items = items
        if items.count > 1 {
            for index in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(index, below(index + 1)) }
        }
        return items
    }

    /// Any JSON value, nesting limited.
    mutating func value(depth: Int = 0) -> String {
        switch below(depth > 3 ? 4 : 6) {
        case 0: return string()
        case 1: return number()
        case 2: return pick(["true", "false", "null"])
        case 3: return chance(3) ? pick(["-", "01", "1.2.3", "1e", "-0", "1.", ".5"]) : string()
        case 4:
            var elements: [String] = []
            for _ in 0..<below(4) { elements.append(value(depth: depth + 1)) }
            return array(elements)
        default:
            var members: [String] = []
            for _ in 0..<below(4) {
                let key = pick(["a", "b", "RoomId", "\\q"])
                members.append(member(key, value(depth: depth + 1)))
            }
            return object(members)
        }
    }

    mutating func number() -> String {
        switch below(8) {
        case 0: return String(Int64(bitPattern: next()))
        case 1: return String(below(100_000))
        case 2:
            let significand = 1 + Double(below(1 << 30)) / Double(1 << 30)
            return String(
                Double(sign: chance(2) ? .minus : .plus, exponent: below(2_000) - 1_000, significand: significand))
        case 3: return String(Double(below(1_000_000)) / Double(1 + below(1_000)))
        case 4: return pick(["1.0", "1e3", "1E+2", "-0.0", "1e-400", "1e400", "0.1", "-1.5e-3"])
        case 5:
            return pick([
                "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
                "9007199254740993.000", "12345678901234567890", "9223372036854775807.0", "1e18", "18446744073709551616",
            ])
        case 6: return "-" + String(below(1_000))
        default: return String(1_693_271_354 + below(1_000_000))
        }
    }

    mutating func string() -> String {
        var text = "\""
        for _ in 0..<below(12) {
            switch below(14) {
            case 0: text += pick(["\\n", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\r", "\\t"])
            case 1: text += pick(["\\u00e9", "\\u4e2d", "\\ud83d\\ude00", "\\u0000", "\\u001F", "\\u2028", "\\u202e"])
            case 2:
                text += chance(3) ? pick(["\\ud800", "\\udc00", "\\ud800\\u0041", "\\uzzzz", "\\x", "\\u12G4"]) : "a"
            case 3: text += pick(["体育", "é", "😀", "\u{202E}", "\u{7F}", "\u{85}"])
            case 4: text += chance(4) ? pick(["\u{01}", "\t", "\n"]) : "b"
            default: text += String(UnicodeScalar(UInt8(0x61 + below(26))))
            }
        }
        return text + "\""
    }
}

@Suite struct TencentChatRequestEquivalenceTests {
    /// The query encoding as it was: Foundation's `addingPercentEncoding` with the unreserved set and `*`.
    static func referencePercentEncode(_ text: String) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        allowed.insert(charactersIn: "-._~*")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    @Test func percentEncodingMatchesFoundation() async {
        for text in ["", "ab*-_", "管理员 a&b", "a+b=c/d?e#f%g", "\u{0}\u{7F}\u{80}😀\u{FEFF}", "é", "~.", "\u{10FFFF}"] {
            #expect(TencentChatClient.percentEncode(text) == Self.referencePercentEncode(text), "\(text)")
        }
        await propertyCheck(count: 2_000, input: Gen.int(in: 0...0x10FFFF).array(of: 0...40)) { values in
            var text = ""
            for value in values {
                // Mostly ASCII, some of everything else.
                let code = value % 3 == 0 ? value : value % 128
                if let scalar = Unicode.Scalar(code) { text.unicodeScalars.append(scalar) }
            }
            #expect(
                TencentChatClient.percentEncode(text) == Self.referencePercentEncode(text), "\(text.debugDescription)")
        }
    }

    @Test func theRequestIsTheOneTheJoinedQueryGave() async throws {
        await propertyCheck(count: 300, input: Gen.int(in: 0...0x2FFF).array(of: 0...12), Gen.int64()) {
            identifierCodes, seed in
            var identifier = ""
            for code in identifierCodes {
                if let scalar = Unicode.Scalar(code % 2 == 0 ? code % 128 : code) {
                    identifier.unicodeScalars.append(scalar)
                }
            }
            let random = UInt32(truncatingIfNeeded: seed)
            guard var configuration = try? TencentChatClientTests.configuration() else { return }
            configuration.identifier = identifier
            let userSigs = TencentUserSigCache(secretKey: configuration.secretKey, sdkAppID: 1, identifier: "x")
            let client = TencentChatClient(
                configuration: configuration, transport: UnusedTransport(), userSigs: userSigs)
            let userSig = "eJyr*-_" + String(seed, radix: 36)
            let request = client.makeRequest(next: "n", userSig: userSig, random: random, timeout: 3)
            let query = [
                ("sdkappid", String(configuration.sdkAppID)), ("identifier", identifier), ("usersig", userSig),
                ("random", String(random)), ("contenttype", "json"),
            ]
            .map { "\($0.0)=\(Self.referencePercentEncode($0.1))" }
            .joined(separator: "&")
            #expect(request.url == "https://console.tim.qq.com/v4/live_engine_http_srv/get_room_list?" + query)
        }
    }
}
