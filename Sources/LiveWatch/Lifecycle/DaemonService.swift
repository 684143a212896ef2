import ServiceLifecycle

/// One part of the running daemon, run by its `ServiceGroup`: a quick `start` (arming its
/// timers), then `serve` until the group's graceful shutdown, then a `stop` bounded by the part itself.
///
/// The group starts the parts in list order and stops them in reverse (see `ServiceStartOrder`).
protocol DaemonService: Service, CustomStringConvertible {
    /// Arms the part; returns once it runs.
    func start() async
    /// Runs until graceful shutdown (or cancellation); most parts only wait.
    func serve() async
    /// Stops the part; returns once it has stopped (each part bounds its own wait).
    func stop() async
}

extension DaemonService {
    /// Waits for the group's graceful shutdown; a cancelled task stops waiting too.
    func serve() async {
        try? await gracefulShutdown()
    }

    /// Started, served and stopped on its own (outside `ServiceStartOrder`).
    func run() async throws {
        await start()
        await serve()
        await stop()
    }
}
