// Decides whether a Unix socket path left on disk may be removed so a
// restarted daemon can bind it again. The rule is deliberately narrow: the
// path must be a socket (lstat, so a symlink is never followed) AND a
// connect() to it must be refused (ECONNREFUSED: no process listens on it).
// A regular file, a directory, a symlink, or a socket that accepts (a live
// daemon) is never touched. The probe is non-blocking: a live daemon whose
// backlog is full answers EAGAIN, which counts as live, instead of holding
// our start-up until a slot frees.
//
// The check alone cannot tell a crashed daemon's socket from one another
// daemon has bound and not yet put into listen(2); SourceListener closes
// that window with a lock file beside the socket (UnixSocketLock.swift).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The stale Unix socket check.
package enum StaleUnixSocket {
    /// True only if `path` is a socket that no process accepts connections on.
    package static func isStale(path: String) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFSOCK else { return false }
        guard let address = SocketAddress(unixPath: path) else { return false }
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let fd = socket(AF_UNIX, type, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let rc = address.withSockAddr { connect(fd, $0, $1) }
        // Success, EAGAIN (backlog full) or EINPROGRESS: someone listens.
        return rc != 0 && errno == ECONNREFUSED
    }
}
