import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The floor the benchmarks compare livewatch with: the same requests made by the least a Swift program can do,
/// a SwiftNIO HTTP/1.1 client on one event loop and one keep-alive connection, paced on the loop's own timer,
/// that sends each request, receives the answer and discards it (a crawl only finds `Next` in it, by a byte
/// search). No Swift concurrency, no Foundation, no decoding, no storing: what is left is the kernel, the
/// sockets and NIO.
enum NIOFloor {
    /// One request to send: POST with a JSON body.
    struct Request: Sendable {
        var path: String
        var body: String
    }

    /// What the floor's run took.
    struct Figures {
        var requests = 0
        var cpu = 0.0
        var wall = 0.0
        var contextSwitches = 0
        var failed = false
    }

    /// Sends requests to `host:port` one after another, the k-th no earlier than `k * spacing` seconds after the
    /// first; `next` gives each request from the previous answer's body (nil before the first) and ends the run
    /// by returning nil.
    static func run(
        host: String, port: Int, spacing: Double,
        next: @escaping @Sendable (_ previous: ByteBuffer?, _ sent: Int) -> Request?
    ) throws -> Figures {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let done = loop.makePromise(of: Int.self)
        let cpuBefore = processCPUSeconds()
        let switchesBefore = processContextSwitches()
        let started = Date()
        let channel = try ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        FloorHandler(host: "\(host):\(port)", spacing: spacing, next: next, done: done))
                }
            }
            .connect(host: host, port: port).wait()
        let count = try done.futureResult.wait()
        var figures = Figures()
        figures.wall = Date().timeIntervalSince(started)
        figures.cpu = processCPUSeconds() - cpuBefore
        figures.contextSwitches = processContextSwitches() - switchesBefore
        figures.requests = count
        try? channel.close().wait()
        return figures
    }
}

/// The floor's whole client: writes a request, collects the answer, schedules the next one.
private final class FloorHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let host: String
    private let spacing: TimeAmount
    private let next: @Sendable (ByteBuffer?, Int) -> NIOFloor.Request?
    private let done: EventLoopPromise<Int>
    private var body: ByteBuffer?
    private var sent = 0
    private var firstStart = NIODeadline.now()

    init(
        host: String, spacing: Double, next: @escaping @Sendable (ByteBuffer?, Int) -> NIOFloor.Request?,
        done: EventLoopPromise<Int>
    ) {
        self.host = host
        self.spacing = .nanoseconds(Int64(spacing * 1e9))
        self.next = next
        self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        firstStart = .now()
        send(next(nil, 0), context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            body = nil
        case .body(var part):
            if body == nil { body = part } else { body?.writeBuffer(&part) }
        case .end:
            guard let request = next(body, sent) else {
                done.succeed(sent)
                return
            }
            let slot = firstStart + TimeAmount.nanoseconds(spacing.nanoseconds * Int64(sent))
            if slot <= .now() {
                send(request, context: context)
            } else {
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.assumeIsolated().scheduleTask(deadline: slot) {
                    bound.value.0.send(request, context: bound.value.1)
                }
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        done.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        done.fail(ChannelError.ioOnClosedChannel)
    }

    private func send(_ request: NIOFloor.Request?, context: ChannelHandlerContext) {
        guard let request else {
            done.succeed(sent)
            return
        }
        sent += 1
        let bytes = context.channel.allocator.buffer(string: request.body)
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: request.path)
        head.headers.add(name: "Host", value: host)
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: String(bytes.readableBytes))
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

/// The `Next` cursor of a Tencent Chat room-list answer, found by a byte search (the floor does not decode).
func tencentNextCursor(in body: ByteBuffer?) -> String? {
    guard let body else { return nil }
    let marker = Array(#""Next":""#.utf8)
    return body.withUnsafeReadableBytes { bytes -> String? in
        guard bytes.count > marker.count else { return nil }
        var index = 0
        while index + marker.count <= bytes.count {
            if bytes[index] == marker[0] && marker.indices.allSatisfy({ bytes[index + $0] == marker[$0] }) {
                let start = index + marker.count
                guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
                return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            }
            index += 1
        }
        return nil
    }
}
