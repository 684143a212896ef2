import Testing

@testable import LiveWatch

/// Credentials in URL text never reach a message: user-info and query values are redacted.
@Suite struct URLRedactionTests {
    @Test(arguments: [
        ("https://user:pass@host.example/x", "https://<redacted>@host.example/x"),
        ("https://host/x?access_token=abc&mode=1", "https://host/x?access_token=<redacted>&mode=<redacted>"),
        ("http://u:p@h:8080/a?k=v#frag", "http://<redacted>@h:8080/a?k=<redacted>#<redacted>"),
        ("https://host/path#token", "https://host/path#<redacted>"),
        ("https://host/?bare-token", "https://host/?<redacted>"),
        ("user:pass@host/x", "<redacted>@host/x"),
        ("https://host.example/callback", "https://host.example/callback"),
        ("ftp://a@b@c/?x=1=2", "ftp://<redacted>@c/?x=<redacted>"),
    ])
    func redacts(input: String, expected: String) {
        #expect(URLRedaction.redact(input) == expected)
    }

    @Test func anEndpointWithCredentialsIsRejectedWithoutEchoingThem() throws {
        for endpoint in [
            "https://admin:hunter2-pass@api.polyv.net", "https://api.polyv.net/?access_token=tok-9f8e7d6c",
        ] {
            do {
                _ = try ConfigurationLoader(environment: ["S": "polyv-secret"]).parse(
                    """
                    polyv:
                      - name: p
                        app_id: a
                        app_secret: { env: S }
                        endpoint: \(endpoint)
                    """)
                Issue.record("\(endpoint) was accepted")
            } catch {
                let text = error.description
                #expect(text.contains("endpoint: must be an http:// or https:// base URL"), "\(text)")
                #expect(
                    !text.contains("hunter2-pass") && !text.contains("admin:") && !text.contains("tok-9f8e7d6c"),
                    "\(text)")
            }
        }
    }

    @Test func callbackURLsInMetaStudioNoticesAreRedacted() {
        let old = [PlatformCallback(apiType: "LIVE_EVENT_CALLBACK", url: "https://cb.example/hook?sign=old-secret-1")]
        let new = [PlatformCallback(apiType: "LIVE_EVENT_CALLBACK", url: "https://cb.example/hook?sign=new-secret-2")]
        let text = MetaStudioEvaluator.describeChange(from: old, to: new)
        #expect(
            text
                == "LIVE_EVENT_CALLBACK https://cb.example/hook?sign=<redacted> → https://cb.example/hook?sign=<redacted>"
        )
    }
}
