import Logging
import ServiceLifecycle
import Synchronization

/// The daemon's services in start order, ready for a `ServiceGroup`.
///
/// `ServiceGroup` starts every service's `run()` at once, as child tasks, and shuts them down one by
/// one in reverse list order. The daemon's parts must also *start* in list order (the monitors'
/// timers are armed before the pruner's, READY is sent once everything runs), so each is wrapped:
/// it waits until the part before it has started, starts, and lets the next one go.
enum ServiceStartOrder {
    /// Group configurations for `services`, started one after another in this order.
    static func configurations(_ services: [any DaemonService]) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        var previous: StartLatch?
        return services.map { service in
            let started = StartLatch()
            let step = Step(service: service, after: previous, started: started)
            previous = started
            return ServiceGroupConfiguration.ServiceConfiguration(service: step, serviceName: service.description)
        }
    }

    /// One service waiting for its turn to start.
    struct Step: Service {
        let service: any DaemonService
        let after: StartLatch?
        let started: StartLatch

        func run() async throws {
            await after?.wait()
            await service.start()
            started.open()
            await service.serve()
            await service.stop()
        }
    }

    /// Opened once a service has started. Every `Step` opens its latch (starting never throws, and
    /// the group runs every service), so a waiter is always resumed.
    final class StartLatch: Sendable {
        private struct State {
            var isOpen = false
            var waiters: [CheckedContinuation<Void, Never>] = []
        }

        private let state = Mutex(State())

        /// Returns once `open()` was called.
        func wait() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.isOpen { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }

        /// Lets every waiter (and every later one) go.
        func open() {
            let waiters = state.withLock { state in
                state.isOpen = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }
}
