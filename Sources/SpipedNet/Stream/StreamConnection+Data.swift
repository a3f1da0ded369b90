// The data path of a library connection, on its loop thread:
// - peer -> application: one recv of up to 64 packets into the loop's
//   scratch, opened by the session in place, copied once into a chunk that
//   goes straight to a waiting reader or into the bounded inbound queue;
//   while the queue is full the socket is not read (the peer's sends stall).
// - application -> peer: the writer's bytes are sealed from its own array,
//   64 KiB at a time, into the loop's scratch and sent; what the socket does
//   not take waits in a pending block. While more than `bufferLimit` waits,
//   sealing stops and the writer stays suspended until the socket drains.
// - end of input: the peer's FIN makes read() return nil once the queue is
//   empty; shutdownWrite() sends our FIN once everything sealed is sent.
#if canImport(Glibc)
import Glibc
#endif
import SpipedProtocol

extension StreamConnection {
    // MARK: To the peer

    /// Sends (or queues) the session's handshake output.
    func sendPeerOutput() {
        guard let session else { return }
        let bytes = session.takePeerOutput()
        if bytes.isEmpty { return }
        bytes.withUnsafeBytes { raw in
            if let base = raw.baseAddress { sendOrQueue(base, raw.count) }
        }
    }

    /// Sends `count` bytes; the tail the socket does not take is queued.
    func sendOrQueue(_ bytes: UnsafeRawPointer, _ count: Int) {
        guard count > 0, fd >= 0 else { return }
        var sent = 0
        if toPeer.isEmpty {
            switch SocketCalls.send(fd, bytes, count) {
            case .done(let n): sent = n
            case .wouldBlock: sent = 0
            case .failed(let code): return fail(sendFailure(code))
            }
        }
        if sent < count { toPeer.append(bytes + sent, count - sent, buffers: loop.buffers) }
    }

    func sendFailure(_ code: Int32) -> StreamFailure {
        if phase != .open { return .handshakeFailed(SocketCalls.errorText(code)) }
        return code == ECONNRESET || code == EPIPE ? .reset : .io(SocketCalls.errorText(code))
    }

    /// The socket became writable: send what waits, then seal more.
    func flushToPeer() {
        if let code = toPeer.flush(to: fd, buffers: loop.buffers) { return fail(sendFailure(code)) }
        pumpWrite()
        if phase == .finished { return }
        finishOutputIfDone()
        noteBuffered()
    }

    /// Seals the current write's bytes while the pending output has room;
    /// resumes the writer once all of them are sealed.
    func pumpWrite() {
        guard var op = writeOp, let session, session.canSeal, phase == .open else { return }
        let buffers = loop.buffers
        let sealedRoom = UnsafeMutableRawBufferPointer(start: buffers.sealed, count: LoopBuffers.sealedCapacity)
        while op.offset < op.bytes.count && toPeer.count < options.bufferLimit {
            let n = min(LoopBuffers.plainChunk, op.bytes.count - op.offset)
            let start = op.offset
            let sealed = op.bytes.withUnsafeBytes { raw in
                session.seal(UnsafeRawBufferPointer(rebasing: raw[start..<(start + n)]), into: sealedRoom)
            }
            if case .ended(let reason) = session.state { return fail(.session(reason)) }   // packet counter used up
            op.offset += n
            sendOrQueue(buffers.sealed, sealed)
            if phase == .finished { return }
        }
        if op.offset < op.bytes.count {
            writeOp = op
        } else {
            writeOp = nil
            op.waiter.resume(.success(()))
            if !shutdownWaiters.isEmpty && applicationInput == .open { endApplicationInput() }
        }
        noteBuffered()
    }

    /// Ends our direction: the session first, the FIN once the output is flushed.
    func endApplicationInput() {
        guard applicationInput == .open, let session else { return }
        applicationInput = .ended
        if case .ended(let reason) = session.applicationInputEnded(), reason != .completed {
            return fail(.session(reason))
        }
        finishOutputIfDone()
    }

    /// Sends our FIN once the application's input ended and everything is sent.
    func finishOutputIfDone() {
        guard applicationInput == .ended, output == .open, toPeer.isEmpty, fd >= 0 else { return }
        if shutdown(fd, Int32(SHUT_WR)) != 0 { return fail(sendFailure(errno)) }
        output = .shut
        let waiters = shutdownWaiters
        shutdownWaiters = []
        for waiter in waiters { waiter.resume(.success(())) }
        finishIfDone()
    }

    // MARK: From the peer

    /// Reads once from the socket: handshake bytes or packets, the session tells.
    func readPeer() {
        guard let session else { return }
        switch SocketCalls.receive(fd, loop.buffers.cipher, LoopBuffers.cipherChunk) {
        case .wouldBlock:
            return
        case .failed(let code):
            if phase != .open { return fail(.handshakeFailed(SocketCalls.errorText(code))) }
            fail(code == ECONNRESET ? .reset : .io(SocketCalls.errorText(code)))
        case .done(0):
            peerInput = .ended
            if case .ended(let reason) = session.peerInputEnded(), reason != .completed {
                return fail(.session(reason))
            }
            if let waiter = readWaiter, inboundHead >= inbound.count {
                readWaiter = nil
                waiter.resume(.success(nil))
            }
            finishIfDone()
        case .done(let count):
            deliver(session, count)
        }
    }

    /// Hands `count` peer bytes to the session; queues the plaintext it opens.
    private func deliver(_ session: SpipedSession, _ count: Int) {
        let input = loop.buffers.cipher
        let opened = loop.buffers.opened
        var offset = 0
        var chunk: [UInt8] = []
        while true {
            let step = session.receive(UnsafeRawBufferPointer(start: input + offset, count: count - offset),
                                       into: UnsafeMutableRawBufferPointer(start: opened, count: LoopBuffers.openedCapacity))
            offset += step.consumed
            if step.produced > 0 {
                chunk.append(contentsOf: UnsafeRawBufferPointer(start: opened, count: step.produced))
            }
            if session.state == .verified {
                // The reply goes out before the keys are derived (next receive).
                sendPeerOutput()
                if phase == .finished { return }
                continue
            }
            if offset >= count || (step.consumed == 0 && step.produced == 0) { break }
            if case .ended = session.state { break }
        }
        sendPeerOutput()
        // Good plaintext before a bad packet is still delivered, as the daemon does.
        if !chunk.isEmpty { enqueueInbound(chunk) }
        if phase == .finished { return }
        if case .ended(let reason) = session.state { return fail(.session(reason)) }
        if phase == .handshaking && session.isEstablished { handshakeCompleted() }
    }

    private func enqueueInbound(_ chunk: [UInt8]) {
        if let waiter = readWaiter, inboundHead >= inbound.count {
            readWaiter = nil
            waiter.resume(.success(chunk))
            return
        }
        inbound.append(chunk)
        inboundBytes += chunk.count
        noteBuffered()
    }

    /// The oldest buffered chunk, if any.
    func takeInbound() -> [UInt8]? {
        guard inboundHead < inbound.count else { return nil }
        let chunk = inbound[inboundHead]
        inbound[inboundHead] = []
        inboundHead += 1
        inboundBytes -= chunk.count
        if inboundHead == inbound.count {
            inbound.removeAll(keepingCapacity: true)
            inboundHead = 0
        }
        noteBuffered()
        return chunk
    }
}
