// The PROXY protocol header of a connection (`-P`, `--proxy-protocol`): read
// from the accepted socket when the connection starts, written once into the
// outgoing plaintext stream before any other plaintext:
// - -e (client role): the first plaintext handed to the session, as soon as
//   the session can seal (the early sealer of -f, or the established keys),
//   before the source is read, so it reaches the target behind any -d (and a
//   server that speaks first gets it without waiting for the client);
// - -d (server role): the first bytes queued to the target socket, when the
//   peer's handshake message has verified (before any packet is opened), so
//   a peer without the key never makes the target see a header.
#if canImport(Glibc)
import Glibc
#endif
import SpipedProtocol

extension ProxyConnection {
    /// The header for this connection's accepted socket, when `-P` is on.
    func prepareProxyHeader() {
        guard let version = core.configuration.proxyProtocol else { return }
        proxyHeader = ProxyProtocolHeader.forAcceptedSocket(self[sourceSide].fd, version: version)
    }

    /// -e: seals and sends the pending header; call where the session starts to accept plaintext.
    func sealProxyHeader() {
        guard sourceSide == .plain, let header = proxyHeader, let session, session.canSeal else { return }
        proxyHeader = nil
        let buffers = loop.buffers
        header.withUnsafeBytes { raw in
            let sealed = session.seal(raw, into: UnsafeMutableRawBufferPointer(start: buffers.sealed, count: LoopBuffers.sealedCapacity))
            core.metrics?.addEncrypted(raw.count)
            proxyHeaderBytesSealed = UInt64(raw.count)
            sendOrQueue(.cipher, buffers.sealed, sealed)
        }
    }

    /// -d: queues the pending header to the target; call once the peer verified, before any plaintext.
    func queueProxyHeaderToTarget() {
        guard sourceSide == .cipher, let header = proxyHeader else { return }
        proxyHeader = nil
        header.withUnsafeBytes { raw in
            if let base = raw.baseAddress { sendOrQueue(.plain, base, raw.count) }
        }
    }
}
