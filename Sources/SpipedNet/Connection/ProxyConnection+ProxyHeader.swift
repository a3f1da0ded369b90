// The PROXY protocol header of a connection (`-P`, `--proxy-protocol`): read
// from the accepted socket when the connection starts, written once into the
// outgoing plaintext stream before any other plaintext:
// - -e (client role): sealed as the first plaintext as soon as this side has
//   a sealer (the early sealer of -f, or the session's), before the source is
//   read, so it reaches the target behind any -d;
// - -d (server role): queued to the target socket when data starts to flow,
//   ahead of the first opened packet.
#if canImport(Glibc)
import Glibc
#endif
import SpipedProtocol

extension ProxyConnection {
    /// The header for this connection's accepted socket, when `-P` is on.
    func prepareProxyHeader(acceptedFD fd: Int32) {
        guard let version = core.configuration.proxyProtocol else { return }
        proxyHeader = ProxyProtocolHeader.forAcceptedSocket(fd, version: version)
    }

    /// -e: seals and sends the pending header; call right after a sealer is set.
    func sealProxyHeader() {
        guard sourceIsPlain, let header = proxyHeader, let sealer else { return }
        proxyHeader = nil
        let buffers = loop.buffers
        header.withUnsafeBytes { raw in
            let sealed = sealer.seal(raw, into: UnsafeMutableRawBufferPointer(start: buffers.sealed, count: LoopBuffers.sealedCapacity))
            core.metrics?.addEncrypted(raw.count)
            _ = sendOrQueue(cipherFD, buffers.sealed, sealed, toCipher: true)
        }
    }

    /// -d: queues the pending header to the target; call when data starts to flow.
    func writeProxyHeaderToTarget() {
        guard !sourceIsPlain, let header = proxyHeader else { return }
        proxyHeader = nil
        header.withUnsafeBytes { raw in
            if let base = raw.baseAddress { _ = sendOrQueue(plainFD, base, raw.count, toCipher: false) }
        }
    }
}
