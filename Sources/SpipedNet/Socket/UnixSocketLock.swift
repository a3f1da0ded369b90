// The lock that makes reclaiming a stale Unix source socket safe between
// our daemons: `<socket path>.lock`, held with flock(LOCK_EX | LOCK_NB)
// from before the stale check until the daemon exits. Whoever holds it owns
// the socket path, so a second daemon starting at the same moment, or one
// finding the socket in the window between another's bind and listen, sees
// the lock taken and reports "Address already in use" without touching
// the socket.
//
// Guarantees: the lock file is opened without following a symlink and
// created mode 0600; the descriptor is close-on-exec, survives the fork
// into the background (the lock belongs to the open file, which the child
// keeps) and is never closed while the daemon runs. The lock file itself is
// left in place at exit: removing it would let a second daemon lock a new
// file while a third still holds the old one. A lock file that cannot be
// opened (read-only directory, owned by another user) disables the reclaim
// for this start, never the bind. A C spiped does not take the lock; the
// probe still keeps its live socket safe.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ownership of a Unix socket path among this implementation's daemons.
enum UnixSocketLock {
    /// What trying the lock found.
    enum Outcome {
        /// We hold it: the descriptor stays open for as long as the lock is needed.
        case held(Int32)
        /// Another process holds it: that daemon owns the path.
        case heldByAnother
        /// No lock file could be used (the path is then never reclaimed).
        case unavailable
    }

    /// The lock file's path for a socket path.
    static func lockPath(for socketPath: String) -> String { socketPath + ".lock" }

    /// Tries to take the lock for `socketPath` without waiting.
    static func acquire(for socketPath: String) -> Outcome {
        let path = lockPath(for: socketPath)
        var fd: Int32
        repeat {
            fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else { return .unavailable }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return .unavailable
        }
        var rc: Int32
        repeat { rc = flock(fd, LOCK_EX | LOCK_NB) } while rc != 0 && errno == EINTR
        if rc == 0 { return .held(fd) }
        let code = errno
        close(fd)
        return code == EWOULDBLOCK ? .heldByAnother : .unavailable
    }

    /// Locks held by this process for listeners it created, by listener fd.
    private static let held = ForkSafeLock<[Int32: Int32]>([:])

    /// Keeps `lock` for as long as `listener` is open.
    static func keep(_ lock: Int32, for listener: Int32) {
        held.withLock { $0[listener] = lock }
    }

    /// Releases the lock kept for `listener`, if any.
    static func release(for listener: Int32) {
        if let lock = held.withLock({ $0.removeValue(forKey: listener) }) { close(lock) }
    }
}
