import ArgumentParser
import Foundation
import LiveWatch

/// `livewatch link`: fetches a fresh Volcengine start link and prints it, and
/// nothing else, to standard output, for the operator to hand to the host.
/// Nothing is stored or logged: the link logs in without a password.
struct LinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "Fetch a Volcengine live room's start link (GetDownloadLiveClient) and print it to standard output.",
        discussion: """
            Prints the permanent Url alone on standard output (the host's one-click start link, or with --guest \
            that guest's login link). --temporary prints the host's TmpUrl instead, and its expiry on standard \
            error. The link logs in without a password: hand it over privately. Nothing is stored.
            Exit status: 0 printed; 1 the vendor call failed; 2 bad configuration or arguments.
            """)

    @OptionGroup var options: ConfigOption

    @Option(name: .long, help: "The volcengine monitor whose account to use (optional when there is only one).")
    var monitor: String?

    @Option(name: .long, help: "The activity (live room) id.")
    var activity: Int64

    @Option(name: .long, help: "A guest's name (1-15 characters): that guest's link instead of the host's.")
    var guest: String?

    @Flag(name: .long, help: "The host's temporary link (TmpUrl) instead of the permanent Url.")
    var temporary = false

    func run() async throws {
        let configuration = try options.load()
        let monitors = configuration.monitors.compactMap { monitor -> VolcengineMonitorConfiguration? in
            if case .volcengine(let volcengine) = monitor { return volcengine }
            return nil
        }
        let selected: VolcengineMonitorConfiguration
        if let monitor {
            guard let match = monitors.first(where: { $0.name == monitor }) else {
                Console.error("error: --monitor \(monitor): no volcengine monitor of that name in \(options.path)")
                throw ExitCode(2)
            }
            selected = match
        } else {
            guard monitors.count == 1, let only = monitors.first else {
                Console.error(
                    monitors.isEmpty
                        ? "error: \(options.path) has no volcengine monitor"
                        : "error: \(options.path) has \(monitors.count) volcengine monitors: name one with --monitor")
                throw ExitCode(2)
            }
            selected = only
        }
        guard activity > 0 else {
            Console.error("error: --activity must be a positive activity id")
            throw ExitCode(2)
        }
        if let guest, !StartLinkKind.isValidGuestName(guest) {
            Console.error("error: --guest must be 1-15 characters (got \(guest.count))")
            throw ExitCode(2)
        }
        if temporary, guest != nil {
            Console.error("error: --temporary: only the host's link has a temporary form")
            throw ExitCode(2)
        }

        let result = await StartLinkFetcher(configuration: selected)
            .fetch(activityID: activity, kind: guest.map(StartLinkKind.guest) ?? .host)
        switch result {
        case .failure(let failure):
            Console.error("error: \(selected.name): \(failure)")
            throw ExitCode(1)
        case .success(let link):
            var printed = link.url
            if temporary {
                guard let temporaryURL = link.temporaryURL else {
                    Console.error("error: \(selected.name): Volcengine returned no TmpUrl for activity \(activity)")
                    throw ExitCode(1)
                }
                printed = temporaryURL
                if let expireTime = link.expireTime {
                    Console.error(
                        "the temporary link expires at \(AlertLine.rfc3339(Date(timeIntervalSince1970: TimeInterval(expireTime))))"
                    )
                }
            }
            // Alone on its line for `| xclip`; a control character from the vendor is shown, not sent.
            Console.line(printed.reveal())
        }
    }
}
