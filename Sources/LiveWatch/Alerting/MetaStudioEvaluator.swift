import Foundation

/// The alerts of a MetaStudio monitor, per platform (subject = platform_id):
///
/// - `platform_authorization_expiring`: warning when `expire_time - now <= expiry_warning`,
///   critical within `expiry_critical` (or already expired); resolves when the expiry moves
///   out of the window or the platform no longer has an expiry. An unreadable expiry says nothing.
/// - `platform_unauthorized`: critical while `authorize_state` is not `AUTHORIZED`; a platform
///   without `authorization_info` says nothing.
/// - A platform that left the listing resolves its open alerts, saying so.
/// - Notices, compared with the monitor's latest stored listing (none for a platform's first
///   observation): `platform_config_changed` when the auth key fingerprint (warning) or the
///   callback URLs (info) change; `platform_callback_insecure` (warning) when a callback URL that
///   is not HTTPS appears, including at a platform's first observation, since it needs no
///   previous state to be wrong.
public struct MetaStudioEvaluator: AlertEvaluator {
    /// The monitor's name (the alerts' `monitor`).
    public let monitor: String
    /// Seconds before expiry at which the warning fires.
    public let expiryWarning: Double
    /// Seconds before expiry at which it becomes critical.
    public let expiryCritical: Double

    /// Change notices compare with the monitor's previous listing.
    public var comparesWithPrevious: Bool { true }
    /// A platform that left the listing resolves its open alerts of these rules.
    public var rulesResolvingVanishedSubjects: [AlertRule] { [.platformAuthorizationExpiring, .platformUnauthorized] }

    /// Conditions for every listed platform and every open alert of a platform no longer listed, and notices.
    public func evaluate(_ report: PollReport, previous: Observation?, openSubjects: [AlertRule: [String]])
        -> AlertEvaluation
    {
        // A failed poll says nothing about any platform: every alert stays as it is.
        guard case .observed(.livePlatforms(let listing)) = report.outcome else { return AlertEvaluation() }
        let now = report.finishedAt
        var before: [String: LivePlatform] = [:]
        if case .livePlatforms(let previousListing)? = previous {
            before = Dictionary(
                previousListing.platforms.map { ($0.platformID, $0) }, uniquingKeysWith: { _, last in last })
        }
        var evaluation = AlertEvaluation()
        var listed = Set<String>()
        for platform in listing.platforms {
            listed.insert(platform.platformID)
            evaluation.conditions.append(
                (key(.platformAuthorizationExpiring, platform), expiryCondition(platform, now: now)))
            evaluation.conditions.append((key(.platformUnauthorized, platform), authorizationCondition(platform)))
            evaluation.notices += notices(for: platform, previous: before[platform.platformID])
        }
        for rule in rulesResolvingVanishedSubjects {
            for subject in openSubjects[rule] ?? [] where !listed.contains(subject) {
                let display = before[subject]?.displayName ?? subject
                evaluation.conditions.append(
                    (
                        AlertKey(rule: rule, monitor: monitor, subject: subject),
                        .clear(
                            message:
                                "MetaStudio platform \(display) is no longer listed by the project, so its alert is resolved",
                            value: nil)
                    ))
            }
        }
        return evaluation
    }

    func key(_ rule: AlertRule, _ platform: LivePlatform) -> AlertKey {
        AlertKey(rule: rule, monitor: monitor, subject: platform.platformID)
    }

    /// `platform_authorization_expiring` for one platform at `now`.
    public func expiryCondition(_ platform: LivePlatform, now: Date) -> AlertCondition {
        let subject = "MetaStudio platform \(platform.displayName) authorization"
        switch platform.expireTime {
        case .unreadable:
            return .unknown
        case .absent:
            return .clear(message: "\(subject) no longer has an expiry time", value: nil)
        case .parsed(let expiry):
            let remaining = expiry.timeIntervalSince(now).rounded(.down)
            let when = "\(Self.relative(remaining)) (\(AlertLine.rfc3339(expiry)))"
            if remaining <= expiryCritical {
                return .firing(
                    severity: .critical, message: "\(subject) \(when)", value: remaining, threshold: expiryCritical)
            }
            if remaining <= expiryWarning {
                return .firing(
                    severity: .warning, message: "\(subject) \(when)", value: remaining, threshold: expiryWarning)
            }
            return .clear(
                message: "\(subject) now expires \(AlertLine.rfc3339(expiry)), in \(Self.span(remaining))",
                value: remaining)
        }
    }

