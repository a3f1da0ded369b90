// systemd readiness (Type=notify): when $NOTIFY_SOCKET names an AF_UNIX
// datagram socket (a path, or "@name" for the abstract namespace), send
// "READY=1" (with MAINPID) once the source is bound and the daemon is about
// to accept. The socket is connected early, before -u drops privileges, so
// the send still works afterwards. Without $NOTIFY_SOCKET nothing happens;
// a failure to notify is only a warning.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SpipedNet

/// A connection to the service manager's notification socket.
package final class ReadinessNotifier: @unchecked Sendable {
    private var fd: Int32

    private init(fd: Int32) { self.fd = fd }

    /// Connects to $NOTIFY_SOCKET if it is set; nil when it is not set.
    /// Throws a message when it is set but unusable.
    package static func fromEnvironment() throws(NotifyError) -> ReadinessNotifier? {
        guard let raw = getenv("NOTIFY_SOCKET") else { return nil }
        let name = String(cString: raw)
        guard !name.isEmpty else { return nil }
        var bytes = Array(name.utf8)
        guard bytes.first == UInt8(ascii: "/") || bytes.first == UInt8(ascii: "@") else {
            throw NotifyError(message: "NOTIFY_SOCKET is not an absolute path or abstract name: \(name)")
        }
        if bytes[0] == UInt8(ascii: "@") { bytes[0] = 0 }  // abstract namespace
        // A path gets its NUL; an abstract name is sent as is (no NUL).
        guard let address = SocketAddress(unixSocketName: bytes[0] == 0 ? bytes : bytes + [0]) else {
            throw NotifyError(message: "NOTIFY_SOCKET path too long: \(name)")
        }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw NotifyError(message: "Cannot create notification socket: \(SystemError(errno))") }
        guard address.withSockAddr({ connect(fd, $0, $1) }) == 0 else {
            let error = SystemError(errno)
            close(fd)
            throw NotifyError(message: "Cannot connect to NOTIFY_SOCKET \(name): \(error)")
        }
        return ReadinessNotifier(fd: fd)
    }

    /// Sends "READY=1" and this process's pid; later calls do nothing.
    package func notifyReady() throws(NotifyError) {
        guard fd >= 0 else { return }
        defer { close(fd); fd = -1 }
        var message = Array("READY=1\nMAINPID=\(getpid())\n".utf8)
        guard send(fd, &message, message.count, Int32(MSG_NOSIGNAL)) == message.count else {
            throw NotifyError(message: "Cannot notify readiness: \(SystemError(errno))")
        }
    }
}

/// A readiness-notification problem (reported as a warning).
package struct NotifyError: Error, Equatable, Sendable {
    /// The warning text.
    package let message: String
}
