import ServiceLifecycle

/// SIGHUP as a service, started last and stopped first: each request reloads the configuration
/// (`ConfigurationReloader`); once the group shuts down, no more reloads happen.
struct ReloadService: DaemonService {
    let requests: AsyncStream<Void>
    let reloader: ConfigurationReloader

    var description: String { "configuration reloader" }

    func start() async {}

    func serve() async {
        for await _ in requests.cancelOnGracefulShutdown() {
            reloader.reload()
        }
        // Requests that end early must not end the service (the group would take it for a failure).
        try? await gracefulShutdown()
    }

    func stop() async {}
}
