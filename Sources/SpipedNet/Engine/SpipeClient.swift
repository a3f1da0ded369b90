// spipe: one protocol-client connection whose plaintext end is stdin/stdout.
// Connect (each address in turn, all within -o seconds) on a non-blocking
// socket with a poll(2) deadline, so an unreachable target can never hang
// spipe; then SpipeRelay drives the session between the socket and the two
// descriptors until both directions have ended.
#if canImport(Glibc)
import Glibc
#endif
import SpipedProtocol

/// The `spipe` client.
public enum SpipeClient {
    /// Runs spipe on stdin/stdout: 0 when both directions finished cleanly;
    /// 1 after printing `spipe: <message>` on a connect, handshake or transfer failure.
    public static func run(_ configuration: SpipeConfiguration) -> Int32 {
        run(configuration, input: STDIN_FILENO, output: STDOUT_FILENO)
    }

    /// The same with other descriptors as the plaintext end (tests, embedding).
    /// At the end of the incoming stream `output` gets EOF: shutdown(SHUT_WR) if
    /// it is a socket, otherwise it is replaced by /dev/null (closing the original).
    public static func run(_ configuration: SpipeConfiguration, input: Int32, output: Int32) -> Int32 {
        SocketCalls.ignoreSIGPIPE()
        let log = configuration.log
        let socket: Int32
        switch connect(configuration) {
        case .success(let fd):
            socket = fd
        case .failure(let failure):
            log.warning("Could not connect to \(configuration.targetText): \(failure.text)")
            return 1
        }
        defer { SocketCalls.closeDescriptor(socket) }
        let deadline = MonotonicClock.now() &+ MonotonicClock.nanoseconds(configuration.timeout)
        let session = SpipedSession(role: .client, key: configuration.key, options: configuration.handshake,
                                    handshakeDeadline: deadline)
        var relay = SpipeRelay(session: session, socket: socket, input: input, output: output)
        if let message = relay.run() {
            log.warning(message)
            return 1
        }
        return 0
    }

    /// A failure with its message text.
    struct Failure: Error {
        var text: String
    }

    /// Connects to the first address that accepts, within the timeout.
    static func connect(_ configuration: SpipeConfiguration) -> Result<Int32, Failure> {
        let deadline = MonotonicClock.now() &+ MonotonicClock.nanoseconds(configuration.timeout)
        var lastError: Int32 = 0
        for address in configuration.target {
            switch OutgoingSocket.startConnect(to: address, bindAddress: configuration.bindAddress,
                                               keepAlive: configuration.keepAlive) {
            case .connected(let fd):
                return .success(fd)
            case .failed(let code):
                lastError = code
            case .inProgress(let fd):
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                guard PollWait.until(deadline, &pfd, 1) > 0 else {
                    SocketCalls.closeDescriptor(fd)
                    return .failure(Failure(text: "Connection timed out (-o)"))
                }
                let code = SocketCalls.pendingError(fd)
                if code == 0 { return .success(fd) }
                lastError = code
                SocketCalls.closeDescriptor(fd)
            }
        }
        return .failure(Failure(text: lastError == 0 ? "no addresses" : SocketCalls.errorText(lastError)))
    }
}

/// poll(2) with a deadline on the monotonic clock.
enum PollWait {
    /// Polls until something is ready or `deadline` (nil: no deadline) passes;
    /// returns poll's count (0 at the deadline, -1 on a failure other than EINTR).
    static func until(_ deadline: UInt64?, _ fds: UnsafeMutablePointer<pollfd>, _ count: Int) -> Int32 {
        while true {
            var ms: Int32 = -1
            if let deadline {
                let now = MonotonicClock.now()
                guard now < deadline else { return 0 }
                ms = Int32(min((deadline - now + 999_999) / 1_000_000, UInt64(Int32.max)))
            }
            let rc = poll(fds, nfds_t(count), ms)
            if rc >= 0 || errno != EINTR { return rc }
        }
    }
}
