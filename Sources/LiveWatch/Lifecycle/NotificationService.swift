/// The notification sender as a service: its timer armed at start (a first pass at once when
/// notifiers are configured); at stop its pass in flight and one last pass, bounded by `shutdown_timeout`.
struct NotificationService: DaemonService {
    let sender: NotificationSender
    /// The running `shutdown_timeout` (SIGHUP may change it).
    let shutdownTimeout: @Sendable () -> Double

    var description: String { "notification sender" }

    func start() async {
        sender.start()
    }

    func stop() async {
        await sender.stop(deadline: shutdownTimeout())
    }
}
