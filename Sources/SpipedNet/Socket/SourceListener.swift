// Creates the daemon's listening socket on the source address: SO_REUSEADDR
// for TCP (a restart does not wait for TIME_WAIT), a large backlog (the
// reference's 10 overflows under a burst of connects), close-on-exec and
// non-blocking. A Unix path left behind by a crashed daemon is reclaimed, but
// only when it is a socket nobody accepts on (see StaleUnixSocket.swift);
// anything else keeps the reference's "Address already in use" refusal.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure to set up the listening socket; the text is the reference's.
package enum ListenerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// socket(2) failed.
    case socketFailed(SystemError)
    /// bind(2) failed (e.g. EADDRINUSE).
    case bindFailed(SystemError)
    /// listen(2) failed.
    case listenFailed(SystemError)

    /// `Error binding socket: Address already in use` and the like.
    package var description: String {
        switch self {
        case let .socketFailed(e): return "Error creating socket: \(e)"
        case let .bindFailed(e): return "Error binding socket: \(e)"
        case let .listenFailed(e): return "Error listening on socket: \(e)"
        }
    }
}

/// Binding and listening on the source address.
package enum SourceListener {
    /// The listen backlog: the kernel clamps it to net.core.somaxconn.
    package static let backlog: Int32 = 4096

    /// Returns a listening, non-blocking, close-on-exec socket bound to `address`.
    /// `reclaimStaleUnixSocket` enables the stale-socket recovery for Unix paths.
    package static func listen(on address: SocketAddress, reclaimStaleUnixSocket: Bool = true) throws(ListenerError) -> Int32 {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let fd = socket(address.family, type, 0)
        guard fd >= 0 else { throw .socketFailed(SystemError(errno)) }
        if !address.isUnix {
            var one: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        var rc = address.withSockAddr { bind(fd, $0, $1) }
        if rc != 0, errno == EADDRINUSE, reclaimStaleUnixSocket, let path = address.unixPath,
           StaleUnixSocket.isStale(path: path) {
            // Nothing listens there any more: remove the leftover and try once more.
            _ = unlink(path)
            rc = address.withSockAddr { bind(fd, $0, $1) }
        }
        if rc != 0 {
            let error = SystemError(errno)
            close(fd)
            throw .bindFailed(error)
        }
        if Glibc.listen(fd, backlog) != 0 {
            let error = SystemError(errno)
            close(fd)
            throw .listenFailed(error)
        }
        return fd
    }
}
