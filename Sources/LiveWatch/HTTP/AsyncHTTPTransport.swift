import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

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
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.maximumBodyBytes = maximumBodyBytes
    }

    /// Closes the client's connections; await it before the process exits.
    public func shutdown() async {
        try? await client.shutdown()
    }

    public func perform(_ outgoing: OutgoingRequest) async throws(HTTPTransportError) -> IncomingResponse {
        var request = HTTPClientRequest(url: outgoing.url)
        request.method = HTTPMethod(rawValue: outgoing.method)
        request.headers.add(name: "User-Agent", value: Self.userAgent)
        for (name, value) in outgoing.headers {
            request.headers.replaceOrAdd(name: name, value: value)
        }
        if let body = outgoing.body {
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let timeout = TimeAmount.milliseconds(Int64(max(1, outgoing.timeout * 1_000)))
        let deadline = NIODeadline.now() + timeout
        do {
            let response = try await client.execute(request, deadline: deadline)
            if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > maximumBodyBytes {
                throw HTTPTransportError.bodyTooLarge(limit: maximumBodyBytes)
            }
            let buffer = try await response.body.collect(upTo: maximumBodyBytes)
            let headers = response.headers.map { ($0.name, $0.value) }
            return IncomingResponse(status: Int(response.status.code), headers: headers, body: Array(buffer.readableBytesView))
        } catch let error as HTTPTransportError {
            throw error
        } catch is NIOTooManyBytesError {
            throw .bodyTooLarge(limit: maximumBodyBytes)
        } catch is CancellationError {
            throw .cancelled
        } catch let error as HTTPClientError {
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
            return .connectionFailed(Self.describe(error))
        }
    }

    /// A short description of a lower-level error. These come from NIO and
    /// name an errno or a TLS failure, never the request URL.
    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        let firstLine = text.split(separator: "\n").first.map(String.init) ?? text
        return String(firstLine.prefix(160))
    }
}
