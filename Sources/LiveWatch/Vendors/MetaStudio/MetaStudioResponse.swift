/// `ListLivePlatforms`' 200 body: `{live_platforms: [LivePlatformInfo]}`, no total.
struct MetaStudioListResponse: Decodable {
    /// `LivePlatformInfo`.
    struct Platform: Decodable {
        var platformID: FlexibleString?
        var accessType: FlexibleString?
        var name: FlexibleString?
        var authorizationInfo: AuthorizationInfo?
        var authConfig: AuthConfig?
        var callbackConfig: [Callback]?

        enum CodingKeys: String, CodingKey {
            case platformID = "platform_id"
            case accessType = "access_type"
            case name
            case authorizationInfo = "authorization_info"
            case authConfig = "auth_config"
            case callbackConfig = "callback_config"
        }
    }

    /// `PlatformAuthorizationInfo`: the times are strings of no documented format (numbers are accepted too).
    struct AuthorizationInfo: Decodable {
        var authorizeState: FlexibleString?
        var authorizedTime: FlexibleString?
        var expireTime: FlexibleString?
        var account: FlexibleString?

        enum CodingKeys: String, CodingKey {
            case authorizeState = "authorize_state"
            case authorizedTime = "authorized_time"
            case expireTime = "expire_time"
            case account
        }
    }

    /// `CustomPlatformAuthConfig`: `key` is a secret, only its fingerprint leaves the client.
    struct AuthConfig: Decodable {
        var key: String?
    }

    /// `StandardPlatformApiConfig`.
    struct Callback: Decodable {
        var apiType: FlexibleString?
        var url: String?

        enum CodingKeys: String, CodingKey {
            case apiType = "api_type"
            case url
        }
    }

    var livePlatforms: [Platform]?

    enum CodingKeys: String, CodingKey {
        case livePlatforms = "live_platforms"
    }
}

/// Huawei's error body: `{"error_code": "...", "error_msg": "...", "request_id": "..."}`.
struct MetaStudioErrorBody: Decodable {
    var errorCode: FlexibleString?
    var errorMsg: String?
    var requestID: String?

    enum CodingKeys: String, CodingKey {
        case errorCode = "error_code"
        case errorMsg = "error_msg"
        case requestID = "request_id"
    }
}
