import SQLite

/// The database schema, one migration per version (`PRAGMA user_version`).
///
/// The relations of INTERFACES section 4 are tables here; their columns are
/// the stable reporting interface. Extra columns (ids, bookkeeping) may follow.
public enum Schema {
    /// Every migration, oldest first. Never edit a released one: append.
    public static let migrator = Migrator(
        migrations: [
            Migrator.Migration(name: "initial relations", sql: version1),
            Migrator.Migration(name: "rollups", sql: rollups),
            Migrator.Migration(name: "tencent_chat compact room samples", sql: tencentChatCompactSamples),

            Migrator.Migration(
                name: "volcengine: poll_id on viewing_restrictions and live_client_links", sql: volcengineSnapshots),
            Migrator.Migration(name: "metastudio callback urls", sql: metaStudioCallbacks),
            Migrator.Migration(name: "notifications: outbox, delivery state, pending alerts", sql: notifications),
            Migrator.Migration(name: "outbox limits: dropped-row counters", sql: outboxDrops),
            Migrator.Migration(name: "silences from the command line", sql: silences),
        ], program: "livewatch")

    /// Rows dropped from a full outbox (`daemon.outbox_limit`), per outbox: `alert_log` (notifier
    /// `''`) or `notification` (per notifier). `dropping` is 1 while the outbox stays at its limit,
    /// so its critical notice is written once per episode.
    static let outboxDrops = """
        CREATE TABLE outbox_drops (
            outbox TEXT NOT NULL CHECK (outbox IN ('alert_log', 'notification')),
            notifier TEXT NOT NULL DEFAULT '',
            dropped INTEGER NOT NULL DEFAULT 0,
            dropping INTEGER NOT NULL DEFAULT 0 CHECK (dropping IN (0, 1)),
            last_dropped_at INTEGER,
            PRIMARY KEY (outbox, notifier)
        ) WITHOUT ROWID;
        """

    /// MetaStudio: the platforms' callback configuration (URLs are not secrets; the
    /// auth key is, and only its fingerprint is stored), so changes can be noticed.
    static let metaStudioCallbacks = """
        ALTER TABLE platform_authorizations ADD COLUMN callback_urls TEXT;
        """

    /// Volcengine: each restriction and link row names the `polls` row that
    /// observed it, so "the last observation" of an activity is exactly the
    /// rows of its latest poll, even when two polls share a second.
    static let volcengineSnapshots = """
        ALTER TABLE viewing_restrictions ADD COLUMN poll_id INTEGER;
        CREATE INDEX viewing_restrictions_by_activity ON viewing_restrictions (monitor, activity_id, poll_id);
        ALTER TABLE live_client_links ADD COLUMN poll_id INTEGER;
        CREATE INDEX live_client_links_by_link ON live_client_links (monitor, activity_id, login_type, user_name, poll_id);
        """

    /// The columns of `live_rooms`, as version 1 created it and the compact layout re-creates it
    /// behind an integer key. Lines after the first carry the indentation of a column inside a
    /// `CREATE TABLE`, so that the migrations' SQL stays what it was.
    static let liveRoomColumns = """
        monitor TEXT NOT NULL,
            room_id TEXT NOT NULL,
            room_name TEXT,
            owner_account TEXT,
            cover_url TEXT,
            categories TEXT,
            create_time INTEGER,
            activity_status INTEGER,
            view_count INTEGER,
            first_seen INTEGER NOT NULL,
            last_seen INTEGER NOT NULL
        """

