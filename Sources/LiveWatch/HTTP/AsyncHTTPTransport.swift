import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The production transport: AsyncHTTPClient on the shared event loop group,
/// no redirects, a deadline per request, and a cap on the response body that
/// is enforced while reading, so an oversized body is never held whole.
public final class AsyncHTTPTransport: HTTPTransport {
    /// The version sent in `User-Agent: livewatch/<version>`.
    public static let userAgent = "livewatch/\(LiveWatchVersion.current)"

    private let client: HTTPClient
    /// The largest body accepted, in bytes.
    public let maximumBodyBytes: Int

    public init(maximumBodyBytes: Int = 8 << 20) {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(10), read: .seconds(60))
        configuration.decompression = .disabled
        configuration.connectionPool = HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(50))
        // No request spans: livewatch bootstraps no tracer, and AsyncHTTPClient's default (the global no-op
        // tracer) still builds a span and its attributes for every request, 2.9 % of the steady daemon's CPU.
        configuration.tracing.tracer = nil
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.maximumBodyBytes = maximumBodyBytes
    }

    /// Whether the client opens a tracing span per request (never: see `init`).
    var tracesRequests: Bool { client.tracer != nil }

    /// Closes the client's connections; await it before the process exits.
    public func shutdown() async {
        try? await client.shutdown()
    }

    public func perform(_ outgoing: OutgoingRequest) async throws(HTTPTransportError) -> IncomingResponse {
        // A header value with a control character (a secret read with its line break) is refused here,
        // by name: AsyncHTTPClient's own error would carry the value itself.
        if let name = Self.firstInvalidHeader(outgoing.headers) { throw .invalidHeader(name: name) }
        var headers = HTTPHeaders()
        headers.add(name: "User-Agent", value: Self.userAgent)
        for (name, value) in outgoing.headers {
            headers.replaceOrAdd(name: name, value: value)
        }
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(
                url: outgoing.url, method: HTTPMethod(rawValue: outgoing.method), headers: headers,
                body: outgoing.body.map { .bytes($0) })
        } catch {
            throw .invalidURL
        }
        let timeout = TimeAmount.milliseconds(max(1, Seconds.milliseconds(outgoing.timeout)))
        let deadline = NIODeadline.now() + timeout
        // The delegate API rather than the async one: the async one starts a task of its own per request on
        // Swift's thread pool (to register for cancellation), a thread hop each way for every page of a crawl.
        let task = client.execute(
            request: request, delegate: CappedResponse(limit: maximumBodyBytes), deadline: deadline)
        do {
            return try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
        } catch let error as HTTPTransportError {
            throw error
        } catch is CancellationError {
            throw .cancelled
        } catch let error as HTTPClientError {
            if Task.isCancelled { throw .cancelled }
            throw Self.map(error, timeout: outgoing.timeout)
        } catch {
            if NIODeadline.now() >= deadline { throw .timedOut(seconds: outgoing.timeout) }
            throw .connectionFailed(Self.describe(error))
        }
    }

    static func map(_ error: HTTPClientError, timeout: Double) -> HTTPTransportError {
        switch error {
        case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
            return .timedOut(seconds: timeout)
        case .invalidURL, .emptyHost, .emptyScheme:
            return .invalidURL
        case .cancelled:
            return .cancelled
        case .remoteConnectionClosed:
            return .connectionFailed("the server closed the connection")
        default:
            return .connectionFailed(error.shortDescription)
        }
    }

    /// The name of the first header whose name or value HTTP forbids (a control character other than
    /// a tab in the value; anything but a token character in the name), or nil.
    static func firstInvalidHeader(_ headers: [(String, String)]) -> String? {
        for (name, value) in headers {
            let nameIsToken =
                !name.isEmpty
                && name.utf8.allSatisfy { byte in
                    byte > 0x20 && byte < 0x7F && !"\"(),/:;<=>?@[\\]{}".utf8.contains(byte)
                }
            guard nameIsToken else { return "(unnamed)" }
            if value.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) { return name }
        }
        return nil
    }

    /// A short description of a lower-level error, built only from what is known to hold no
    /// request data: an errno, a fixed case name, a host and port. Errors of other types are
    /// named by their type, never by their description (which may quote a header value or URL).
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError:
            return error.shortDescription
        case let error as IOError:
            return "\(String(cString: strerror(error.errnoCode))) (errno \(error.errnoCode))"
        case let error as NIOConnectionError:
            let cause = error.connectionErrors.first.map { ": " + describe($0.error) } ?? ""
            return "cannot connect to port \(error.port)" + cause
        case let error as ChannelError:
            return "channel error \(Self.caseName(of: error))"
        default:
            return String(describing: type(of: error))
        }
    }

    /// The name of an enum case without its associated values.
    static func caseName(of value: some Any) -> String {
        let text = String(describing: value)
        return String(text.prefix { $0 != "(" }.prefix(80)).trimmingCharacters(in: .whitespaces)
    }
}

/// Collects one response on its event loop, refusing a body over `limit` bytes as soon as it is announced
/// (`Content-Length`) or exceeded, so an oversized body is never held whole.
private final class CappedResponse: HTTPClientResponseDelegate, @unchecked Sendable {
    // @unchecked: AsyncHTTPClient calls a delegate on the request's event loop only, one call at a time.
    typealias Response = IncomingResponse

    private let limit: Int
    private var status = 0
    private var headers: [(String, String)] = []
    private var body: [UInt8] = []

    init(limit: Int) {
        self.limit = limit
    }

    func didReceiveHead(task: HTTPClient.Task<IncomingResponse>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        status = Int(head.status.code)
        headers = head.headers.map { ($0.name, $0.value) }
        if let length = head.headers.first(name: "Content-Length").flatMap(Int.init), length > limit {
            return task.eventLoop.makeFailedFuture(HTTPTransportError.bodyTooLarge(limit: limit))
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<IncomingResponse>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        guard body.count + buffer.readableBytes <= limit else {
            return task.eventLoop.makeFailedFuture(HTTPTransportError.bodyTooLarge(limit: limit))
        }
        body.append(contentsOf: buffer.readableBytesView)
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<IncomingResponse>) throws -> IncomingResponse {
        IncomingResponse(status: status, headers: headers, body: body)
    }
}
