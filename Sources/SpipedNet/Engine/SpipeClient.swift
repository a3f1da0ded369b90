// spipe: one protocol-client connection whose plaintext end is stdin/stdout.
// Connect (each address in turn, all within -o seconds) and handshake (within
// its own -o seconds) are done on a non-blocking socket with poll(2)
// deadlines, so an unreachable or silent target can never hang spipe. The data
// phase then runs in SpipePump (two threads, blocking I/O), which works with
// any kind of stdin/stdout: pipes, sockets, terminals or regular files.
#if canImport(Glibc)
import Glibc
#endif
import SpipedCrypto
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
        case .failure(let reason):
            log.warning("Could not connect to \(configuration.targetText): \(reason.text)")
            return 1
        }
        let session: SpipeSession
        do {
            session = try handshake(on: socket, configuration)
        } catch {
            log.warning("Handshake failed: \(error.text)")
            SocketCalls.closeDescriptor(socket)
            return 1
        }
        let status = SpipePump.run(socket: socket, session: session, input: input, output: output, log: log)
        SocketCalls.closeDescriptor(socket)
        return status
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
                guard wait(fd, for: Int16(POLLOUT), until: deadline) else {
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

    /// Runs the client handshake on the (non-blocking) socket within the timeout.
    static func handshake(on fd: Int32, _ configuration: SpipeConfiguration) throws(Failure) -> SpipeSession {
        let deadline = MonotonicClock.now() &+ MonotonicClock.nanoseconds(configuration.timeout)
        let handshake: Handshake
        do {
            handshake = try Handshake(role: .client, key: configuration.key, options: configuration.handshake,
                                      random: SystemRandom())
        } catch {
            throw Failure(text: "\(error)")
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var leftover: [UInt8] = []
        while true {
            try sendAll(handshake.pendingOutput(), on: fd, until: deadline)
            if handshake.isComplete { break }
            // Our public value, while the server's nonce is on its way (once; then a no-op).
            handshake.precompute()
            guard wait(fd, for: Int16(POLLIN), until: deadline) else { throw Failure(text: "timed out") }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { throw Failure(text: "connection closed by peer") }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw Failure(text: SocketCalls.errorText(errno))
            }
            var offset = 0
            while offset < n && !handshake.isComplete {
                let used: Int
                do {
                    used = try buffer.withUnsafeBytes { raw throws(HandshakeError) in
                        try handshake.receive(UnsafeRawBufferPointer(rebasing: raw[offset..<n]))
                    }
                } catch let error as HandshakeError {
                    throw Failure(text: describe(error))
                } catch {
                    throw Failure(text: "\(error)")
                }
                if used == 0 { break }
                offset += used
                try sendAll(handshake.pendingOutput(), on: fd, until: deadline)
            }
            if handshake.isComplete {
                leftover = Array(buffer[offset..<n])
                break
            }
        }
        guard let keys = handshake.finish() else { throw Failure(text: "no session keys") }
        return SpipeSession(sealer: keys.sealer, opener: keys.opener, leftover: leftover)
    }

    private static func describe(_ error: HandshakeError) -> String {
        switch error {
        case .badMAC: return "bad MAC (wrong key?)"
        case .publicValueOutOfRange: return "Diffie-Hellman value out of range"
        case .peerNotUsingPFS: return "peer not using perfect forward secrecy (-g)"
        default: return "\(error)"
        }
    }

    private static func sendAll(_ bytes: [UInt8], on fd: Int32, until deadline: UInt64) throws(Failure) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.send(fd, base + sent, raw.count - sent, SocketCalls.sendFlags)
            }
            if n > 0 {
                sent += n
            } else if n < 0 && (errno == EAGAIN || errno == EINTR) {
                guard wait(fd, for: Int16(POLLOUT), until: deadline) else { throw Failure(text: "timed out") }
            } else {
                throw Failure(text: SocketCalls.errorText(errno))
            }
        }
    }

    /// poll(2) for `events` until the deadline; false on timeout or poll failure.
    static func wait(_ fd: Int32, for events: Int16, until deadline: UInt64) -> Bool {
        while true {
            let now = MonotonicClock.now()
            guard now < deadline else { return false }
            let ms = Int32(min((deadline - now + 999_999) / 1_000_000, UInt64(Int32.max)))
            var pfd = pollfd(fd: fd, events: events, revents: 0)
            let rc = poll(&pfd, 1, ms)
            if rc > 0 { return true }
            if rc < 0 && errno != EINTR { return false }
        }
    }
}
