/// The Polyv v4 response envelope: `{code, status, success, requestId, error, data}`.
struct PolyvEnvelope: Decodable {
    struct ErrorBody: Decodable {
        var code: FlexibleString?
        var desc: String?
    }

    struct ConcurrencyData: Decodable {
        var mrLiveConcurrency: Int?
        var usedCount: Int?
        var residualConcurrency: Int?
        var channelIds: [FlexibleString]?
    }

    var code: Int?
    var status: String?
    var success: Bool?
    var requestId: String?
    var error: ErrorBody?
    var data: ConcurrencyData?
}
