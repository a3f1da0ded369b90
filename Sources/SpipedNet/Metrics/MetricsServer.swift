// The `--metrics` endpoint: serves MetricsRegistry's page over HTTP/1.x on a
// thread of its own, with its own non-blocking sockets and poll(2), so
// nothing it does (a slow scraper, a flood of requests) can stall an event
// loop, and its connections never count against -n. Guarantees:
// - At most `maximumClients` requests at once; more are accepted and closed
//   at once (they would otherwise wait in the backlog past their deadline).
// - Each connection has `deadlineNanoseconds` from its accept to read its
//   request and take the whole response; a slower one is cut off. A request
//   head over MetricsRequest.maximumHeadBytes gets 431 and is cut off.
// - One request per connection (the response says `Connection: close`).
// - The listening socket is bound by the front end before it daemonizes (so a
//   bad address is a start-up error, and a privileged port binds before -u);
//   the thread starts after the fork. `stop()` wakes the thread through an
//   eventfd, joins it and closes every socket it owns.
#if canImport(Glibc)
import Glibc
#endif

/// The HTTP server thread behind `--metrics`.
package final class MetricsServer: @unchecked Sendable {
    // @unchecked Sendable: after start() the client state is touched only by
    // the server thread; start() and stop() are called by the owner's thread.

    /// Requests served at the same time, at most.
    static let maximumClients = 16
    /// Time from accept to the end of the response.
    package static let deadlineNanoseconds: UInt64 = 3_000_000_000

    private struct Client {
        enum Phase { case reading, writing }
        let fd: Int32
        let deadline: UInt64
        var phase = Phase.reading
        var request: [UInt8] = []
        var response: [UInt8] = []
        var sent = 0
    }

    private let listener: Int32
    private let registry: MetricsRegistry
    private let wakeFD: Int32
    private var clients: [Client] = []
    private var thread: NativeThread?

    /// Serves `registry` on `listener` (bound, listening) once started.
    /// Nil if the wake-up eventfd cannot be made.
    package init?(listener: Int32, registry: MetricsRegistry) {
        let wake = LinuxCalls.makeEventFD()
        guard wake >= 0 else { return nil }
        self.listener = listener
        self.registry = registry
        self.wakeFD = wake
        SocketCalls.setNonBlocking(listener, true)
    }

    /// Starts the server thread; false if it could not be created.
    package func start() -> Bool {
        guard thread == nil else { return true }
        thread = NativeThread { [self] in run() }
        return thread != nil
    }

    /// Stops the thread, then closes the listener and every connection.
    package func stop() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, MemoryLayout<UInt64>.size)
        thread?.join()
        thread = nil
        for client in clients { SocketCalls.closeDescriptor(client.fd) }
        clients = []
        SocketCalls.closeDescriptor(listener)
        SocketCalls.closeDescriptor(wakeFD)
    }

    // MARK: The server thread

    private func run() {
        var fds: [pollfd] = []
        while true {
            fds.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0))
            fds.append(pollfd(fd: listener, events: Int16(POLLIN), revents: 0))
            for client in clients {
                fds.append(pollfd(fd: client.fd, events: Int16(client.phase == .reading ? POLLIN : POLLOUT), revents: 0))
            }
            let now = MonotonicClock.now()
            let nearest = clients.map(\.deadline).min()
            let timeout: Int32 = nearest.map { Int32(min(($0 &- min($0, now)) / 1_000_000 + 1, 60_000)) } ?? -1
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 && errno != EINTR { return }
            if fds[0].revents != 0 { return }
            // Clients first (their indices match fds[2...]), then new ones.
            var keep: [Client] = []
            for (index, var client) in clients.enumerated() {
                let events = fds[index + 2].revents
                if events != 0 && serve(&client, events: events) == .done {
                    SocketCalls.closeDescriptor(client.fd)
                } else if MonotonicClock.now() >= client.deadline {
                    SocketCalls.closeDescriptor(client.fd)   // too slow: cut off
                } else {
                    keep.append(client)
                }
            }
            clients = keep
            if fds[1].revents != 0 { acceptAll() }
        }
    }

    private func acceptAll() {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { LinuxCalls.acceptNonBlocking(listener, $0, &length) }
            }
            if fd < 0 { return }   // EAGAIN, or a failure that the next readiness retries
            guard clients.count < Self.maximumClients else {
                SocketCalls.closeDescriptor(fd)
                continue
            }
            clients.append(Client(fd: fd, deadline: MonotonicClock.now() &+ Self.deadlineNanoseconds))
        }
    }

    private enum Progress { case more, done }

    /// Reads or writes what the socket allows; `.done` when the connection should close.
    private func serve(_ client: inout Client, events: Int16) -> Progress {
        if client.phase == .reading {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = buffer.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, $0.count, 0) }
            if n < 0 { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? .more : .done }
            if n == 0 { return .done }
            client.request.append(contentsOf: buffer[0..<n])
            let request = MetricsRequest(client.request)
            if request == .incomplete { return .more }
            client.response = request.response(page: registry.render)
            client.request = []
            client.phase = .writing
        }
        while client.sent < client.response.count {
            let n = client.response.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return send(client.fd, base + client.sent, raw.count - client.sent, SocketCalls.sendFlags)
            }
            if n < 0 { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? .more : .done }
            client.sent += n
        }
        _ = shutdown(client.fd, Int32(SHUT_WR))
        return .done
    }
}
