import Testing
import VendorSimulator

@testable import LiveWatch

/// One of the simulator's hostile answers and the failure a vendor client must turn it into. Every client is
/// checked against the same table; they differ only where their vendor does (the 429 code, the timeout).
struct HostileAnswer: Sendable, CustomTestStringConvertible {
    let fault: SimulatedFault
    let kind: PollFailure.Kind
    let code: String

    var testDescription: String { "\(fault)" }

    /// The table: `slow` is how late the slow answer comes (far past the client's timeout, so a loaded machine
    /// that fires the timeout late still sees no answer first); `rateLimitCode` is
    /// the code of an HTTP 429 with `Retry-After: 42`, which is left out when nil.
    static func all(slow: Double = 60, rateLimitCode: String? = "http_429") -> [HostileAnswer] {
        [
            HostileAnswer(fault: .serverError, kind: .http, code: "http_500"),
            HostileAnswer(fault: .html, kind: .http, code: "http_502"),
            HostileAnswer(fault: .truncatedJSON, kind: .invalidResponse, code: "invalid_response"),
            HostileAnswer(fault: .emptyBody, kind: .invalidResponse, code: "invalid_response"),
            HostileAnswer(fault: .wrongContentType, kind: .invalidResponse, code: "invalid_response"),
            HostileAnswer(fault: .slow(seconds: slow), kind: .transport, code: "timeout"),
            HostileAnswer(fault: .oversized(bytes: 12 << 20), kind: .transport, code: "body_too_large"),
            HostileAnswer(fault: .connectionReset, kind: .transport, code: "transport"),
        ]
            + (rateLimitCode.map { [HostileAnswer(fault: .rateLimited(retryAfter: 42), kind: .rateLimited, code: $0)] }
                ?? [])
    }

    /// Expects `report` to have failed with this answer's kind and code (and a 429's `Retry-After`); returns the failure.
    @discardableResult
    func expectFailure(of report: PollReport, sourceLocation: SourceLocation = #_sourceLocation) throws -> PollFailure {
        let failure = try #require(report.failure, "\(fault) was not a failure", sourceLocation: sourceLocation)
        #expect(failure.kind == kind, "\(fault): \(failure)", sourceLocation: sourceLocation)
        #expect(failure.code == code, "\(fault): \(failure)", sourceLocation: sourceLocation)
        if case .rateLimited = fault { #expect(failure.retryAfter == 42, sourceLocation: sourceLocation) }
        return failure
    }

    /// Expects the poll after the fault, without it, to work: nothing was left broken.
    func expectRecovery(in next: PollReport, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(next.succeeded, "after \(fault): \(String(describing: next.failure))", sourceLocation: sourceLocation)
    }
}
