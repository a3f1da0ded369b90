// Thin wrappers over the socket system calls the engine uses: socket options
// (keep-alive, no-delay, non-blocking), send without SIGPIPE, receive,
// SO_ERROR and errno text. They never throw; each returns the raw result or
// errno so callers decide what a failure means (most of the engine treats any
// unexpected error as "drop this connection", never as fatal).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// System-call helpers for stream sockets.
enum SocketCalls {
    /// `MSG_NOSIGNAL`: a write to a reset peer returns EPIPE instead of raising SIGPIPE.
    static let sendFlags: Int32 = Int32(MSG_NOSIGNAL)

    /// The C library's text for an errno value ("Connection refused").
    static func errorText(_ code: Int32) -> String {
        SystemError.text(code)
    }

    /// Sets SO_KEEPALIVE; failure is ignored (the reference does the same).
    static func setKeepAlive(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Sets TCP_NODELAY; fails harmlessly (EOPNOTSUPP) on Unix sockets, which is ignored.
    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Applies the per-socket options of a proxied connection.
    static func configureStream(_ fd: Int32, keepAlive: Bool) {
        if keepAlive { setKeepAlive(fd) }
        setNoDelay(fd)
    }

    /// Switches O_NONBLOCK on or off; returns false if fcntl failed.
    @discardableResult
    static func setNonBlocking(_ fd: Int32, _ on: Bool) -> Bool {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0 else { return false }
        let wanted = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        return wanted == flags || fcntl(fd, F_SETFL, wanted) == 0
    }

    /// The pending socket error (SO_ERROR), which also clears it; errno if getsockopt fails.
    static func pendingError(_ fd: Int32) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) != 0 { return errno }
        return value
    }

    /// The outcome of one non-blocking transfer.
    enum Transfer: Equatable {
        /// `count` bytes moved (for a read, 0 means end of stream).
        case done(Int)
        /// Nothing can move now (EAGAIN / EWOULDBLOCK / EINTR).
        case wouldBlock
        /// A real error (the errno value).
        case failed(Int32)
    }

    /// One `recv(2)` into `buffer`.
    @inline(__always)
    static func receive(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Transfer {
        let n = recv(fd, buffer, count, 0)
        if n >= 0 { return .done(n) }
        return classify(errno)
    }

    /// One `send(2)` of `count` bytes, without SIGPIPE.
    @inline(__always)
    static func send(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Transfer {
        let n = Glibc.send(fd, buffer, count, sendFlags)
        if n >= 0 { return .done(n) }
        return classify(errno)
    }

    @inline(__always)
    private static func classify(_ code: Int32) -> Transfer {
        if code == EAGAIN || code == EWOULDBLOCK || code == EINTR { return .wouldBlock }
        return .failed(code)
    }

    /// Closes a descriptor, retrying nothing (Linux always releases it, even on EINTR).
    static func closeDescriptor(_ fd: Int32) {
        if fd >= 0 { _ = close(fd) }
    }

    /// Ignores SIGPIPE process-wide: writes to stdout pipes (spipe) cannot use MSG_NOSIGNAL.
    static func ignoreSIGPIPE() {
        _ = signal(SIGPIPE, SIG_IGN)
    }
}
