/// Queries a person can run with `sqlite3` to look around the database (the demo prints them).
/// They name the schema's tables and columns, so they live beside the schema.
public enum SampleQueries {
    /// The latest Polyv MR concurrency samples.
    public static let latestConcurrency = "SELECT * FROM mr_concurrency ORDER BY observed_at DESC LIMIT 5"
    /// Every alert episode.
    public static let alerts = "SELECT rule, severity, state, message FROM alerts"
    /// The latest MetaStudio platform authorizations (double quotes inside: wrap it in single quotes).
    public static let latestPlatforms = """
        SELECT platform_name, authorize_state, datetime(expire_time, "unixepoch") FROM platform_authorizations \
        ORDER BY observed_at DESC LIMIT 3
        """
    /// The Tencent Chat rooms with the most views.
    public static let topRooms =
        "SELECT room_id, room_name, view_count, first_seen, last_seen FROM live_rooms ORDER BY view_count DESC LIMIT 5"
    /// The latest Tencent Chat polls (single quotes inside: wrap it in double quotes).
    public static let tencentChatPolls = """
        SELECT started_at, ok, items, requests, error_code FROM polls WHERE vendor = 'tencent_chat' ORDER BY id DESC LIMIT 8
        """
    /// The latest Volcengine viewing restrictions.
    public static let latestRestrictions = """
        SELECT activity_id, restriction_type, custom_app, secret_fingerprint FROM viewing_restrictions \
        ORDER BY observed_at DESC LIMIT 4
        """
    /// The latest Volcengine start links.
    public static let latestLinks = """
        SELECT activity_id, login_type, user_name, expire_time, url_fingerprint FROM live_client_links \
        ORDER BY observed_at DESC LIMIT 4
        """
}
