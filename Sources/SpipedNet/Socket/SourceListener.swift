// Creates the daemon's listening socket on the source address: SO_REUSEADDR
// for TCP (a restart does not wait for TIME_WAIT), a large backlog (the
// reference's 10 overflows under a burst of connects), close-on-exec and
// non-blocking. A Unix path left behind by a crashed daemon is reclaimed, but
// only when it is a socket nobody accepts on (see StaleUnixSocket.swift) and
// we hold the path's lock file across the check, unlink, bind and listen
// (UnixSocketLock.swift), kept until the listener is closed; anything else,
// including a lock held by another daemon, keeps the reference's "Address
// already in use" refusal.
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
        // The path's lock, before anything looks at the path.
        var lock: Int32 = -1
        var mayReclaim = false
        if reclaimStaleUnixSocket, let path = address.unixPath {
            switch UnixSocketLock.acquire(for: path) {
            case let .held(lockFD): lock = lockFD; mayReclaim = true
            case .heldByAnother:
                Glibc.close(fd)
                throw .bindFailed(SystemError(EADDRINUSE))
            case .unavailable: break
            }
        }
        func failed(_ error: ListenerError) -> ListenerError {
            Glibc.close(fd)
            if lock >= 0 { Glibc.close(lock) }
            return error
        }
        var rc = address.withSockAddr { bind(fd, $0, $1) }
        var bindError = rc == 0 ? 0 : errno   // before the probe's connect overwrites errno
        if rc != 0, bindError == EADDRINUSE, mayReclaim, let path = address.unixPath,
           StaleUnixSocket.isStale(path: path) {
            // Nothing listens there and no daemon of ours owns it: remove the leftover, try once more.
            _ = unlink(path)
            rc = address.withSockAddr { bind(fd, $0, $1) }
            bindError = rc == 0 ? 0 : errno
        }
        if rc != 0 { throw failed(.bindFailed(SystemError(bindError))) }
        if Glibc.listen(fd, backlog) != 0 { throw failed(.listenFailed(SystemError(errno))) }
        if lock >= 0 { UnixSocketLock.keep(lock, for: fd) }
        return fd
    }

    /// Closes a listener made by ``listen(on:reclaimStaleUnixSocket:)`` and
    /// releases its Unix path's lock (a daemon keeps both until it exits).
    package static func close(_ listener: Int32) {
        UnixSocketLock.release(for: listener)
        _ = Glibc.close(listener)
    }
}
