// systemd socket activation (`-s systemd`, `-s systemd:NAME`): takes the one
// listening socket the service manager passed, as sd_listen_fds(3) describes
// the hand-over: descriptors 3 .. 3+LISTEN_FDS-1, meant for us only when
// LISTEN_PID is our pid, named (colon-separated) by LISTEN_FDNAMES from
// FileDescriptorName= ("unknown" when unnamed). Guarantees:
// - A missing, foreign (LISTEN_PID not ours), empty or ambiguous hand-over, a
//   name that matches no socket or several, or a socket that is not a
//   listening stream socket is an error with a message, never a guess.
// - Once looked at, the three variables are unset (children must not think
//   the sockets are theirs) and every passed descriptor is close-on-exec.
//   Passed sockets we do not use stay open (closing them would not give them
//   back to systemd, and a later restart gets them again anyway).
// - The socket is shared with the service manager: the daemon must never
//   shutdown(2) it (that would refuse connections for the next instance too);
//   see ListenerOwnership.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the passed sockets could not be used.
package enum SystemdSocketError: Error, Equatable, Sendable, CustomStringConvertible {
    /// LISTEN_FDS is unset, or LISTEN_PID is unset or not our pid.
    case notActivated
    /// LISTEN_FDS or LISTEN_PID is not a number.
    case malformed(variable: String, value: String)
    /// LISTEN_FDS is 0.
    case noSockets
    /// Several sockets and `-s systemd` did not say which.
    case ambiguous(names: [String])
    /// No passed socket has this name.
    case nameNotFound(String, names: [String])
    /// Several passed sockets have this name.
    case nameAmbiguous(String)
    /// The chosen descriptor is not a listening stream socket.
    case notListeningStream(fd: Int32)

    package var description: String {
        switch self {
        case .notActivated:
            return "-s systemd: no socket passed by the service manager (LISTEN_FDS/LISTEN_PID not set for this process)"
        case let .malformed(variable, value):
            return "-s systemd: \(variable) is not a number: \(value)"
        case .noSockets:
            return "-s systemd: the service manager passed no sockets (LISTEN_FDS=0)"
        case let .ambiguous(names):
            return "-s systemd: \(names.count) sockets passed (\(names.joined(separator: ", "))); pick one with -s systemd:NAME"
        case let .nameNotFound(name, names):
            return "-s systemd:\(name): no passed socket has that name (passed: \(names.joined(separator: ", ")))"
        case let .nameAmbiguous(name):
            return "-s systemd:\(name): several passed sockets have that name"
        case let .notListeningStream(fd):
            return "-s systemd: descriptor \(fd) is not a listening stream socket"
        }
    }
}

/// Taking a socket from the service manager.
package enum SystemdSockets {
    /// The first passed descriptor (SD_LISTEN_FDS_START).
    package static let firstDescriptor: Int32 = 3

    /// The hand-over as the environment describes it, without touching any descriptor.
    package struct HandOver: Equatable {
        /// The passed descriptors, in order.
        package var descriptors: [Int32]
        /// Their names (LISTEN_FDNAMES, "unknown" where not given).
        package var names: [String]
    }

    /// Reads the three variables (pure: the caller passes their values and our pid).
    package static func handOver(listenPID: String?, listenFDs: String?, listenFDNames: String?,
                         pid: pid_t) throws(SystemdSocketError) -> HandOver {
        guard let listenPID, let listenFDs else { throw .notActivated }
        guard let owner = Int32(listenPID) else { throw .malformed(variable: "LISTEN_PID", value: listenPID) }
        guard owner == pid else { throw .notActivated }
        guard let count = Int32(listenFDs), count >= 0, count < 4096 else {
            throw .malformed(variable: "LISTEN_FDS", value: listenFDs)
        }
        guard count > 0 else { throw .noSockets }
        let descriptors = (0..<count).map { firstDescriptor + $0 }
        var names = (listenFDNames ?? "").split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if listenFDNames == nil || names.count != descriptors.count {
            // sd_listen_fds_with_names: a count mismatch is the manager's bug; name them all "unknown".
            names = Array(repeating: "unknown", count: descriptors.count)
        }
        return HandOver(descriptors: descriptors, names: names)
    }

    /// Which descriptor `name` (nil: the only one) selects.
    package static func choose(_ name: String?, from handOver: HandOver) throws(SystemdSocketError) -> Int32 {
        guard let name else {
            guard handOver.descriptors.count == 1 else { throw .ambiguous(names: handOver.names) }
            return handOver.descriptors[0]
        }
        let matches = handOver.descriptors.indices.filter { handOver.names[$0] == name }
        guard !matches.isEmpty else { throw .nameNotFound(name, names: handOver.names) }
        guard matches.count == 1 else { throw .nameAmbiguous(name) }
        return handOver.descriptors[matches[0]]
    }

    /// Takes the listening socket `name` selects (nil: the only one) from the
    /// environment: unsets LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES, marks
    /// every passed descriptor close-on-exec, and checks the chosen one is a
    /// listening stream socket.
    package static func take(_ name: String?) throws(SystemdSocketError) -> Int32 {
        let variables = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"]
        let values = variables.map { getenv($0).map { String(cString: $0) } }
        for variable in variables { unsetenv(variable) }
        let handOver = try handOver(listenPID: values[0], listenFDs: values[1], listenFDNames: values[2], pid: getpid())
        for fd in handOver.descriptors {
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
        let fd = try choose(name, from: handOver)
        guard isListeningStream(fd) else { throw .notListeningStream(fd: fd) }
        return fd
    }

    /// Whether `fd` is a stream socket in the listening state.
    static func isListeningStream(_ fd: Int32) -> Bool {
        var type: Int32 = 0, listening: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0, type == Int32(SOCK_STREAM.rawValue) else {
            return false
        }
        length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0 && listening != 0
    }
}
