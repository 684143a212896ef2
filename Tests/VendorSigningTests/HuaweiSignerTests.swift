import Foundation
import Testing
import VendorSigning

/// Huawei SDK-HMAC-SHA256: SIGNING.md section 3, vectors huawei-2-raw-minimal and huawei-mss-doc-example.
struct HuaweiSignerTests {
    static let signer = HuaweiSigner(
        accessKey: "HPUAEXAMPLEAK000001", secretKey: "ExampleSecretKey0123456789abcdefghijklmn")
    static let projectID = "0123456789abcdef0123456789abcdef"

    static func header(_ name: String, in signature: HuaweiSignature) -> String? {
        signature.headers.first { $0.name == name }?.value
    }

    @Test func huawei2RawMinimal() throws {
        let url = try #require(
            URL(
                string:
                    "https://metastudio.cn-north-4.myhuaweicloud.com/v1/0123456789abcdef0123456789abcdef/live-platforms/platforms?offset=0&limit=100"
            ))
        let signature = Self.signer.sign(
            method: "GET", url: url, headers: [("X-Project-Id", Self.projectID)],
            body: [], sdkDate: "20250101T000000Z")
        #expect(
            signature.canonicalRequest
                == "GET\n/v1/0123456789abcdef0123456789abcdef/live-platforms/platforms/\nlimit=100&offset=0\nhost:metastudio.cn-north-4.myhuaweicloud.com\nx-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20250101T000000Z\n\nhost;x-project-id;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
        #expect(
            signature.stringToSign
                == "SDK-HMAC-SHA256\n20250101T000000Z\n289897a98ce22e8eb4ba24d202e35423292461665b1e11a553ef1829b4521816"
        )
        #expect(signature.signedHeaders == "host;x-project-id;x-sdk-date")
        #expect(signature.signature == "1b0cd7a9853ffe9d4dd045d9ffd0cfa4ec92692e6d119b6ce18908163d7f95fd")
        #expect(
            signature.authorization
                == "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK000001, SignedHeaders=host;x-project-id;x-sdk-date, Signature=1b0cd7a9853ffe9d4dd045d9ffd0cfa4ec92692e6d119b6ce18908163d7f95fd"
        )
        #expect(signature.canonicalURI == "/v1/0123456789abcdef0123456789abcdef/live-platforms/platforms/")
        #expect(signature.canonicalQuery == "limit=100&offset=0")
        #expect(signature.payloadHash == HuaweiSigner.emptyPayloadHash)
        #expect(
            signature.headers == [
                SigningHeader(name: "X-Project-Id", value: Self.projectID),
                SigningHeader(name: "X-Sdk-Date", value: "20250101T000000Z"),
                SigningHeader(name: "Host", value: "metastudio.cn-north-4.myhuaweicloud.com"),
                SigningHeader(name: "Authorization", value: signature.authorization),
            ])

        // The same request given by parts signs identically.
        let byParts = Self.signer.sign(
            method: "get", host: "metastudio.cn-north-4.myhuaweicloud.com",
            path: "/v1/0123456789abcdef0123456789abcdef/live-platforms/platforms",
            query: [("offset", "0"), ("limit", "100")],
            headers: [("X-Project-Id", Self.projectID)], body: [], sdkDate: "20250101T000000Z")
        #expect(byParts == signature)
    }

    @Test func mssDocExample() throws {
        let url = try #require(URL(string: "https://api.example.com/v1/products?live_id=111&limit=10&offset=0"))
        let result = HuaweiSigner.mssSecret(key: "GCTbw44s6MPLh4GqgDpnfuFHgy25Enly", url: url, timeHex: "66df9308")
        #expect(result.message == "api.example.com/v1/products?limit=10&live_id=111&offset=066df9308")
        #expect(result.secret == "5e7fe8869a12a87ea966d9edbc02e38cd4ce62c73b8b05c638f15835e78902d7")
        #expect(HuaweiSigner.mssTimeHex(Date(timeIntervalSince1970: 0x66df_9308)) == "66df9308")
        #expect(HuaweiSigner.mssTimeHex(Date(timeIntervalSince1970: 1_725_928_200.9)) == "66df9308")
    }

    @Test func canonicalQueryAndURIEncodingWithBodyAndPort() throws {
        // Expected values computed with Python urllib quote(safe="~") following signer.py.
        let expectedCanonical =
            "POST\n/v1/a%20b/%E4%B8%AD%2Ax/\na=x%20y&b=1&b=2&c=%2A%2F&e=\ncontent-type:application/json\nhost:example.com:8443\nx-sdk-date:20250101T000000Z\n\ncontent-type;host;x-sdk-date\na0da1fce57d0e4f9f0ae4e4cbe040d34dcc046255c6c8d18e97f55aaed0655f0"
        let signer = HuaweiSigner(accessKey: "ak", secretKey: "sk")
        let body = Array("{\"k\":1}".utf8)
        let byParts = signer.sign(
            method: "POST", host: "example.com:8443", path: "/v1/a b/%E4%B8%AD*x",
            query: [("b", "2"), ("a", "x y"), ("b", "1"), ("c", "*/"), ("e", "")],
            headers: [("Content-Type", " application/json "), ("X_Custom_Underscore", "1")],
            body: body, sdkDate: "20250101T000000Z")
        #expect(byParts.canonicalRequest == expectedCanonical)
        #expect(byParts.canonicalQuery == "a=x%20y&b=1&b=2&c=%2A%2F&e=")
        #expect(
            byParts.stringToSign
                == "SDK-HMAC-SHA256\n20250101T000000Z\n5740a608e4ab9f0152391f546619a88e9997096bb40cfee8ccb697418b43e556"
        )
        #expect(byParts.signature == "458310f97e49f3291a69c407502cb4b22f2a6396d97669f3253e443bf03dc25e")
        // Underscore headers are sent but never signed.
        #expect(Self.header("X_Custom_Underscore", in: byParts) == "1")
        #expect(!byParts.signedHeaders.contains("x_custom"))

        let url = try #require(URL(string: "https://example.com:8443/v1/a%20b/%E4%B8%AD*x?b=2&a=x%20y&b=1&c=*/&e="))
        let byURL = signer.sign(
            method: "POST", url: url,
            headers: [("Content-Type", " application/json "), ("X_Custom_Underscore", "1")],
            body: body, sdkDate: "20250101T000000Z")
        #expect(byURL.canonicalRequest == expectedCanonical)
        #expect(Self.header("Host", in: byURL) == "example.com:8443")
    }

    @Test func canonicalQueryEncodesSpaceSlashStarAndSorts() {
        let signature = HuaweiSigner(accessKey: "ak", secretKey: "sk")
            .sign(
                method: "GET", host: "h", path: "/",
                query: [("z", "a b"), ("m", "x/y"), ("a", "*"), ("a", "+"), ("ü", "~")],
                headers: [], body: [], sdkDate: "20250101T000000Z")
        #expect(signature.canonicalQuery == "a=%2A&a=%2B&m=x%2Fy&z=a%20b&%C3%BC=~")
        #expect(signature.canonicalURI == "/")
    }

    @Test func callerDateAndHostHandling() {
        let signature = HuaweiSigner(accessKey: "ak", secretKey: "sk")
            .sign(
                method: "GET", host: "ignored.example", path: "/x/",
                query: [], headers: [("Host", "given.example"), ("x-sdk-date", "19990101T000000Z")],
                body: [], sdkDate: "20250101T000000Z")
        #expect(signature.canonicalURI == "/x/")
        #expect(
            signature.headers.filter { $0.name.lowercased() == "x-sdk-date" }
                == [SigningHeader(name: "X-Sdk-Date", value: "20250101T000000Z")])
        #expect(
            signature.headers.filter { $0.name.lowercased() == "host" } == [
                SigningHeader(name: "Host", value: "given.example")
            ])
        #expect(signature.canonicalRequest.contains("\nhost:given.example\nx-sdk-date:20250101T000000Z\n\n"))
    }

    @Test func sdkDateFormat() {
        #expect(HuaweiSigner.sdkDate(Date(timeIntervalSince1970: 1_735_689_600)) == "20250101T000000Z")
        #expect(HuaweiSigner.sdkDate(Date(timeIntervalSince1970: 1_735_689_599.999)) == "20241231T235959Z")
        #expect(HuaweiSigner.sdkDate(Date(timeIntervalSince1970: 0)) == "19700101T000000Z")
    }
}
