// Starting a non-blocking connect(2) to one resolved address: a close-on-exec,
// non-blocking stream socket with the proxy's options (keep-alive unless -j,
// TCP_NODELAY), bound first to the -b address when one is given. A connect
// that completes inside connect(2) (loopback TCP usually does) is reported as
// connected at once; otherwise the caller waits for writability and reads
// SO_ERROR to learn the outcome.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opening outgoing connections.
enum OutgoingSocket {
    /// The immediate outcome of starting a connect.
    enum Start {
        /// Connected already (common for Unix sockets).
        case connected(Int32)
        /// In progress: wait for EPOLLOUT, then check SO_ERROR.
        case inProgress(Int32)
        /// Failed at once (errno); no descriptor is left open.
        case failed(Int32)
    }

    /// Creates a socket for `address` and starts connecting it without blocking.
    static func startConnect(to address: SocketAddress, bindAddress: SocketAddress?, keepAlive: Bool) -> Start {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(address.family, type, 0)
        guard fd >= 0 else { return .failed(errno) }
        SocketCalls.configureStream(fd, keepAlive: keepAlive)
        if let local = bindAddress {
            if local.withSockAddr({ bind(fd, $0, $1) }) != 0 {
                let code = errno
                SocketCalls.closeDescriptor(fd)
                return .failed(code)
            }
        }
        if address.withSockAddr({ connect(fd, $0, $1) }) == 0 { return .connected(fd) }
        let code = errno
        // EINPROGRESS: TCP handshake under way (EINTR on a non-blocking socket means the
        // same: the connect continues). EAGAIN on a Unix socket means its backlog is
        // full: the reference treats that as a failed connect, so do we.
        if code == EINPROGRESS || code == EINTR {
            // On loopback the TCP handshake usually completes inside connect(2):
            // if it did, skip the EPOLLOUT round (epoll_ctl, epoll_wait,
            // getsockopt) and start the handshake now.
            return isConnected(fd) ? .connected(fd) : .inProgress(fd)
        }
        SocketCalls.closeDescriptor(fd)
        return .failed(code)
    }

    /// Whether a connect in progress has already completed successfully:
    /// getpeername(2) succeeds only on a connected socket (ENOTCONN while the
    /// handshake runs or after it failed; the EPOLLOUT path reports failures).
    private static func isConnected(_ fd: Int32) -> Bool {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) == 0 }
        }
    }
}