    static let version1 = """
        CREATE TABLE polls (
            id INTEGER PRIMARY KEY,
            monitor TEXT NOT NULL,
            vendor TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            finished_at INTEGER NOT NULL,
            ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
            http_status INTEGER,
            error_code TEXT,
            error_message TEXT,
            request_id TEXT,
            requests INTEGER NOT NULL,
            items INTEGER NOT NULL,
            duration_ms INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX polls_by_monitor_time ON polls (monitor, started_at);

        CREATE TABLE mr_concurrency (
            monitor TEXT NOT NULL,
            observed_at INTEGER NOT NULL,
            total INTEGER NOT NULL,
            used INTEGER NOT NULL,
            residual INTEGER NOT NULL
        );
        CREATE INDEX mr_concurrency_by_monitor_time ON mr_concurrency (monitor, observed_at);

        CREATE TABLE mr_channels (
            monitor TEXT NOT NULL,
            observed_at INTEGER NOT NULL,
            channel_id TEXT NOT NULL
        );
        CREATE INDEX mr_channels_by_monitor_time ON mr_channels (monitor, observed_at);

        CREATE TABLE live_rooms (
            \(liveRoomColumns),
            PRIMARY KEY (monitor, room_id)
        ) WITHOUT ROWID;

        CREATE TABLE live_room_samples (
            monitor TEXT NOT NULL,
            observed_at INTEGER NOT NULL,
            room_id TEXT NOT NULL,
            activity_status INTEGER,
            view_count INTEGER
        );
        CREATE INDEX live_room_samples_by_monitor_time ON live_room_samples (monitor, observed_at);

        CREATE TABLE platform_authorizations (
            monitor TEXT NOT NULL,
            observed_at INTEGER NOT NULL,
            platform_id TEXT NOT NULL,
            platform_name TEXT,
            access_type TEXT,
            authorize_state TEXT,
            authorized_time INTEGER,
            expire_time INTEGER,
            account TEXT,
            auth_key_fingerprint TEXT
        );
        CREATE INDEX platform_authorizations_by_monitor_time ON platform_authorizations (monitor, observed_at);

        CREATE TABLE viewing_restrictions (
            monitor TEXT NOT NULL,
            observed_at INTEGER NOT NULL,
            activity_id TEXT NOT NULL,
            restriction_type INTEGER,
            custom_app TEXT,
            custom_url TEXT,
            error_redirect_url TEXT,
            secret_fingerprint TEXT,
            main_button_title TEXT,
            sub_button_title TEXT
        );
        CREATE INDEX viewing_restrictions_by_monitor_time ON viewing_restrictions (monitor, observed_at);

        CREATE TABLE live_client_links (
            monitor TEXT NOT NULL,
            observed_at INTEGER NOT NULL,
            activity_id TEXT NOT NULL,
            login_type INTEGER NOT NULL,
            user_name TEXT,
            expire_time INTEGER,
            url_fingerprint TEXT,
            tmp_url_fingerprint TEXT
        );
        CREATE INDEX live_client_links_by_monitor_time ON live_client_links (monitor, observed_at);

        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            rule TEXT NOT NULL,
            monitor TEXT NOT NULL,
            subject TEXT NOT NULL,
            severity TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('firing', 'resolved')),
            started_at INTEGER NOT NULL,
            resolved_at INTEGER,
            last_value REAL,
            message TEXT NOT NULL,
            threshold REAL,
            last_written_at INTEGER NOT NULL
        );
        CREATE UNIQUE INDEX alerts_one_open_episode ON alerts (rule, monitor, subject) WHERE state = 'firing';
        CREATE INDEX alerts_by_time ON alerts (started_at);

        CREATE TABLE monitor_state (
            monitor TEXT PRIMARY KEY,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            last_poll_at INTEGER,
            last_success_at INTEGER
        ) WITHOUT ROWID;

        CREATE TABLE alert_log_outbox (
            id INTEGER PRIMARY KEY,
            line TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        """

