/// The metrics and health listener as a daemon service, first in the start order: it is bound
/// before the database opens (so `/-/healthy` answers and `/-/ready` says 503 meanwhile), and, stopped
/// last of the services, it answers until the rest has stopped.
struct MetricsService: DaemonService {
    let server: MetricsServer

    var description: String { "metrics listener" }

    func start() async {}

    func stop() async {
        await server.close()
    }
}

/// `/-/ready`'s switch, last in the start order: ready once every other part runs (the database open,
/// every monitor scheduled); stopped first, so the daemon is not ready from the moment it starts stopping.
struct ReadinessService: DaemonService {
    let metrics: LiveWatchMetrics

    var description: String { "readiness" }

    func start() async {
        metrics.setReady(true)
    }

    func stop() async {
        metrics.setReady(false)
    }
}
