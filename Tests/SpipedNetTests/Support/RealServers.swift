// Real servers for the end-to-end client tests, each private to one scratch
// directory and a free loopback port: an OpenSSH sshd (its own host key,
// one authorized client key, no PAM, no pidfile, foreground with logs to a
// file) and a Redis server (no persistence). Starting waits until the port
// listens; the process is killed when the handle goes away.
import Foundation
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif
import SpipedTestSupport

/// A failure to set up a real server, with what it printed.
struct RealServerError: Error, CustomStringConvertible {
    let description: String
}

/// An sshd on 127.0.0.1 that accepts one generated client key for the current user.
final class SSHServer: @unchecked Sendable {
    let port: UInt16
    let address: (text: String, address: SocketAddress)
    /// The private key the client must use.
    let clientKey: String
    /// The user to log in as (the one running the tests).
    let user: String
    let process: ChildProcess
    private let scratch: Scratch

    init(scratch: Scratch, kit: ExternalKit = .openSSH) throws {
        self.scratch = scratch
        let hostKey = scratch.path("ssh_host_ed25519_key")
        clientKey = scratch.path("id_ed25519")
        for key in [hostKey, clientKey] {
            let made = try Captured.run(kit.path("ssh-keygen"), ["-q", "-t", "ed25519", "-N", "", "-C", "spiped-test", "-f", key],
                                        in: scratch)
            guard made.status == 0 else { throw RealServerError(description: "ssh-keygen failed: \(made.stderr)") }
        }
        try String(contentsOfFile: clientKey + ".pub", encoding: .utf8)
            .write(toFile: scratch.path("authorized_keys"), atomically: true, encoding: .utf8)
        user = Self.currentUser()
        if geteuid() == 0 {
            // sshd running as root insists on its privilege-separation directory
            // (systemd's tmpfiles make it at boot; a container may not have it).
            mkdir("/run/sshd", 0o755)
        }
        port = TestSockets.freePort()
        address = TestSockets.loopback(port)
        let config = scratch.path("sshd_config")
        try """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(hostKey)
            AuthorizedKeysFile \(scratch.path("authorized_keys"))
            PidFile none
            StrictModes no
            UsePAM no
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            Subsystem sftp internal-sftp
            LogLevel VERBOSE

            """.write(toFile: config, atomically: true, encoding: .utf8)
        // sshd re-executes itself, so it must be started by absolute path.
        process = try ChildProcess(kit.path("sshd"), ["-D", "-e", "-f", config], stderr: .file(scratch.path("sshd.log")))
        guard TestSockets.waitUntilListening(address.address, timeout: 10) else {
            process.killAndReap()
            throw RealServerError(description: "sshd did not listen: \(scratch.text("sshd.log"))")
        }
    }

    /// What sshd logged so far.
    var log: String { scratch.text("sshd.log") }

    /// Options that make ssh and scp use only what the test sets up: no user
    /// config, no agent, no known_hosts, batch mode, the client key and `proxyCommand`.
    func clientOptions(proxyCommand: String) -> [String] {
        ["-F", "/dev/null",
         "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
         "-o", "IdentityFile=\(clientKey)", "-o", "User=\(user)",
         "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=/dev/null",
         "-o", "ConnectTimeout=20", "-o", "LogLevel=ERROR",
         "-o", "ProxyCommand=\(proxyCommand)"]
    }

    static func currentUser() -> String {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        if getpwuid_r(geteuid(), &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name {
            return String(cString: name)
        }
        return ProcessInfo.processInfo.environment["USER"] ?? "root"
    }

    deinit { process.killAndReap() }
}

/// A redis-server on 127.0.0.1 without persistence.
final class RedisServer: @unchecked Sendable {
    let address: (text: String, address: SocketAddress)
    let process: ChildProcess
    private let scratch: Scratch

    init(scratch: Scratch, kit: ExternalKit = .redis) throws {
        self.scratch = scratch
        let port = TestSockets.freePort()
        address = TestSockets.loopback(port)
        process = try ChildProcess(kit.path("redis-server"),
                                   ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                    "--daemonize", "no", "--dir", scratch.directory, "--logfile", ""],
                                   stdout: .file(scratch.path("redis.log")), stderr: .file(scratch.path("redis.log")))
        guard TestSockets.waitUntilListening(address.address, timeout: 10) else {
            process.killAndReap()
            throw RealServerError(description: "redis-server did not listen: \(scratch.text("redis.log"))")
        }
    }

    /// What redis-server logged so far.
    var log: String { scratch.text("redis.log") }

    deinit { process.killAndReap() }
}

/// Single-quotes `text` for a POSIX shell (ssh runs ProxyCommand with one).
func shellQuoted(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
