import Foundation
import Testing
import VendorSigning

/// Polyv `sign` parameter: SIGNING.md section 1 and vectors polyv-1, polyv-2.
struct PolyvSignerTests {
    static let docSecret = "fsq2k5weced1h8vui657xtdva66whf0g"

    @Test func polyv1DocExample() {
        let params = [
            "channelIds": "2477096,2272655",
            "startDay": "2022-05-20",
            "endDay": "2022-06-18",
            "appId": "g4rqgmmjuo",
            "timestamp": "1660270926732",
            "page": "",
            "size": "",
        ]
        #expect(
            PolyvSigner.concatenation(params)
                == "appIdg4rqgmmjuochannelIds2477096,2272655endDay2022-06-18startDay2022-05-20timestamp1660270926732")
        #expect(
            PolyvSigner.plainText(params, appSecret: Self.docSecret)
                == "fsq2k5weced1h8vui657xtdva66whf0gappIdg4rqgmmjuochannelIds2477096,2272655endDay2022-06-18startDay2022-05-20timestamp1660270926732fsq2k5weced1h8vui657xtdva66whf0g"
        )
        #expect(PolyvSigner.sign(params, appSecret: Self.docSecret) == "0D2BDA2FD04D93A2B8832B91FD973C4D")
    }

    @Test func polyv2ConcurrencyDetail() {
        let params = ["appId": "frlr1zazn3", "timestamp": "1660617675000"]
        #expect(PolyvSigner.concatenation(params) == "appIdfrlr1zazn3timestamp1660617675000")
        #expect(
            PolyvSigner.plainText(params, appSecret: Self.docSecret)
                == "fsq2k5weced1h8vui657xtdva66whf0gappIdfrlr1zazn3timestamp1660617675000fsq2k5weced1h8vui657xtdva66whf0g"
        )
        #expect(PolyvSigner.sign(params, appSecret: Self.docSecret) == "3381155867F71FC97EEB6DDB0DCC59D2")
    }

    @Test func blankValuesDroppedKeptValuesUntrimmedAndByteOrderSort() {
        let params = [
            "Zeta": "z",
            "appId": "a",
            "blank": "   ",
            "keep": "  x ",
            "tab": "\t\n",
            "timestamp": "1",
        ]
        #expect(PolyvSigner.concatenation(params) == "ZetazappIdakeep  x timestamp1")
        #expect(PolyvSigner.sign(params, appSecret: Self.docSecret) == "96CDDEB6A0BE4EB072BDA6936988F57B")
    }

    @Test func upperCaseSortsBeforeLowerCase() {
        #expect(PolyvSigner.concatenation(["appId": "1", "Zeta": "2"]) == "Zeta2appId1")
    }

    @Test func javaTrimSemantics() {
        // Every character <= U+0020 counts as blank (Java String.trim), including NUL and US.
        #expect(PolyvSigner.concatenation(["a": "\u{0}\u{1F} \r", "b": "1"]) == "b1")
        // U+3000 and U+00A0 are above U+0020, so Java keeps them.
        #expect(PolyvSigner.concatenation(["a": "\u{3000}", "b": "\u{A0}"]) == "a\u{3000}b\u{A0}")
        #expect(PolyvSigner.concatenation(["a": ""]) == "")
    }

    @Test func signKeyExcluded() {
        let params = ["appId": "frlr1zazn3", "timestamp": "1660617675000", "sign": "STALE"]
        #expect(PolyvSigner.concatenation(params) == "appIdfrlr1zazn3timestamp1660617675000")
        #expect(PolyvSigner.sign(params, appSecret: Self.docSecret) == "3381155867F71FC97EEB6DDB0DCC59D2")
    }

    @Test func sortsByUTF16CodeUnits() {
        // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FF61 in UTF-16
        // (Java compareTo) although its code point is larger.
        #expect(PolyvSigner.concatenation(["\u{FF61}": "b", "\u{1F600}": "a"]) == "\u{1F600}a\u{FF61}b")
    }

    @Test func timestampMilliseconds() {
        #expect(PolyvSigner.timestampMilliseconds(Date(timeIntervalSince1970: 1_660_270_926.732)) == "1660270926732")
        #expect(PolyvSigner.timestampMilliseconds(Date(timeIntervalSince1970: 1_660_617_675)) == "1660617675000")
        #expect(PolyvSigner.timestampMilliseconds(Date(timeIntervalSince1970: 1_700_000_000.9999)) == "1700000000999")
        #expect(PolyvSigner.timestampMilliseconds(Date(timeIntervalSince1970: 1_700_000_000)).count == 13)
    }
}
