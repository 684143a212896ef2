import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The vendors' APIs on loopback: a real HTTP server (port 0, real port
/// reported) used by the tests and by `livewatch demo`.
public final class VendorSimulator: Sendable {
    /// Polyv's MR concurrency API.
    public let polyv: PolyvSimulation
    /// Tencent Cloud Chat's live room list API.
    public let tencentChat: TencentChatSimulation

    /// Volcengine livesaas: viewing restrictions and start links.
    public let volcengine: VolcengineSimulation

    /// Huawei MetaStudio's live platform listing, behind a simulated API gateway.
    public let metaStudio: MetaStudioSimulation
    /// Requests in flight per path (counted, and held on request).
    public let inFlight = InFlightRequests()
    private let extraAPIs: Mutex<[any SimulatedAPI]>
    private let channel: Mutex<(any Channel)?> = Mutex(nil)

    public init(clock: @escaping @Sendable () -> Date = Date.init) {
        self.polyv = PolyvSimulation(clock: clock)
        self.tencentChat = TencentChatSimulation(clock: clock)

        self.volcengine = VolcengineSimulation(clock: clock)

        self.metaStudio = MetaStudioSimulation(clock: clock)
        self.extraAPIs = Mutex([])
    }

    /// Adds another simulated API (a vendor's) to the router.
    public func register(_ api: any SimulatedAPI) {
        extraAPIs.withLock { $0.append(api) }
    }

    /// Starts listening on `host`; returns the port (a free one when `port` is 0).
    @discardableResult
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> Int {
        let router: @Sendable (SimulatedRequest) -> SimulatedResponse = { [self] request in
            self.route(request)
        }
        let inFlight = self.inFlight
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        SimulatorHTTPHandler(router: router, inFlight: inFlight))
                }
            }
        let bound = try await bootstrap.bind(host: host, port: port).get()
        channel.withLock { $0 = bound }
        return bound.localAddress?.port ?? 0
    }

    /// The base URL clients should use, e.g. `http://127.0.0.1:41234`.
    public var baseURL: String {
        let address = channel.withLock { $0?.localAddress }
        return "http://127.0.0.1:\(address?.port ?? 0)"
    }

    /// The bound port (0 before `start`).
    public var port: Int { channel.withLock { $0?.localAddress?.port ?? 0 } }

    /// Stops listening.
    public func shutdown() async {
        let bound = channel.withLock { channel in
            defer { channel = nil }
            return channel
        }
        try? await bound?.close()
    }

    func route(_ request: SimulatedRequest) -> SimulatedResponse {
        if polyv.matches(request) { return polyv.handle(request) }
        if tencentChat.matches(request) { return tencentChat.handle(request) }

        if volcengine.matches(request) { return volcengine.handle(request) }

        if metaStudio.matches(request) { return metaStudio.handle(request) }
        let apis = extraAPIs.withLock { $0 }
        for api in apis where api.matches(request) {
            return api.handle(request)
        }
        return .json(404, "{\"error\":\"no simulated API at this path\"}")
    }
}

/// Collects one HTTP request and writes the simulated answer.
final class SimulatorHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let router: @Sendable (SimulatedRequest) -> SimulatedResponse
    let inFlight: InFlightRequests
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    /// The path of the request being answered, until its answer is sent.
    private var answering: String?

    init(router: @escaping @Sendable (SimulatedRequest) -> SimulatedResponse, inFlight: InFlightRequests) {
        self.router = router
        self.inFlight = inFlight
    }

    /// The request being answered is done with: answered, or its connection gone.
    private func finishExchange() {
        guard let path = answering else { return }
        answering = nil
        inFlight.end(path: path)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finishExchange()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body.removeAll(keepingCapacity: true)
        case .body(let buffer):
            if body.count < 4 << 20 { body.append(contentsOf: buffer.readableBytesView) }
        case .end:
            guard let head else { return }
            self.head = nil
            let uri = head.uri
            let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            let request = SimulatedRequest(
                method: head.method.rawValue, path: String(parts.first ?? ""),
                rawQuery: parts.count > 1 ? String(parts[1]) : "",
                headers: head.headers.map { ($0.name, $0.value) }, body: body)
            answering = request.path
            inFlight.begin(path: request.path)
            let response = router(request)
            let keepAlive = head.isKeepAlive
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            let held = inFlight.holdIfNeeded(path: request.path) {
                eventLoop.execute {
                    let (handler, context) = bound.value
                    guard context.channel.isActive else { return handler.finishExchange() }
                    handler.respond(response, context: context, keepAlive: keepAlive)
                }
            }
            if !held { respond(response, context: context, keepAlive: keepAlive) }
        }
    }

    private func respond(_ response: SimulatedResponse, context: ChannelHandlerContext, keepAlive: Bool) {
        switch response {
        case .reply(let status, let headers, let body):
            var responseHead = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status))
            for (name, value) in headers { responseHead.headers.add(name: name, value: value) }
            responseHead.headers.replaceOrAdd(name: "Content-Length", value: String(body.count))
            if !keepAlive { responseHead.headers.replaceOrAdd(name: "Connection", value: "close") }
            finishExchange()
            context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive {
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                done.whenComplete { _ in bound.value.close(promise: nil) }
            }
        case .delayed(let seconds, let inner):
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(Int64(seconds * 1_000))) {
                let (handler, context) = bound.value
                guard context.channel.isActive else { return handler.finishExchange() }
                handler.respond(inner, context: context, keepAlive: keepAlive)
            }
        case .reset:
            finishExchange()
            // SO_LINGER with a zero timeout turns close() into a TCP reset.
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            if let provider = context.channel as? any SocketOptionProvider {
                provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in
                    bound.value.close(promise: nil)
                }
            } else {
                context.close(promise: nil)
            }
        case .oversized(let bytes):
            finishExchange()
            var responseHead = HTTPResponseHead(version: .http1_1, status: .ok)
            responseHead.headers.add(name: "Content-Type", value: "application/json")
            // No Content-Length: the client must enforce its limit while reading.
            responseHead.headers.add(name: "Transfer-Encoding", value: "chunked")
            context.writeAndFlush(wrapOutboundOut(.head(responseHead)), promise: nil)
            writeChunks(remaining: bytes, context: context)
        }
    }

    private func writeChunks(remaining: Int, context: ChannelHandlerContext) {
        guard remaining > 0, context.channel.isActive else {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in }
            return
        }
        let size = min(remaining, 64 << 10)
        let chunk = ByteBuffer(repeating: UInt8(ascii: " "), count: size)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(chunk)))).whenComplete { result in
            let (handler, context) = bound.value
            if case .success = result {
                handler.writeChunks(remaining: remaining - size, context: context)
            } else {
                context.close(promise: nil)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
