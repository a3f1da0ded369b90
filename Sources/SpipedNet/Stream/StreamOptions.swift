// How a library connection is made and run: the spiped options that apply
// to one connection (-o, -f, -g, -b, -j) and the per-direction buffer bound.
import SpipedProtocol

/// Options for one library connection (client or accepted).
package struct StreamOptions: Sendable {
    /// Seconds for the connect and, separately, for the handshake (`-o`).
    package var timeout: Double
    /// `-f` and `-g`.
    package var handshake: HandshakeOptions
    /// Local address for outgoing connections (`-b`).
    package var bindAddress: SocketAddress?
    /// SO_KEEPALIVE (true unless `-j`).
    package var keepAlive: Bool
    /// Plaintext bytes a connection holds per direction before it pushes back.
    package var bufferLimit: Int

    /// The default bound per direction: 256 KiB.
    package static let defaultBufferLimit = 256 * 1024

    package init(timeout: Double = 5, handshake: HandshakeOptions = HandshakeOptions(),
                 bindAddress: SocketAddress? = nil, keepAlive: Bool = true,
                 bufferLimit: Int = StreamOptions.defaultBufferLimit) {
        self.timeout = timeout
        self.handshake = handshake
        self.bindAddress = bindAddress
        self.keepAlive = keepAlive
        self.bufferLimit = max(bufferLimit, SpipedSession.maxPayloadByteCount)
    }

    /// The timeout in nanoseconds, at least 1 ms (infinity is capped far away, as for -o).
    var timeoutNanoseconds: UInt64 { max(MonotonicClock.nanoseconds(timeout), 1_000_000) }
}
