// The first phase of a connection: the target connect (each resolved address
// in turn, within the -o timeout) and the start of the session (whose
// handshake has its own -o deadline).
//
// Order, for latency: -d sends its nonce first (the client is waiting for it),
// then starts the target connect (a whole TCP handshake inside connect(2) on
// loopback), then computes its public value while the nonce travels; with
// --connect-after-handshake it connects only once the client's message has
// verified. -e connects first and starts the session once connected. Data
// flows only when the keys are derived and the target is connected; any
// failure drops both sockets (the reference's behaviour).
#if canImport(Glibc)
import Glibc
#endif
import SpipedProtocol

extension ProxyConnection {
    /// Starts serving a freshly accepted socket.
    func start(peer: String?) {
        let configuration = core.configuration
        if !core.listenerOptionsInherited {
            SocketCalls.configureStream(self[sourceSide].fd, keepAlive: configuration.keepAlive)
        }
        if let peer { configuration.log.connection(.accepted(id: id, peer: peer)) }
        prepareProxyHeader()
        addresses = core.addresses.snapshot
        if configuration.role == .server {
            startSession()
            if phase == .closed { return }
            if configuration.targetConnect == .immediately {
                startTargetConnect()
                if phase == .closed { return }
            }
            session?.precompute()
        } else {
            startTargetConnect()
            if phase == .closed { return }
        }
        updateInterest()
    }

    // MARK: Target connect

    func startTargetConnect() {
        connectDeadline = armDeadline()
        connectNext()
    }

    /// Tries the next address; with none left, reports and drops the connection.
    func connectNext() {
        let configuration = core.configuration
        while nextAddress < addresses.count {
            let address = addresses[nextAddress]
            nextAddress += 1
            switch OutgoingSocket.startConnect(to: address, bindAddress: configuration.bindAddress, keepAlive: configuration.keepAlive) {
            case .connected(let fd):
                self[targetSide].fd = fd
                targetConnected()
                return
            case .inProgress(let fd):
                self[targetSide].fd = fd
                target = .connecting
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
        let fd = self[targetSide].fd
        let code = SocketCalls.pendingError(fd)
        if code == 0 {
            targetConnected()
        } else {
            lastConnectError = code
            loop.forget(fd, closing: true)
            SocketCalls.closeDescriptor(fd)
            self[targetSide].fd = -1
            self[targetSide].interest = 0
            target = .notStarted
            connectNext()
        }
        updateInterest()
    }

    private func targetConnected() {
        target = .connected
        connectDeadline = nil
        if sourceSide == .plain {
            startSession()
            if phase == .closed { return }
            // This side's public value (tens of microseconds with PFS) while the
            // peer's nonce travels, rather than on the critical path once it is here.
            session?.precompute()
        } else if phase == .draining {
            flush(.plain)   // what the session opened before it failed
        } else {
            startFlowingIfReady()
        }
    }

    // MARK: Session

    /// Creates the session (its handshake deadline armed) and sends its nonce.
    private func startSession() {
        let configuration = core.configuration
        let deadline = loop.now &+ core.timeoutNanoseconds
        let session = SpipedSession(role: configuration.role, candidateKeys: core.keyRing.snapshot(),
                                    options: configuration.handshake, handshakeDeadline: deadline)
        self.session = session
        if case .ended(let reason) = session.state { return sessionEnded(reason) }
        loop.schedule(at: deadline, self)
        phase = .handshaking
        sendPeerOutput()
    }

    /// Sends whatever the session has for the peer (handshake messages).
    func sendPeerOutput() {
        guard let bytes = session?.takePeerOutput(), !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { raw in
            if let base = raw.baseAddress { _ = sendOrQueue(.cipher, base, raw.count) }
        }
    }

    /// Acts on the session's progress after it took peer input.
    func sessionAdvanced() {
        guard phase == .handshaking, let session else { return }
        switch session.state {
        case .ended(let reason):
            sessionEnded(reason)
        case .sendingEarly:
            // -e with -f: the data keys are fixed once y_C || h_C is out, so the
            // client's plaintext may follow it now instead of a round trip later.
            sealProxyHeader()
            if phase == .closed { return }
            if cipher.pending.isEmpty { readPlain() }
        case .verified, .established:
            // The peer holds the key: with --connect-after-handshake this is the
            // moment to reach the target (before the shared value is computed).
            if target == .notStarted && sourceSide == .cipher {
                startTargetConnect()
                if phase == .closed { return }
            }
            startFlowingIfReady()
        case .handshaking:
            break
        }
    }

    /// Enters the data phase once the keys are derived and the target is connected.
    func startFlowingIfReady() {
        guard phase == .handshaking, let session, session.isEstablished, target == .connected else { return }
        phase = .flowing
        if let idle = core.idleNanoseconds {
            lastActivity = loop.now
            armIdleCheck(at: loop.now &+ idle)
        }
        // A fast client read its plaintext under the early sealer already.
        let wasSendingEarly = core.configuration.role == .client && core.configuration.handshake.fast
        sealProxyHeader()   // -e: the header is the first plaintext (a no-op once sent early)
        if phase == .closed { return }
        // Plaintext opened before the target was connected (-d) goes out now.
        if !plain.pending.isEmpty {
            flush(.plain)
            if phase == .closed { return }
        }
        finishOutputIfDone(.plain)
        finishOutputIfDone(.cipher)
        if phase == .closed { return }
        // Plaintext that waited during the setup (a client usually speaks at once):
        // read it now instead of after another epoll round. Nothing there costs one
        // recv; epoll takes over from the next event.
        if cipher.pending.isEmpty && !wasSendingEarly { readPlain() }
    }
}
