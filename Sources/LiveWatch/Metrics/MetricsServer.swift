import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The HTTP listener of `daemon.listen` (SwiftNIO HTTP/1.1): `GET /metrics`, `/-/healthy` and
/// `/-/ready`, on the process-wide NIO event loops, apart from the polls and the database.
///
/// Every client is hostile: a request's head and body together may hold `maximumRequestBytes`
/// (beyond, the connection is closed without reading on), a request must arrive whole within
/// `requestDeadline`, a connection idle for `idleTimeout` is closed, and at most
/// `maximumConnections` are open at once (more are closed at accept).
public final class MetricsServer: Sendable {
    static let maximumRequestBytes = 16 * 1024
    static let requestDeadline = TimeAmount.seconds(10)
    static let idleTimeout = TimeAmount.seconds(120)
    static let maximumConnections = 64

    private let channel: any Channel
    /// The bound port (the real one when the configuration asked for 0).
    public let port: Int

    private init(channel: any Channel) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
    }

    /// Binds `address`; throws `MetricsListenerError` when it cannot (port in use, unknown host).
    public static func bind(_ address: ListenAddress, metrics: LiveWatchMetrics) async throws -> MetricsServer {
        let connections = ConnectionCount()
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                guard connections.open() else {
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in connections.close() }
                return channel.eventLoop.makeCompletedFuture {
                    let limit = RequestLimit()
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(IdleStateHandler(readTimeout: MetricsServer.idleTimeout))
                    try sync.addHandler(limit)
                    try sync.configureHTTPServerPipeline(withErrorHandling: true)
                    try sync.addHandler(MetricsHTTPHandler(metrics: metrics, limit: limit))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: address.host, port: address.port).get()
            return MetricsServer(channel: channel)
        } catch {
            throw MetricsListenerError(address: address, reason: "\(error)")
        }
    }

    /// Stops accepting; open connections are closed with it.
    public func close() async {
        try? await channel.close()
    }
}

/// The listener could not bind its address.
public struct MetricsListenerError: Error, CustomStringConvertible {
    public let address: ListenAddress
    public let reason: String

    public var description: String { "daemon.listen: cannot listen on \(address): \(reason)" }
}

/// Open connections, bounded.
final class ConnectionCount: Sendable {
    private let count = Atomic<Int>(0)

    /// True when one more may open (it is then counted).
    func open() -> Bool {
        let now = count.wrappingAdd(1, ordering: .relaxed).newValue
        if now > MetricsServer.maximumConnections {
            count.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func close() {
        count.wrappingSubtract(1, ordering: .relaxed)
    }
}

/// Counts the bytes of the request being read and closes the connection when it grows past
/// `MetricsServer.maximumRequestBytes`, takes longer than `requestDeadline`, or the connection idles.
final class RequestLimit: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var pending = 0
    private var deadline: Scheduled<Void>?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data).readableBytes
        if pending == 0, bytes > 0, deadline == nil {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            deadline = context.eventLoop.scheduleTask(in: MetricsServer.requestDeadline) {
                bound.value.close(promise: nil)
            }
        }
        pending += bytes
        guard pending <= MetricsServer.maximumRequestBytes else {
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(data)
    }

    /// A request was read whole: the next one starts from nothing.
    func requestFinished() {
        pending = 0
        deadline?.cancel()
        deadline = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }
}

/// Answers one request at a time from the metrics registry and the daemon's readiness.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    let metrics: LiveWatchMetrics
    let limit: RequestLimit
    private var head: HTTPRequestHead?

    init(metrics: LiveWatchMetrics, limit: RequestLimit) {
        self.metrics = metrics
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
        case .body:
            break // A body means nothing here; `RequestLimit` bounds it.
        case .end:
            limit.requestFinished()
            guard let head else { return }
            self.head = nil
            respond(to: head, context: context)
        }
    }

    /// The status, content type and body for a request (the body is left out for HEAD).
    static func answer(method: HTTPMethod, uri: String, metrics: LiveWatchMetrics) -> (
        HTTPResponseStatus, String, [UInt8]
    ) {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let text = "text/plain; charset=utf-8"
        guard method == .GET || method == .HEAD else {
            return (.methodNotAllowed, text, Array("Only GET and HEAD.\n".utf8))
        }
        switch path {
        case "/metrics":
            return (.ok, contentType, metrics.exposition())
        case "/-/healthy":
            return (.ok, text, Array("livewatch is healthy.\n".utf8))
        case "/-/ready":
            return metrics.isReady
                ? (.ok, text, Array("livewatch is ready.\n".utf8))
                : (.serviceUnavailable, text, Array("livewatch is not ready.\n".utf8))
        default:
            return (.notFound, text, Array("Not found. Try /metrics.\n".utf8))
        }
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let (status, type, body) = Self.answer(method: request.method, uri: request.uri, metrics: metrics)
        let keepAlive = request.isKeepAlive
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: String(body.count))
        if status == .methodNotAllowed { headers.add(name: "Allow", value: "GET, HEAD") }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))),
            promise: nil)
        if request.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { bound.value.close(promise: nil) }
        }
    }
}
