// The data path of a connection, the hot path. Per readiness event:
// 1. plain -> cipher: one recv of up to 64 KiB into the loop's scratch; the
//    session seals it in one call into up to 64 packets in the loop's second
//    scratch; one send.
// 2. cipher -> plain: one recv of up to 64 packets (or handshake bytes); the
//    session takes them (handshake first, packets after it) and opens the
//    packets in one call; one send of the plaintext.
// No allocation per packet or per chunk: only an unsent tail is copied into a
// pooled block, and while it waits the opposite socket is not read
// (back-pressure through epoll interest). The end of one input becomes
// shutdown(SHUT_WR) on the other socket once its pending output is flushed.
#if canImport(Glibc)
import Glibc
#endif
import SpipedProtocol

extension ProxyConnection {
    /// Sends `count` bytes to `side`, queueing whatever the socket does not
    /// take (or all of it, while the target is still connecting). Returns
    /// false if the connection was dropped because of a send error.
    @discardableResult
    func sendOrQueue(_ side: Side, _ bytes: UnsafeRawPointer, _ count: Int) -> Bool {
        guard count > 0 else { return true }
        var sent = 0
        if self[side].pending.isEmpty && writable(side) {
            switch SocketCalls.send(self[side].fd, bytes, count) {
            case .done(let n):
                sent = n
            case .wouldBlock:
                sent = 0
            case .failed:
                abort()
                return false
            }
        }
        if sent < count {
            // A short send means the socket buffer is full: keep the tail, no retry.
            self[side].pending.append(bytes + sent, count - sent, buffers: loop.buffers)
        }
        return true
    }

    /// Plaintext arrived: seal it into packets and send them in one call.
    func readPlain() {
        guard let session, session.canSeal else { return }
        let buffers = loop.buffers
        switch SocketCalls.receive(plain.fd, buffers.plain, LoopBuffers.plainChunk) {
        case .wouldBlock:
            return
        case .failed:
            abort()
        case .done(0):
            plain.input = .ended
            windingDown()
            if case .ended(let reason) = session.applicationInputEnded() { return sessionEnded(reason) }
            finishOutputIfDone(.cipher)
        case .done(let n):
            let sealed = session.seal(UnsafeRawBufferPointer(start: buffers.plain, count: n),
                                      into: UnsafeMutableRawBufferPointer(start: buffers.sealed, count: LoopBuffers.sealedCapacity))
            core.metrics?.addEncrypted(n)
            if case .ended(let reason) = session.state { return sessionEnded(reason) }   // packet counter used up
            sendOrQueue(.cipher, buffers.sealed, sealed)
        }
    }

    /// Bytes arrived from the peer: handshake or packets, the session tells.
    func readCipher() {
        guard let session else { return }
        let buffers = loop.buffers
        switch SocketCalls.receive(cipher.fd, buffers.cipher, LoopBuffers.cipherChunk) {
        case .wouldBlock:
            return
        case .failed(let code):
            if !session.isEstablished {
                core.configuration.log.connection(.handshakeFailed(id: id, reason: .other(SocketCalls.errorText(code))))
            }
            abort()
        case .done(0):
            cipher.input = .ended
            windingDown()
            if case .ended(let reason) = session.peerInputEnded() { return sessionEnded(reason) }
            finishOutputIfDone(.plain)
        case .done(let n):
            deliverFromPeer(session, buffers.cipher, n)
        }
    }

    /// Hands `count` peer bytes to the session and sends what it answers:
    /// plaintext to the plain side, handshake messages back to the peer.
    private func deliverFromPeer(_ session: SpipedSession, _ bytes: UnsafeRawPointer, _ count: Int) {
        let out = loop.buffers.opened
        var offset = 0
        while true {
            let step = session.receive(UnsafeRawBufferPointer(start: bytes + offset, count: count - offset),
                                       into: UnsafeMutableRawBufferPointer(start: out, count: LoopBuffers.openedCapacity))
            offset += step.consumed
            if step.produced > 0 {
                core.metrics?.addDecrypted(step.produced)
                guard sendOrQueue(.plain, out, step.produced) else { return }
            }
            if session.state == .verified {
                // The reply goes out before the keys are derived (the next
                // receive), and with --connect-after-handshake the target
                // connect starts now.
                sendPeerOutput()
                queueProxyHeaderToTarget()   // -d: ahead of any plaintext
                if phase == .closed { return }
                if target == .notStarted && sourceSide == .cipher { startTargetConnect() }
                if phase == .closed { return }
                continue
            }
            if offset >= count || (step.consumed == 0 && step.produced == 0) { break }
            if case .ended = session.state { break }
        }
        sendPeerOutput()
        if phase == .closed { return }
        if case .ended(let reason) = session.state { return sessionEnded(reason) }
        sessionAdvanced()
    }

    /// `side`'s socket became writable: send what waits for it.
    func flush(_ side: Side) {
        guard writable(side) else { return }
        if self[side].pending.flush(to: self[side].fd, buffers: loop.buffers) != nil {
            abort()
            return
        }
        if phase == .draining {
            if plain.pending.isEmpty { close() }
            return
        }
        finishOutputIfDone(side)
    }

    /// Half-closes `side` once the opposite input has ended and everything
    /// for `side` is sent.
    func finishOutputIfDone(_ side: Side) {
        let opposite: Side = side == .plain ? .cipher : .plain
        guard self[opposite].input == .ended, self[side].output == .open,
              self[side].pending.isEmpty, writable(side) else { return }
        if shutdown(self[side].fd, Int32(SHUT_WR)) != 0 {
            // The peer is gone (ENOTCONN after a reset): nothing more can flow.
            abort()
            return
        }
        self[side].output = .shut
        closeIfFinished()
    }
}
