// spipe's relay: the session between the connected socket and the plaintext
// descriptors (stdin/stdout, or any pair), driven by one thread with poll(2),
// so it works with every kind of descriptor (pipes, sockets, terminals,
// regular files, which poll reports always ready):
// 1. socket -> session -> output: handshake bytes and packets go to the
//    session; the plaintext it opens is written to `output` (blocking: a slow
//    reader of our output holds back what we read from the peer);
// 2. input -> session -> socket: read only while the session can seal and
//    nothing is waiting for the socket (back-pressure), sealed in one call,
//    sent without blocking; the tail waits for POLLOUT;
// 3. end of input -> shutdown(SHUT_WR) on the socket once flushed; end of the
//    socket stream -> `output` gets EOF; both done -> success.
// The first failure ends the run with one message (the reference's wording);
// the handshake's -o deadline is the session's.
#if canImport(Glibc)
import Glibc
#endif
import SpipedProtocol

/// One spipe connection's data flow, until both directions end or one fails.
struct SpipeRelay {
    private let session: SpipedSession
    private let socket: Int32
    private let input: Int32
    private let output: Int32
    private let buffers = LoopBuffers()
    private var toPeer = PendingOutput()
    private var inputState = InputState.open
    private var peerState = InputState.open
    private var socketOutput = OutputState.open

    init(session: SpipedSession, socket: Int32, input: Int32, output: Int32) {
        self.session = session
        self.socket = socket
        self.input = input
        self.output = output
    }

    /// Runs to the end; nil on success, else the message to print.
    mutating func run() -> String? {
        defer { toPeer.release(buffers) }
        if let failure = sessionFailure() { return failure }
        if let failure = sendPeerOutput() { return failure }
        session.precompute()
        while !(peerState == .ended && inputState == .ended && socketOutput == .shut) {
            var fds = (pollfd(fd: socket, events: 0, revents: 0), pollfd(fd: input, events: 0, revents: 0))
            if peerState == .open { fds.0.events |= Int16(POLLIN) }
            if !toPeer.isEmpty { fds.0.events |= Int16(POLLOUT) }
            let readInput = session.canSeal && inputState == .open && toPeer.isEmpty
            if readInput { fds.1.events = Int16(POLLIN) }
            let rc = withUnsafeMutableBytes(of: &fds) { raw in
                PollWait.until(session.nextDeadline, raw.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: pollfd.self),
                               readInput ? 2 : 1)
            }
            if rc < 0 { return "Error polling: \(SocketCalls.errorText(errno))" }
            if rc == 0 {
                session.deadlinePassed(now: MonotonicClock.now())
                if let failure = sessionFailure() { return failure }
                continue
            }
            if fds.0.revents & Int16(POLLOUT | POLLERR) != 0 && !toPeer.isEmpty {
                if let code = toPeer.flush(to: socket, buffers: buffers) { return "Error writing: \(SocketCalls.errorText(code))" }
                if let failure = finishPeerOutputIfDone() { return failure }
            }
            if fds.0.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 && peerState == .open {
                if let failure = readPeer() { return failure }
            }
            if readInput && fds.1.revents != 0 {
                if let failure = readInputOnce() { return failure }
            }
        }
        return nil
    }

    // MARK: Socket -> output

    private mutating func readPeer() -> String? {
        switch SocketCalls.receive(socket, buffers.cipher, LoopBuffers.cipherChunk) {
        case .wouldBlock:
            return nil
        case .failed(let code):
            return session.isEstablished ? "Error reading: \(SocketCalls.errorText(code))"
                                         : "Handshake failed: \(SocketCalls.errorText(code))"
        case .done(0):
            peerState = .ended
            if case .ended(let reason) = session.peerInputEnded() { return message(for: reason) }
            endOutput()
            return nil
        case .done(let count):
            var offset = 0
            while true {
                let step = session.receive(UnsafeRawBufferPointer(start: buffers.cipher + offset, count: count - offset),
                                           into: UnsafeMutableRawBufferPointer(start: buffers.opened, count: LoopBuffers.openedCapacity))
                offset += step.consumed
                // Good packets before a bad one in the same read are still written (as C does).
                if let code = Self.writeAll(output, buffers.opened, step.produced) {
                    return "Error writing standard output: \(SocketCalls.errorText(code))"
                }
                if let failure = sendPeerOutput() { return failure }
                if session.state == .verified { continue }
                if let failure = sessionFailure() { return failure }
                if offset >= count || (step.consumed == 0 && step.produced == 0) { return nil }
            }
        }
    }

    /// Gives `output` end-of-file: shutdown for a socket, else swap in /dev/null.
    private func endOutput() {
        if shutdown(output, Int32(SHUT_WR)) == 0 { return }
        let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
        if null >= 0 {
            _ = dup2(null, output)
            close(null)
        } else {
            close(output)
        }
    }

    // MARK: Input -> socket

    private mutating func readInputOnce() -> String? {
        let n = read(input, buffers.plain, LoopBuffers.plainChunk)
        if n < 0 {
            if errno == EINTR || errno == EAGAIN { return nil }
            return "Error reading standard input: \(SocketCalls.errorText(errno))"
        }
        if n == 0 {
            inputState = .ended
            if case .ended(let reason) = session.applicationInputEnded(), reason != .completed {
                return message(for: reason)
            }
            return finishPeerOutputIfDone()
        }
        let sealed = session.seal(UnsafeRawBufferPointer(start: buffers.plain, count: n),
                                  into: UnsafeMutableRawBufferPointer(start: buffers.sealed, count: LoopBuffers.sealedCapacity))
        if let failure = sessionFailure() { return failure }   // packet counter used up
        return send(buffers.sealed, sealed)
    }

    private mutating func finishPeerOutputIfDone() -> String? {
        guard inputState == .ended, socketOutput == .open, toPeer.isEmpty else { return nil }
        if shutdown(socket, Int32(SHUT_WR)) != 0 {
            return "Error shutting down connection: \(SocketCalls.errorText(errno))"
        }
        socketOutput = .shut
        return nil
    }

    // MARK: Sending

    private mutating func sendPeerOutput() -> String? {
        let bytes = session.takePeerOutput()
        return bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return nil }
            return send(base, raw.count)
        }
    }

    /// Sends without blocking; what the socket does not take waits for POLLOUT.
    private mutating func send(_ bytes: UnsafeRawPointer, _ count: Int) -> String? {
        guard count > 0 else { return nil }
        var sent = 0
        if toPeer.isEmpty {
            switch SocketCalls.send(socket, bytes, count) {
            case .done(let n): sent = n
            case .wouldBlock: sent = 0
            case .failed(let code): return "Error writing: \(SocketCalls.errorText(code))"
            }
        }
        if sent < count { toPeer.append(bytes + sent, count - sent, buffers: buffers) }
        return nil
    }

    // MARK: Failures

    private func sessionFailure() -> String? {
        guard case .ended(let reason) = session.state, reason != .completed else { return nil }
        return message(for: reason)
    }

    private func message(for reason: SessionEnd) -> String {
        reason.isHandshakeFailure ? "Handshake failed: \(reason)" : "Error reading: \(reason)"
    }

    /// Writes everything (blocking; waits out EAGAIN on a non-blocking descriptor). Returns errno on failure.
    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int32? {
        var done = 0
        while done < count {
            let n = write(fd, bytes + done, count - done)
            if n > 0 {
                done += n
            } else if n < 0 && errno == EINTR {
                continue
            } else if n < 0 && errno == EAGAIN {
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&pfd, 1, -1)
            } else {
                return n < 0 ? errno : EIO
            }
        }
        return nil
    }
}
