// The async face of a library connection. Each call suspends its task, hops
// onto the connection's loop with one queued task, and is resumed from the
// loop thread when it can complete. Cancelling the task:
// - read: abandons the wait (the connection stays usable, nothing is lost);
// - write: closes the connection (part of the bytes may already be on the
//   wire, so the stream could not be trusted to continue);
// - shutdownWrite: abandons the wait (the FIN still goes out once flushed);
// - connect: closes the socket (StreamConnection+Connect.swift).
// One read and one write may wait at a time; a second concurrent one fails
// at once rather than reorder the stream.
import SpipedProtocol

extension StreamConnection {
    /// The next chunk from the peer; nil once the peer ended its direction.
    package func read() async throws -> [UInt8]? {
        try await StreamWaiter<[UInt8]?>.wait(on: library, register: { [self] waiter in
            startRead(waiter)
        }, cancel: { [self] waiter in
            guard readWaiter === waiter else { return }
            readWaiter = nil
            waiter.resume(.failure(.cancelled))
        })
    }

    /// Seals and sends `bytes`; returns once they are all sealed and at most
    /// `bufferLimit` bytes wait for the socket.
    package func write(_ bytes: [UInt8]) async throws {
        if bytes.isEmpty { return }
        try await StreamWaiter<Void>.wait(on: library, register: { [self] waiter in
            startWrite(bytes, waiter)
        }, cancel: { [self] waiter in
            guard writeOp?.waiter === waiter else { return }
            writeOp = nil
            waiter.resume(.failure(.cancelled))
            fail(.closed)
        })
    }

    /// Flushes, then ends our direction (a FIN); returns once the FIN is sent.
    package func shutdownWrite() async throws {
        try await StreamWaiter<Void>.wait(on: library, register: { [self] waiter in
            startShutdown(waiter)
        }, cancel: { [self] waiter in
            guard let index = shutdownWaiters.firstIndex(where: { $0 === waiter }) else { return }
            shutdownWaiters.remove(at: index)
            waiter.resume(.failure(.cancelled))
        })
    }

    /// Closes both directions at once (any thread; returns at once). Unsent
    /// and unread bytes are dropped; waiting calls fail with `.closed`.
    package func close() {
        library.execute { [self] in
            inbound = []
            inboundHead = 0
            inboundBytes = 0
            fail(.closed)
        }
    }

    // MARK: On the loop

    private func startRead(_ waiter: StreamWaiter<[UInt8]?>) {
        if waiter.isCancelled { return waiter.resume(.failure(.cancelled)) }
        guard readWaiter == nil else { return waiter.resume(.failure(.concurrentOperation("read"))) }
        if let chunk = takeInbound() {
            waiter.resume(.success(chunk))
            if phase != .finished { updateInterest() }   // room again: read the socket
            return
        }
        if let failure { return waiter.resume(.failure(failure)) }
        if peerInput == .ended || phase == .finished { return waiter.resume(.success(nil)) }
        readWaiter = waiter
        updateInterest()
    }

    private func startWrite(_ bytes: [UInt8], _ waiter: StreamWaiter<Void>) {
        if waiter.isCancelled { return waiter.resume(.failure(.cancelled)) }
        if let failure { return waiter.resume(.failure(failure)) }
        guard phase == .open, applicationInput == .open, shutdownWaiters.isEmpty else {
            return waiter.resume(.failure(.closed))
        }
        guard writeOp == nil else { return waiter.resume(.failure(.concurrentOperation("write"))) }
        writeOp = WriteOperation(bytes: bytes, offset: 0, waiter: waiter)
        pumpWrite()
        if phase != .finished { updateInterest() }
    }

    private func startShutdown(_ waiter: StreamWaiter<Void>) {
        if waiter.isCancelled { return waiter.resume(.failure(.cancelled)) }
        if output == .shut { return waiter.resume(.success(())) }
        if let failure { return waiter.resume(.failure(failure)) }
        guard phase == .open else { return waiter.resume(.failure(.closed)) }
        shutdownWaiters.append(waiter)
        if writeOp == nil { endApplicationInput() }   // else once the write is sealed
        if phase != .finished { updateInterest() }
    }
}
