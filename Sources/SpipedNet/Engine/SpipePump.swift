// spipe's data phase: two threads with blocking I/O, one per direction
// (input -> seal -> socket, socket -> open -> output), so each direction runs
// on its own core and any descriptor type works. Input is polled together
// with a stop pipe, so a failure in the other direction can interrupt a read
// from a quiet stdin and both threads are always joined. End of input becomes
// shutdown(SHUT_WR) on the socket; end of the socket stream closes output.
// Success (0) needs both directions to finish cleanly; the first failure
// prints one message, stops the other direction and gives 1.
#if canImport(Glibc)
import Glibc
#endif
import SpipedProtocol

/// The session keys and the ciphertext read past the end of the handshake.
struct SpipeSession: @unchecked Sendable {
    // @unchecked: the sealer is used only by the upstream thread and the
    // opener only by the downstream thread, never both by one thread at once.
    var sealer: PacketSealer
    var opener: PacketOpener
    var leftover: [UInt8]
}

/// The two copying threads of spipe.
enum SpipePump {
    private final class Shared: Sendable {
        let failure = ForkSafeLock<String?>(nil)
        let stopPipe: (read: Int32, write: Int32)
        let socket: Int32
        init(socket: Int32, stopPipe: (Int32, Int32)) {
            self.socket = socket
            self.stopPipe = stopPipe
        }

        /// Records the first failure and interrupts the other direction.
        func fail(_ message: String) {
            let first = failure.withLock { current -> Bool in
                guard current == nil else { return false }
                current = message
                return true
            }
            guard first else { return }
            var byte: UInt8 = 1
            _ = write(stopPipe.write, &byte, 1)
            _ = shutdown(socket, Int32(SHUT_RDWR))
        }
    }

    static func run(socket: Int32, session: SpipeSession, input: Int32, output: Int32, log: EventLog) -> Int32 {
        guard SocketCalls.setNonBlocking(socket, false) else {
            log.warning("Error configuring socket: \(SocketCalls.errorText(errno))")
            return 1
        }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            log.warning("Error creating pipe: \(SocketCalls.errorText(errno))")
            return 1
        }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let shared = Shared(socket: socket, stopPipe: (fds[0], fds[1]))
        let up = NativeThread { upstream(shared, session.sealer, input: input) }
        let down = NativeThread { downstream(shared, session.opener, leftover: session.leftover, output: output) }
        if up == nil || down == nil { shared.fail("Error creating thread") }
        up?.join()
        down?.join()
        close(fds[0])
        close(fds[1])
        if let message = shared.failure.withLock({ $0 }) {
            log.warning(message)
            return 1
        }
        return 0
    }

    /// input -> seal -> socket, then shutdown(SHUT_WR).
    private static func upstream(_ shared: Shared, _ sealer: PacketSealer, input: Int32) {
        let plainSize = LoopBuffers.plainChunk
        let plain = UnsafeMutableRawPointer.allocate(byteCount: plainSize, alignment: 64)
        let sealed = UnsafeMutableRawPointer.allocate(byteCount: LoopBuffers.sealedCapacity, alignment: 64)
        defer {
            plain.deallocate()
            sealed.deallocate()
        }
        while true {
            var fds = [pollfd(fd: input, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: shared.stopPipe.read, events: Int16(POLLIN), revents: 0)]
            let rc = poll(&fds, 2, -1)
            if rc < 0 {
                if errno == EINTR { continue }
                return shared.fail("Error polling standard input: \(SocketCalls.errorText(errno))")
            }
            if fds[1].revents != 0 { return }
            let n = read(input, plain, plainSize)
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return shared.fail("Error reading standard input: \(SocketCalls.errorText(errno))")
            }
            if n == 0 {
                if shutdown(shared.socket, Int32(SHUT_WR)) != 0 {
                    shared.fail("Error shutting down connection: \(SocketCalls.errorText(errno))")
                }
                return
            }
            let count = sealer.seal(UnsafeRawBufferPointer(start: plain, count: n),
                                    into: UnsafeMutableRawBufferPointer(start: sealed, count: LoopBuffers.sealedCapacity))
            if count == 0 { return shared.fail("Packet counter exhausted; ending the connection") }
            if let code = writeAll(shared.socket, sealed, count, isSocket: true) {
                return shared.fail("Error writing: \(SocketCalls.errorText(code))")
            }
        }
    }

    /// socket -> open -> output, then end output.
    private static func downstream(_ shared: Shared, _ opener: PacketOpener, leftover: [UInt8], output: Int32) {
        let cipherSize = LoopBuffers.cipherChunk
        let cipher = UnsafeMutableRawPointer.allocate(byteCount: cipherSize, alignment: 64)
        let opened = UnsafeMutableRawPointer.allocate(byteCount: LoopBuffers.openedCapacity, alignment: 64)
        defer {
            cipher.deallocate()
            opened.deallocate()
        }
        var pending = leftover.count
        leftover.withUnsafeBytes { if let base = $0.baseAddress { cipher.copyMemory(from: base, byteCount: min($0.count, cipherSize)) } }
        while true {
            var n = pending
            pending = 0
            if n == 0 {
                n = recv(shared.socket, cipher, cipherSize, 0)
                if n < 0 {
                    if errno == EINTR { continue }
                    if shared.failure.withLock({ $0 != nil }) { return }
                    return shared.fail("Error reading: \(SocketCalls.errorText(errno))")
                }
                if n == 0 {
                    if shared.failure.withLock({ $0 != nil }) { return }
                    if opener.hasPartialPacket { return shared.fail("Error reading: connection ended mid-packet") }
                    endOutput(output)
                    return
                }
            }
            var offset = 0
            while offset < n {
                // Good packets before a bad one in the same read are still written (as C does).
                let result = opener.openAvailable(UnsafeRawBufferPointer(start: cipher + offset, count: n - offset),
                                                  into: UnsafeMutableRawBufferPointer(start: opened, count: LoopBuffers.openedCapacity))
                offset += result.consumed
                if let code = writeAll(output, opened, result.produced, isSocket: false) {
                    return shared.fail("Error writing standard output: \(SocketCalls.errorText(code))")
                }
                if result.failure != nil {
                    return shared.fail("Error reading: packet authentication failed")
                }
                if result.consumed == 0 && result.produced == 0 { break }
            }
        }
    }

    /// Writes everything (blocking; waits out EAGAIN on a non-blocking descriptor). Returns errno on failure.
    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int, isSocket: Bool) -> Int32? {
        var done = 0
        while done < count {
            let n = isSocket ? Glibc.send(fd, bytes + done, count - done, SocketCalls.sendFlags)
                             : write(fd, bytes + done, count - done)
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

    /// Gives `output` end-of-file: shutdown for a socket, else swap in /dev/null.
    private static func endOutput(_ output: Int32) {
        if shutdown(output, Int32(SHUT_WR)) == 0 { return }
        let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
        if null >= 0 {
            _ = dup2(null, output)
            close(null)
        } else {
            close(output)
        }
    }
}
