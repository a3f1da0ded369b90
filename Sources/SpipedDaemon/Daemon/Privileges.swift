// The -u option: `user`, `:group` or `user:group`, applied after the source
// socket is bound. Names are looked up in the user and group databases (a
// number is accepted when no such name exists). The order is the safe one:
// supplementary groups, then gid, then uid (after setuid the others would no
// longer be allowed). Any failure is an error: the daemon must not keep
// running with more privilege than the operator asked for.
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

/// Why privileges could not be dropped; the lines are printed as `spiped: <line>`.
package struct PrivilegeError: Error, Equatable, Sendable {
    /// The diagnostic lines (the last is "Failed to drop privileges...").
    package let lines: [String]
}

/// Switching user and group.
package enum Privileges {
    /// Applies `spec` (the text of -u) to this process.
    package static func drop(to text: String) throws(PrivilegeError) {
        guard let spec = PrivilegeSpec(text) else {
            throw PrivilegeError(lines: ["Invalid user or group: \(text)", "Failed to drop privileges"])
        }
        var uid: uid_t?
        var gid: gid_t?
        if let user = spec.user {
            guard let entry = lookUpUser(user) else {
                throw PrivilegeError(lines: ["No such user: \(user)", "Failed to drop privileges"])
            }
            uid = entry.uid
            gid = entry.gid
        }
        if let group = spec.group {
            guard let found = lookUpGroup(group) else {
                throw PrivilegeError(lines: ["No such group: \(group)", "Failed to drop privileges"])
            }
            gid = found
        }
        if let gid {
            var groups = [gid]
            // Without root this fails with EPERM; setgid below then decides.
            if setgroups(1, &groups) != 0 && errno != EPERM { throw failure() }
            if setgid(gid) != 0 { throw failure() }
        }
        if let uid, setuid(uid) != 0 { throw failure() }
    }

    private static func failure() -> PrivilegeError {
        PrivilegeError(lines: ["Failed to drop privileges: \(SystemError(errno))"])
    }

    /// uid and primary gid of a user name (or numeric uid).
    static func lookUpUser(_ name: String) -> (uid: uid_t, gid: gid_t)? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        if getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil {
            return (entry.pw_uid, entry.pw_gid)
        }
        guard let number = UInt32(name) else { return nil }
        if getpwuid_r(number, &entry, &buffer, buffer.count, &result) == 0, result != nil {
            return (entry.pw_uid, entry.pw_gid)
        }
        // A bare number with no passwd entry: keep the current group.
        return (number, getgid())
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
