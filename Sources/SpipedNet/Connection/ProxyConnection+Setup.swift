// The first phase of a connection: connecting to the target (each resolved
// address in turn, within the -o timeout) and the spiped handshake (within its
// own -o timeout): -d starts it on the accepted socket at once, -e on the
// target socket once connected. Data flows only when both are done; any
// failure drops both sockets (the reference's behaviour).
#if canImport(Glibc)
import Glibc
#endif
import SpipedCrypto
import SpipedProtocol

extension ProxyConnection {
    /// Starts serving a freshly accepted socket.
    func start(peer: String?) {
        let configuration = core.configuration
        if !core.listenerOptionsInherited {
            SocketCalls.configureStream(sourceIsPlain ? plainFD : cipherFD, keepAlive: configuration.keepAlive)
        }
        if let peer { configuration.log.connection(.accepted(id: id, peer: peer)) }
        addresses = core.addresses.snapshot
        connectDeadline = armDeadline()
        if !sourceIsPlain {
            // -d: the nonce goes out first (the client is waiting for it); the target
            // connect (a whole TCP handshake inside connect(2) on loopback) and this
            // side's public value follow while the nonce travels.
            beginHandshake(precompute: false)
            if closed { return }
            connectNext()
            if closed { return }
            handshake?.precompute()
        } else {
            connectNext()
            if closed { return }
        }
        updateInterest()
    }

    // MARK: Target connect

    /// Tries the next address; with none left, reports and drops the connection.
    func connectNext() {
        let configuration = core.configuration
        while nextAddress < addresses.count {
            let address = addresses[nextAddress]
            nextAddress += 1
            switch OutgoingSocket.startConnect(to: address, bindAddress: configuration.bindAddress, keepAlive: configuration.keepAlive) {
            case .connected(let fd):
                targetFD = fd
                targetConnected()
                return
            case .inProgress(let fd):
                targetFD = fd
                connecting = true
                return
            case .failed(let code):
                lastConnectError = code
            }
        }
        let reason = lastConnectError == 0 ? "no addresses" : SocketCalls.errorText(lastConnectError)
        configuration.log.connection(.targetConnectFailed(id: id, target: configuration.target, reason: reason))
        close()
    }

    /// The in-progress connect finished (writable or error): keep it or try the next address.
    func connectAttemptFinished() {
        let fd = targetFD
        let code = SocketCalls.pendingError(fd)
        connecting = false
        if code == 0 {
            targetConnected()
        } else {
            lastConnectError = code
            loop.forget(fd, closing: true)
            SocketCalls.closeDescriptor(fd)
            targetFD = -1
            connectNext()
        }
        updateInterest()
    }

    private func targetConnected() {
        targetReady = true
        connectDeadline = 0
        if sourceIsPlain {
            beginHandshake()
        } else {
            startDataIfReady()
        }
    }

    // MARK: Handshake

    private func beginHandshake(precompute: Bool = true) {
        let configuration = core.configuration
        do {
            handshake = try Handshake(role: configuration.role, candidateKeys: core.keyRing.snapshot(),
                                      options: configuration.handshake, random: SystemRandom())
        } catch {
            configuration.log.connection(.handshakeFailed(id: id, reason: .other("\(error)")))
            close()
            return
        }
        handshakeDeadline = armDeadline()
        sendHandshakeOutput()
        // This side's public value (tens of microseconds with PFS) while the peer's
        // nonce travels, rather than on the critical path once it is here.
        if precompute { handshake?.precompute() }
    }

    /// Sends whatever the handshake wants to send now.
    private func sendHandshakeOutput() {
        guard let handshake else { return }
        let bytes = handshake.pendingOutput()
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { raw in
            if let base = raw.baseAddress {
                _ = sendOrQueue(cipherFD, base, raw.count, toCipher: true)
            }
        }
    }

    /// Reads handshake bytes from the cipher side.
    func readHandshake() {
        guard let handshake else { return }
        let buffer = loop.buffers.cipher
        let count: Int
        switch SocketCalls.receive(cipherFD, buffer, LoopBuffers.cipherChunk) {
        case .wouldBlock:
            return
        case .failed(let code):
            failHandshake(.other(SocketCalls.errorText(code)))
            return
        case .done(0):
            failHandshake(.closedByPeer)
            return
        case .done(let n):
            count = n
        }
        var offset = 0
        do {
            while offset < count && !handshake.isComplete {
                let used = try handshake.receive(UnsafeRawBufferPointer(start: buffer + offset, count: count - offset))
                offset += used
                sendHandshakeOutput()
                if closed { return }
                if used == 0 { break }
            }
        } catch {
            failHandshake(Self.reason(for: error))
            return
        }
        guard handshake.isComplete else {
            // -e with -f: the data keys are fixed once y_C || h_C is out, so the
            // client's plaintext may follow it now instead of a round trip later
            // (see Handshake.earlySealer). Replies still wait for the handshake.
            if sealer == nil, let early = handshake.earlySealer() {
                sealer = early
                sendingEarly = true
                if toCipher.isEmpty { readPlain() }
            }
            return
        }
        if offset < count {
            leftover = Array(UnsafeRawBufferPointer(start: buffer + offset, count: count - offset))
        }
        // The reply (a server's y_S || h_S) went out above; the shared-value
        // exponentiation in finish() now overlaps the peer's.
        guard let keys = handshake.finish() else {
            failHandshake(.other("no session keys"))
            return
        }
        sealer = keys.sealer
        opener = keys.opener
        self.handshake = nil
        handshakeDone = true
        handshakeDeadline = 0
        startDataIfReady()
    }

    private func failHandshake(_ reason: HandshakeFailureReason) {
        core.configuration.log.connection(.handshakeFailed(id: id, reason: reason))
        close()
    }

    private static func reason(for error: HandshakeError) -> HandshakeFailureReason {
        switch error {
        case .badMAC: return .badMAC
        case .publicValueOutOfRange: return .publicValueOutOfRange
        case .peerNotUsingPFS: return .peerNotUsingPFS
        default: return .other("\(error)")
        }
    }

    /// Enters the data phase once the handshake and the target connect are both done.
    private func startDataIfReady() {
        guard handshakeDone, targetReady, !flowing, !closed else { return }
        flowing = true
        if !leftover.isEmpty {
            let bytes = leftover
            leftover = []
            bytes.withUnsafeBytes { raw in
                if let base = raw.baseAddress { deliverCiphertext(base, raw.count) }
            }
            if closed { return }
        }
        // Plaintext that waited during the setup (a client usually speaks at once):
        // read it now instead of after another epoll round. Nothing there costs one
        // recv; epoll takes over from the next event.
        if toCipher.isEmpty && !sendingEarly { readPlain() }
    }
}