    /// Hourly and daily aggregates, updated at insert time with counts and sums so they stay exact.
    static let rollups = """
        CREATE TABLE mr_concurrency_rollups (
            monitor TEXT NOT NULL,
            period TEXT NOT NULL CHECK (period IN ('hour', 'day')),
            bucket_start INTEGER NOT NULL,
            samples INTEGER NOT NULL,
            residual_min INTEGER NOT NULL,
            residual_max INTEGER NOT NULL,
            residual_sum INTEGER NOT NULL,
            used_min INTEGER NOT NULL,
            used_max INTEGER NOT NULL,
            used_sum INTEGER NOT NULL,
            total_max INTEGER NOT NULL,
            PRIMARY KEY (monitor, period, bucket_start)
        ) WITHOUT ROWID;

        CREATE TABLE room_activity_rollups (
            monitor TEXT NOT NULL,
            period TEXT NOT NULL CHECK (period IN ('hour', 'day')),
            bucket_start INTEGER NOT NULL,
            crawls INTEGER NOT NULL,
            rooms_seen_sum INTEGER NOT NULL,
            rooms_seen_max INTEGER NOT NULL,
            live_rooms_sum INTEGER NOT NULL,
            live_rooms_max INTEGER NOT NULL,
            view_count_max INTEGER NOT NULL,
            view_count_sum INTEGER NOT NULL,
            PRIMARY KEY (monitor, period, bucket_start)
        ) WITHOUT ROWID;

        CREATE VIEW mr_concurrency_hourly AS
            SELECT monitor, bucket_start, samples, residual_min, residual_max,
                   CAST(residual_sum AS REAL) / samples AS residual_avg, used_min, used_max,
                   CAST(used_sum AS REAL) / samples AS used_avg, total_max
            FROM mr_concurrency_rollups WHERE period = 'hour';
        CREATE VIEW mr_concurrency_daily AS
            SELECT monitor, bucket_start, samples, residual_min, residual_max,
                   CAST(residual_sum AS REAL) / samples AS residual_avg, used_min, used_max,
                   CAST(used_sum AS REAL) / samples AS used_avg, total_max
            FROM mr_concurrency_rollups WHERE period = 'day';
        CREATE VIEW room_activity_hourly AS
            SELECT monitor, bucket_start, crawls, CAST(rooms_seen_sum AS REAL) / crawls AS rooms_seen_avg, rooms_seen_max,
                   CAST(live_rooms_sum AS REAL) / crawls AS live_rooms_avg, live_rooms_max, view_count_max, view_count_sum
            FROM room_activity_rollups WHERE period = 'hour';
        CREATE VIEW room_activity_daily AS
            SELECT monitor, bucket_start, crawls, CAST(rooms_seen_sum AS REAL) / crawls AS rooms_seen_avg, rooms_seen_max,
                   CAST(live_rooms_sum AS REAL) / crawls AS live_rooms_avg, live_rooms_max, view_count_max, view_count_sum
            FROM room_activity_rollups WHERE period = 'day';

        CREATE INDEX polls_by_time ON polls (started_at);
        CREATE INDEX alerts_by_resolution ON alerts (resolved_at);
        """

    /// Notification outbox and the alert lifecycle (`for`, `keep_firing_for`).
    static let notifications = """
        CREATE TABLE notification_outbox (
            id INTEGER PRIMARY KEY,
            notifier TEXT NOT NULL,
            line TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL,
            last_error TEXT
        );
        CREATE INDEX notification_outbox_by_notifier ON notification_outbox (notifier, id);

        CREATE TABLE notified_alerts (
            notifier TEXT NOT NULL,
            rule TEXT NOT NULL,
            monitor TEXT NOT NULL,
            subject TEXT NOT NULL,
            PRIMARY KEY (notifier, rule, monitor, subject)
        ) WITHOUT ROWID;

        CREATE TABLE notifier_stats (
            notifier TEXT PRIMARY KEY,
            delivered INTEGER NOT NULL DEFAULT 0,
            failed_attempts INTEGER NOT NULL DEFAULT 0,
            given_up INTEGER NOT NULL DEFAULT 0,
            last_delivered_at INTEGER,
            last_failed_at INTEGER,
            last_error TEXT
        ) WITHOUT ROWID;

        CREATE TABLE alert_pending (
            rule TEXT NOT NULL,
            monitor TEXT NOT NULL,
            subject TEXT NOT NULL,
            severity TEXT NOT NULL,
            since INTEGER NOT NULL,
            PRIMARY KEY (rule, monitor, subject)
        ) WITHOUT ROWID;

        ALTER TABLE alerts ADD COLUMN clear_since INTEGER;
        CREATE INDEX alerts_by_key ON alerts (rule, monitor, subject);
        """
}