    /// `platform_unauthorized` for one platform.
    public func authorizationCondition(_ platform: LivePlatform) -> AlertCondition {
        guard let state = platform.authorizeState else { return .unknown }
        if state == "AUTHORIZED" {
            return .clear(message: "MetaStudio platform \(platform.displayName) is authorized again", value: nil)
        }
        return .firing(
            severity: .critical,
            message:
                "MetaStudio platform \(platform.displayName) is not authorized (authorize_state \(state.isEmpty ? "empty" : state))",
            value: nil, threshold: nil)
    }

    /// Change and insecure-callback notices for one platform, given what the previous listing said of it.
    func notices(for platform: LivePlatform, previous: LivePlatform?) -> [AlertNotice] {
        var notices: [AlertNotice] = []
        let name = "MetaStudio platform \(platform.displayName)"
        // Callbacks the previous listing did not record say nothing: as at a platform's first observation.
        let previousCallbacks = previous.flatMap { $0.callbacksKnown ? $0.callbacks : nil }
        let callbacksUnchanged = previousCallbacks == platform.callbacks
        let insecure = platform.callbacks.filter { !$0.isHTTPS }
        if !insecure.isEmpty, !callbacksUnchanged,
            previousCallbacks == nil || insecure != (previousCallbacks ?? []).filter({ !$0.isHTTPS })
        {
            let list = insecure.map { "\($0.apiType) \(URLRedaction.redact($0.url))" }.joined(separator: ", ")
            notices.append(
                AlertNotice(
                    key: key(.platformCallbackInsecure, platform), severity: .warning,
                    message: "\(name) has a callback URL that is not HTTPS, which MetaStudio does not support: \(list)")
            )
        }
        guard let previous else { return notices }
        if previous.authKeyFingerprint != platform.authKeyFingerprint {
            let message: String
            switch (previous.authKeyFingerprint, platform.authKeyFingerprint) {
            case (nil, let new?): message = "\(name) auth key was set (\(new))"
            case (let old?, nil): message = "\(name) auth key was removed (was \(old))"
            default:
                message =
                    "\(name) auth key changed (\(previous.authKeyFingerprint ?? "") → \(platform.authKeyFingerprint ?? ""))"
            }
            notices.append(
                AlertNotice(key: key(.platformConfigChanged, platform), severity: .warning, message: message))
        }
        if !callbacksUnchanged, let old = previousCallbacks, old != platform.callbacks {
            notices.append(
                AlertNotice(
                    key: key(.platformConfigChanged, platform), severity: .info,
                    message: "\(name) callback URLs changed: " + Self.describeChange(from: old, to: platform.callbacks))
            )
        }
        return notices
    }

    /// `LIVE_EVENT_CALLBACK https://a → https://b; PRODUCT_QUERY removed (https://c)`.
    static func describeChange(from old: [PlatformCallback], to new: [PlatformCallback]) -> String {
        let types = Set(old.map(\.apiType)).union(new.map(\.apiType)).sorted()
        var parts: [String] = []
        for type in types {
            let rawBefore = old.filter { $0.apiType == type }.map(\.url)
            let rawAfter = new.filter { $0.apiType == type }.map(\.url)
            guard rawBefore != rawAfter else { continue }
            // Query values and user-info may be credentials: they are shown redacted.
            let before = rawBefore.map(URLRedaction.redact)
            let after = rawAfter.map(URLRedaction.redact)
            let label = type.isEmpty ? "(no api_type)" : type
            if before.isEmpty {
                parts.append("\(label) added (\(after.joined(separator: ", ")))")
            } else if after.isEmpty {
                parts.append("\(label) removed (was \(before.joined(separator: ", ")))")
            } else {
                parts.append("\(label) \(before.joined(separator: ", ")) → \(after.joined(separator: ", "))")
            }
        }
        return parts.joined(separator: "; ")
    }

    /// `expires in 12h`, `expires in 1d6h`, `expired 2h ago`.
    static func relative(_ seconds: Double) -> String {
        seconds < 0 ? "expired \(span(seconds)) ago" : "expires in \(span(seconds))"
    }

    /// The length of `seconds` (sign ignored), rounded to the hour above a day, to the minute above an hour: `1d6h`.
    static func span(_ seconds: Double) -> String {
        let magnitude = abs(seconds)
        let step: Double = magnitude >= 86_400 ? 3_600 : (magnitude >= 3_600 ? 60 : 1)
        return DurationParser.format((magnitude / step).rounded() * step)
    }
}
