// The data phase of a connection, the hot path. Per readiness event:
// plain -> cipher: one recv of up to 64 KiB into the loop's scratch, sealed in
// one call into 64 packets in the loop's second scratch, sent with one send;
// cipher -> plain: one recv of up to 64 packets, opened in one call, sent with
// one send. No allocation per packet or per chunk: only an unsent tail is
// copied into a pooled block, and while it waits the opposite socket is not
// read (back-pressure through epoll interest). End of input on one side
// becomes shutdown(SHUT_WR) on the other once its pending output is flushed.
#if canImport(Glibc)
import Glibc
#endif
import SpipedProtocol

extension ProxyConnection {
    /// Sends `count` bytes to the plain (`toCipher` false) or cipher side,
    /// queueing whatever the socket does not take. Returns false if the
    /// connection was closed because of a send error.
    @discardableResult
    func sendOrQueue(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int, toCipher: Bool) -> Bool {
        guard count > 0 else { return true }
        let queueEmpty = toCipher ? self.toCipher.isEmpty : toPlain.isEmpty
        var sent = 0
        if queueEmpty {
            switch SocketCalls.send(fd, bytes, count) {
            case .done(let n):
                sent = n
            case .wouldBlock:
                sent = 0
            case .failed:
                close()
                return false
            }
        }
        if sent < count {
            // A short send means the socket buffer is full: keep the tail, no retry.
            if toCipher {
                self.toCipher.append(bytes + sent, count - sent, buffers: loop.buffers)
            } else {
                toPlain.append(bytes + sent, count - sent, buffers: loop.buffers)
            }
        }
        return true
    }

    /// Reads per readiness event while full chunks keep coming. More than one
    /// would save epoll_wait calls on a busy stream, but measured on loopback it
    /// gained nothing (the copies and the crypto dominate), so each event reads once
    /// and the loop stays fair between connections.
    static var readsPerEvent: Int { 1 }

    /// Plaintext arrived: seal each chunk into packets and send them in one call.
    func readPlain() {
        guard let sealer else { return }
        let buffers = loop.buffers
        for _ in 0..<Self.readsPerEvent {
            switch SocketCalls.receive(plainFD, buffers.plain, LoopBuffers.plainChunk) {
            case .wouldBlock:
                return
            case .failed:
                close()
                return
            case .done(0):
                plainInputEnded = true
                windingDown()
                if toCipher.isEmpty { shutWrite(cipher: true) }
                return
            case .done(let n):
                bytesFromPlain &+= UInt64(n)
                let sealed = sealer.seal(UnsafeRawBufferPointer(start: buffers.plain, count: n),
                                         into: UnsafeMutableRawBufferPointer(start: buffers.sealed, count: LoopBuffers.sealedCapacity))
                if sealed == 0 { close(); return }   // packet counter used up: fail closed
                guard sendOrQueue(cipherFD, buffers.sealed, sealed, toCipher: true),
                      n == LoopBuffers.plainChunk, toCipher.isEmpty else { return }
            }
        }
    }

    /// Packets arrived: open each chunk and send the plaintext in one call.
    func readCipher() {
        let buffers = loop.buffers
        for _ in 0..<Self.readsPerEvent {
            switch SocketCalls.receive(cipherFD, buffers.cipher, LoopBuffers.cipherChunk) {
            case .wouldBlock:
                return
            case .failed:
                close()
                return
            case .done(0):
                if opener?.hasPartialPacket == true {
                    // Cut off mid-packet: a damaged stream, not a clean end.
                    core.configuration.log.connection(.packetAuthenticationFailed(id: id))
                    close()
                    return
                }
                cipherInputEnded = true
                windingDown()
                if toPlain.isEmpty { shutWrite(cipher: false) }
                return
            case .done(let n):
                deliverCiphertext(buffers.cipher, n)
                guard !closed, n == LoopBuffers.cipherChunk, toPlain.isEmpty else { return }
            }
        }
    }

    /// Opens `count` ciphertext bytes (whole packets or not) and sends the
    /// plaintext to the plain side. A bad packet drops the connection, after
    /// the plaintext of the good packets before it (as the C spiped does).
    func deliverCiphertext(_ bytes: UnsafeRawPointer, _ count: Int) {
        guard let opener else { return }
        let out = loop.buffers.opened
        var offset = 0
        while offset < count {
            let result = opener.openAvailable(UnsafeRawBufferPointer(start: bytes + offset, count: count - offset),
                                              into: UnsafeMutableRawBufferPointer(start: out, count: LoopBuffers.openedCapacity))
            offset += result.consumed
            if result.produced > 0 {
                bytesFromCipher &+= UInt64(result.produced)
                guard sendOrQueue(plainFD, out, result.produced, toCipher: false) else { return }
            }
            if result.failure != nil {
                core.configuration.log.connection(.packetAuthenticationFailed(id: id))
                close()
                return
            }
            if result.produced == 0 && result.consumed == 0 {
                break   // cannot happen with openedCapacity sized for a whole chunk
            }
        }
    }

    /// The plain socket became writable: send what waits for it.
    func flushPlain() {
        if let code = toPlain.flush(to: plainFD, buffers: loop.buffers) {
            _ = code
            close()
            return
        }
        if toPlain.isEmpty && cipherInputEnded && !plainWriteShut { shutWrite(cipher: false) }
    }

    /// The cipher socket became writable: send what waits for it.
    func flushCipher() {
        if let code = toCipher.flush(to: cipherFD, buffers: loop.buffers) {
            _ = code
            close()
            return
        }
        if toCipher.isEmpty && plainInputEnded && !cipherWriteShut { shutWrite(cipher: true) }
    }

    /// Ends one direction: shutdown(SHUT_WR) on the cipher or plain socket.
    func shutWrite(cipher: Bool) {
        let fd = cipher ? cipherFD : plainFD
        if shutdown(fd, Int32(SHUT_WR)) != 0 {
            // The peer is gone (ENOTCONN after a reset): nothing more can flow.
            close()
            return
        }
        if cipher { cipherWriteShut = true } else { plainWriteShut = true }
        closeIfFinished()
    }
}
