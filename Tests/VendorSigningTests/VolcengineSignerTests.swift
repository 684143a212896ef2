import Foundation
import Testing
import VendorSigning

/// Volcengine V4 HMAC-SHA256: SIGNING.md section 4, vectors volc-1-get and volc-2-post-json.
struct VolcengineSignerTests {
    static let signer = VolcengineSigner(
        accessKey: "AKLTexampleAccessKeyId000000",
        secretKey: "ExampleSecretAccessKey0000000000000000000==",
        region: "cn-north-1", service: "livesaas")
    static let host = "livesaas.volcengineapi.com"
    static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    @Test func volc1Get() {
        let signature = Self.signer.sign(
            method: "GET", host: Self.host, path: "/",
            query: [
                ("Action", "GetCustomViewingRestrictionInfoAPI"), ("Version", "2020-06-01"),
                ("ActivityId", "1776000089138"), ("ViewingRestriction", "0"),
            ],
            headers: [("Accept", "application/json")], body: [], xDate: "20240910T083000Z")
        #expect(
            signature.canonicalRequest
                == "GET\n/\nAction=GetCustomViewingRestrictionInfoAPI&ActivityId=1776000089138&Version=2020-06-01&ViewingRestriction=0\nhost:livesaas.volcengineapi.com\nx-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-date:20240910T083000Z\n\nhost;x-content-sha256;x-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
        #expect(
            signature.stringToSign
                == "HMAC-SHA256\n20240910T083000Z\n20240910/cn-north-1/livesaas/request\n410942ecf5f00a7faceec62603a2c77b7e0fd790753f4bebe21f8ae72bbea786"
        )
        #expect(
            signature.authorization
                == "HMAC-SHA256 Credential=AKLTexampleAccessKeyId000000/20240910/cn-north-1/livesaas/request, SignedHeaders=host;x-content-sha256;x-date, Signature=485b150c5fcdc6102af76484a1d0d9b3ab2ebf62a82b13d25c0066e71ada637c"
        )
        #expect(signature.credentialScope == "20240910/cn-north-1/livesaas/request")
        #expect(signature.signedHeaders == "host;x-content-sha256;x-date")
        #expect(signature.signature == "485b150c5fcdc6102af76484a1d0d9b3ab2ebf62a82b13d25c0066e71ada637c")
        #expect(
            signature.canonicalQuery
                == "Action=GetCustomViewingRestrictionInfoAPI&ActivityId=1776000089138&Version=2020-06-01&ViewingRestriction=0"
        )
        #expect(signature.contentSHA256 == Self.emptyHash)
        #expect(
            signature.headers == [
                SigningHeader(name: "Host", value: Self.host),
                SigningHeader(name: "X-Date", value: "20240910T083000Z"),
                SigningHeader(name: "X-Content-Sha256", value: Self.emptyHash),
                SigningHeader(name: "Accept", value: "application/json"),
                SigningHeader(name: "Authorization", value: signature.authorization),
            ])
    }

    @Test func volc2PostJSON() {
        let body = Array("{\"ActivityId\":1776000089138,\"LoginType\":0}".utf8)
        let signature = Self.signer.sign(
            method: "POST", host: Self.host, path: "/",
            query: [("Action", "GetDownloadLiveClient"), ("Version", "2023-08-01")],
            headers: [("Accept", "application/json"), ("Content-Type", "application/json")],
            body: body, xDate: "20240910T083000Z")
        #expect(
            signature.canonicalRequest
                == "POST\n/\nAction=GetDownloadLiveClient&Version=2023-08-01\ncontent-type:application/json\nhost:livesaas.volcengineapi.com\nx-content-sha256:df7d07e8404791d166a75e9633f6caf688eeaf5ecd4b7bf492ac601e9b6a8d10\nx-date:20240910T083000Z\n\ncontent-type;host;x-content-sha256;x-date\ndf7d07e8404791d166a75e9633f6caf688eeaf5ecd4b7bf492ac601e9b6a8d10"
        )
        #expect(
            signature.stringToSign
                == "HMAC-SHA256\n20240910T083000Z\n20240910/cn-north-1/livesaas/request\n764d914d0e46fc5ecb0e8c106ff65ee030225833371453d6eedaead829cd50e1"
        )
        #expect(
            signature.authorization
                == "HMAC-SHA256 Credential=AKLTexampleAccessKeyId000000/20240910/cn-north-1/livesaas/request, SignedHeaders=content-type;host;x-content-sha256;x-date, Signature=720fc478226bea3bd3a2c82cf1ad807633781e2a69ace2c9172a0fc776f3e280"
        )
        #expect(signature.contentSHA256 == "df7d07e8404791d166a75e9633f6caf688eeaf5ecd4b7bf492ac601e9b6a8d10")
        #expect(
            signature.headers.map(\.name) == [
                "Host", "X-Date", "X-Content-Sha256", "Content-Type", "Accept", "Authorization",
            ])
    }

    @Test func dateOverloadMatchesXDate() throws {
        let date = try #require(ISO8601DateFormatter().date(from: "2024-09-10T08:30:00Z"))
        #expect(VolcengineSigner.xDate(date) == "20240910T083000Z")
        #expect(VolcengineSigner.xDate(date.addingTimeInterval(0.75)) == "20240910T083000Z")
        let viaDate = Self.signer.sign(
            method: "GET", host: Self.host, path: "/", query: [("Action", "A")],
            headers: [], body: [], date: date)
        let viaString = Self.signer.sign(
            method: "GET", host: Self.host, path: "/", query: [("Action", "A")],
            headers: [], body: [], xDate: "20240910T083000Z")
        #expect(viaDate == viaString)
    }

    @Test func canonicalQueryEncodesSpaceSlashStarAndSortsStably() {
        // Expected value computed with the SDK's Util.norm_query in Python.
        let signature = Self.signer.sign(
            method: "GET", host: Self.host, path: "/",
            query: [
                ("Version", "2020-06-01"), ("Action", "Test"), ("Name", "a b/c*d+e"), ("List", "2"), ("List", "1"),
            ],
            headers: [], body: [], xDate: "20240910T083000Z")
        #expect(signature.canonicalQuery == "Action=Test&List=2&List=1&Name=a%20b%2Fc%2Ad%2Be&Version=2020-06-01")
    }

    @Test func canonicalURIKeepsSlash() {
        let signature = Self.signer.sign(
            method: "GET", host: Self.host, path: "/a b/ü", query: [],
            headers: [], body: [], xDate: "20240910T083000Z")
        #expect(signature.canonicalURI == "/a%20b/%C3%BC")
        let empty = Self.signer.sign(
            method: "GET", host: Self.host, path: "", query: [],
            headers: [], body: [], xDate: "20240910T083000Z")
        #expect(empty.canonicalURI == "/")
    }

    @Test func signedHeaderSelectionIsCaseSensitiveAndHostPortStripped() {
        let signature = Self.signer.sign(
            method: "GET", host: "livesaas.volcengineapi.com:443", path: "/", query: [],
            headers: [("x-lower", "1"), ("X-Upper", " spaced "), ("Content-Md5", "abc"), ("User-Agent", "ua")],
            body: [], xDate: "20240910T083000Z")
        #expect(signature.signedHeaders == "content-md5;host;x-content-sha256;x-date;x-upper")
        #expect(signature.canonicalRequest.contains("\nhost:livesaas.volcengineapi.com\n"))
        #expect(signature.canonicalRequest.contains("\nx-upper: spaced \n"))
        #expect(signature.headers.first == SigningHeader(name: "Host", value: "livesaas.volcengineapi.com:443"))
        #expect(signature.headers.contains(SigningHeader(name: "x-lower", value: "1")))
        let port80 = Self.signer.sign(
            method: "GET", host: "h.example:80", path: "/", query: [], headers: [], body: [],
            xDate: "20240910T083000Z")
        #expect(port80.canonicalRequest.contains("\nhost:h.example\n"))
        let port8080 = Self.signer.sign(
            method: "GET", host: "h.example:8080", path: "/", query: [], headers: [], body: [],
            xDate: "20240910T083000Z")
        #expect(port8080.canonicalRequest.contains("\nhost:h.example:8080\n"))
    }

    @Test func nonGETDefaultsContentTypeAndSecurityTokenIsSigned() {
        let signer = VolcengineSigner(
            accessKey: "ak", secretKey: "sk", region: "cn-north-1", service: "livesaas",
            securityToken: "sts-token")
        let signature = signer.sign(
            method: "POST", host: Self.host, path: "/", query: [], headers: [], body: [],
            xDate: "20240910T083000Z")
        #expect(
            signature.headers.contains(
                SigningHeader(name: "Content-Type", value: VolcengineSigner.defaultFormContentType)))
        #expect(signature.signedHeaders == "content-type;host;x-content-sha256;x-date;x-security-token")
        #expect(signature.canonicalRequest.contains("\nx-security-token:sts-token\n"))
    }
}
