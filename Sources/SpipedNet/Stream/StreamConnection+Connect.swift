// Opening a client connection: resolve the address text (the CLI's syntax
// and error texts), then on a loop try each resolved address in turn, all
// within the -o timeout, with a non-blocking connect; the handshake starts
// on the first that connects, and the caller is resumed once the keys are
// derived, or with the reason it failed. Cancelling the task closes the socket.
#if canImport(Glibc)
import Glibc
#endif
import SpipedProtocol

extension StreamConnection {
    /// Connects to `target`, completes the handshake and returns the connection.
    package static func connect(to target: String, key: SpipedKey, options: StreamOptions) async throws -> StreamConnection {
        let addresses: [SocketAddress]
        do {
            addresses = try AddressResolver.resolve(target)
        } catch {
            throw StreamFailure.address(error)
        }
        let engine = try LibraryEngine.get()
        let connection = StreamConnection(library: engine.nextLoop(), role: .client, keys: [key], options: options)
        return try await StreamWaiter<StreamConnection>.wait(on: connection.library, register: { waiter in
            if waiter.isCancelled { return waiter.resume(.failure(.cancelled)) }
            let deadline = connection.library.now &+ options.timeoutNanoseconds
            connection.connect(addresses[...], deadline: deadline, lastError: 0) { waiter.resume($0) }
        }, cancel: { _ in
            if connection.phase == .connecting || connection.phase == .handshaking { connection.fail(.cancelled) }
        })
    }

    /// Tries `addresses` in order until one connects (loop thread).
    func connect(_ addresses: ArraySlice<SocketAddress>, deadline: UInt64, lastError: Int32,
                 then callback: @escaping HandshakeCallback) {
        guard let address = addresses.first else {
            phase = .finished
            return callback(.failure(.connectFailed(lastError == 0 ? "no addresses" : SocketCalls.errorText(lastError))))
        }
        let rest = addresses.dropFirst()
        switch OutgoingSocket.startConnect(to: address, bindAddress: options.bindAddress, keepAlive: options.keepAlive) {
        case .connected(let fd):
            startHandshake(fd: fd, then: callback)
        case .inProgress(let fd):
            remainingAddresses = rest
            startConnecting(fd: fd, deadline: deadline, then: callback)
        case .failed(let code):
            connect(rest, deadline: deadline, lastError: code, then: callback)
        }
    }

    /// The connect in progress failed with `code`: try the next address, if any.
    func connectFailed(_ code: Int32) {
        guard let deadline, let callback = onHandshake, !remainingAddresses.isEmpty, library.now < deadline else {
            return fail(.connectFailed(SocketCalls.errorText(code)))
        }
        releaseDescriptor()
        onHandshake = nil
        let rest = remainingAddresses
        remainingAddresses = []
        connect(rest, deadline: deadline, lastError: code, then: callback)
    }
}
