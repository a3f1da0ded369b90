// The -u option: `user`, `:group` or `user:group`, applied after the source
// socket is bound. Names are looked up in the user and group databases (a
// number is accepted when no such name exists). The order is the safe one:
// supplementary groups, then gid, then uid (after setuid the others would no
// longer be allowed). Any failure is an error: the daemon must not keep
// running with more privilege than the operator asked for. So a numeric user
// with no passwd entry is refused unless a group is given (it has no primary
// group to switch to, and keeping ours would keep root's gid 0 and groups),
// and a setgroups(2) refused with EPERM (not root: the supplementary groups
// stay as they are) is warned about rather than passed over in silence.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SpipedNet

/// A parsed `-u` argument.
package struct PrivilegeSpec: Sendable, Equatable {
    /// The user to become, if any.
    package var user: String?
    /// The group to become, if any (else the user's primary group).
    package var group: String?

    /// Parses `user`, `:group` or `user:group`; nil for an empty user and group.
    package init?(_ text: String) {
        if let colon = text.firstIndex(of: ":") {
            let u = String(text[..<colon]), g = String(text[text.index(after: colon)...])
            user = u.isEmpty ? nil : u
            group = g.isEmpty ? nil : g
        } else {
            user = text.isEmpty ? nil : text
            group = nil
        }
        if user == nil && group == nil { return nil }
    }
}


/// Switching user and group.
package enum Privileges {
    /// Applies `spec` (the text of -u) to this process; `warn` receives the
    /// warnings (supplementary groups left unchanged).
    package static func drop(to text: String, warn: (String) -> Void = { _ in }) throws(LaunchFailure) {
        guard let spec = PrivilegeSpec(text) else {
            throw LaunchFailure(lines: ["Invalid user or group: \(text)", "Failed to drop privileges"])
        }
        var uid: uid_t?
        var gid: gid_t?
        if let user = spec.user {
            switch lookUpUser(user) {
            case nil:
                throw LaunchFailure(lines: ["No such user: \(user)", "Failed to drop privileges"])
            case let .entry(entryUID, entryGID):
                uid = entryUID
                gid = entryGID
            case let .numberWithoutEntry(number):
                guard spec.group != nil else {
                    throw LaunchFailure(lines: ["No such user: \(user) (a numeric user without a passwd entry needs a group: -u \(user):<group>)",
                                                 "Failed to drop privileges"])
                }
                uid = number
            }
        }
        if let group = spec.group {
            guard let found = lookUpGroup(group) else {
                throw LaunchFailure(lines: ["No such group: \(group)", "Failed to drop privileges"])
            }
            gid = found
        }
        if let gid {
            var groups = [gid]
            // Without root this fails with EPERM; setgid below then decides.
            if setgroups(1, &groups) != 0 {
                guard errno == EPERM else { throw failure() }
                warn("WARNING: could not set supplementary groups (\(SystemError(EPERM))); they are left as they are")
            }
            if setgid(gid) != 0 { throw failure() }
        }
        if let uid, setuid(uid) != 0 { throw failure() }
    }

    private static func failure() -> LaunchFailure {
        LaunchFailure(lines: ["Failed to drop privileges: \(SystemError(errno))"])
    }

    /// What a -u user name resolved to.
    enum UserLookup: Equatable {
        /// A passwd entry: its uid and primary gid.
        case entry(uid: uid_t, gid: gid_t)
        /// A number with no passwd entry: a uid, but no group to go with it.
        case numberWithoutEntry(uid_t)
    }

    /// A user name (or numeric uid) in the passwd database; nil if neither.
    static func lookUpUser(_ name: String) -> UserLookup? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        if getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil {
            return .entry(uid: entry.pw_uid, gid: entry.pw_gid)
        }
        guard let number = UInt32(name) else { return nil }
        if getpwuid_r(number, &entry, &buffer, buffer.count, &result) == 0, result != nil {
            return .entry(uid: entry.pw_uid, gid: entry.pw_gid)
        }
        return .numberWithoutEntry(number)
    }

    /// gid of a group name (or numeric gid).
    static func lookUpGroup(_ name: String) -> gid_t? {
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 16384)
        if getgrnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil {
            return entry.gr_gid
        }
        return UInt32(name)
    }
}
