/// The rule names of INTERFACES section 3.
public enum AlertRule: String, Sendable, CaseIterable {
    case mrConcurrencyExhausted = "mr_concurrency_exhausted"
    /// The trend of MR concurrency in use reaches the total within the horizon (INTERFACES section 5.4).
    case mrConcurrencyForecast = "mr_concurrency_forecast"
    case platformAuthorizationExpiring = "platform_authorization_expiring"
    case platformUnauthorized = "platform_unauthorized"
    case monitorFailing = "monitor_failing"
    case viewingRestrictionChanged = "viewing_restriction_changed"
    case liveClientLinkExpiring = "live_client_link_expiring"
    case liveClientLinkChanged = "live_client_link_changed"
    /// Notice: a MetaStudio platform's auth key or callback URLs changed (not in INTERFACES' table; see README).
    case platformConfigChanged = "platform_config_changed"
    /// Notice: a MetaStudio platform has a callback URL that is not HTTPS (not in INTERFACES' table; see README).
    case platformCallbackInsecure = "platform_callback_insecure"
}
