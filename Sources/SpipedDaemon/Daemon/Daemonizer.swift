// Detaching from the terminal the way the reference does, with a stronger
// promise: fork, and the parent exits only when the child says so: 0 once the
// child reports it is ready to accept (or, with -D, once it has detached), 1
// if the child fails first (its error is already on stderr). The child starts
// a new session and writes the pidfile (the pid, no newline, as the reference
// writes it; never through a symlink or into anything but a regular file). This must run before any thread exists: fork copies only the
// calling thread.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SpipedNet

/// The child's side of the parent's wait: report readiness once.
package final class DaemonReadiness: @unchecked Sendable {
    private var fd: Int32

    init(fd: Int32) { self.fd = fd }

    /// Tells the waiting parent to exit 0. Later calls do nothing.
    package func signalReady() {
        guard fd >= 0 else { return }
        var byte: UInt8 = 0x52  // 'R'
        _ = write(fd, &byte, 1)
        close(fd)
        fd = -1
    }

    /// Makes the waiting parent exit 1 (the child failed). Exiting does the same.
    package func signalFailure() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }
}

/// Forking into the background.
package enum Daemonizer {
    /// Forks. Returns only in the child; the parent waits for the child's
    /// report and exits. Throws (in the original process) if fork or pipe fails.
    package static func detach(pidfile: String) throws(LaunchFailure) -> DaemonReadiness {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw LaunchFailure(lines: ["Failed to daemonize: \(SystemError(errno))"]) }
        // Close-on-exec: nothing we might exec may hold the parent waiting.
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        let pid = fork()
        if pid < 0 {
            let error = SystemError(errno)
            close(fds[0]); close(fds[1])
            throw LaunchFailure(lines: ["Failed to daemonize: \(error)"])
        }
        if pid > 0 {
            close(fds[1])
            var byte: UInt8 = 0
            var n: Int
            repeat { n = read(fds[0], &byte, 1) } while n < 0 && errno == EINTR
            // _exit: nothing of the parent's buffered state may be flushed twice.
            _exit(n == 1 ? 0 : 1)
        }
        close(fds[0])
        let readiness = DaemonReadiness(fd: fds[1])
        _ = setsid()
        do throws(LaunchFailure) {
            try writePidfile(pidfile)
        } catch {
            readiness.signalFailure()
            throw error
        }
        return readiness
    }

    /// Writes this process's pid to `path` (replacing any old file).
    ///
    /// The daemon may still be root here, and the pidfile's directory may be
    /// writable by others: the file is opened without following a symlink
    /// (O_NOFOLLOW) and without blocking (a FIFO), and anything that is not a
    /// regular file is refused before a byte is written; only then is it
    /// truncated.
    package static func writePidfile(_ path: String) throws(LaunchFailure) {
        var fd: Int32
        repeat {
            fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0o644)
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else {
            let code = errno
            if code == ELOOP {
                throw LaunchFailure(lines: ["Refusing pidfile \(path): it is a symbolic link", "Failed to daemonize"])
            }
            // ENXIO: a FIFO nobody reads (O_NONBLOCK); EISDIR: a directory.
            if code == ENXIO || code == EISDIR {
                throw LaunchFailure(lines: ["Refusing pidfile \(path): not a regular file", "Failed to daemonize"])
            }
            throw LaunchFailure(lines: ["fopen(\(path)): \(SystemError(code))", "Failed to daemonize"])
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw LaunchFailure(lines: ["Refusing pidfile \(path): not a regular file", "Failed to daemonize"])
        }
        guard ftruncate(fd, 0) == 0 else {
            throw LaunchFailure(lines: ["ftruncate(\(path)): \(SystemError(errno))", "Failed to daemonize"])
        }
        var text = Array(String(getpid()).utf8)
        let written = write(fd, &text, text.count)
        guard written == text.count else {
            throw LaunchFailure(lines: ["fprintf(\(path)): \(SystemError(errno))", "Failed to daemonize"])
        }
    }
}

