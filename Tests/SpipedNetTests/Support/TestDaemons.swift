// Starting spiped daemons for a scenario: ours or the reference, in the
// foreground (-F) with stderr to a file, waiting (via /proc/net, without
// connecting) until the source listens. Also an encrypted "pair": an -e in
// front of a -d in front of a server, the shape every interop test uses.
import Foundation
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif
import SpipedTestSupport

/// Which implementation to run.
enum Implementation: String, CustomStringConvertible, Sendable, CaseIterable {
    case ours, reference
    var description: String { rawValue }
    var spiped: String { self == .ours ? TestEnvironment.ourSpiped : TestEnvironment.referenceSpiped }
    var spipe: String { self == .ours ? TestEnvironment.ourSpipe : TestEnvironment.referenceSpipe }
}

/// A running spiped.
final class RunningDaemon: @unchecked Sendable {
    let process: ChildProcess
    let source: SocketAddress
    let sourceText: String
    let stderrPath: String

    /// Starts `implementation`'s spiped with `-F` added; nil if it did not start listening.
    init?(_ implementation: Implementation, mode: String, source: (text: String, address: SocketAddress),
          target: String, key: String, extra: [String] = [], scratch: Scratch,
          environment: [String: String]? = nil, foreground: Bool = true) {
        sourceText = source.text
        self.source = source.address
        stderrPath = scratch.path("spiped-\(UUID().uuidString).err")
        let arguments = [mode, "-s", source.text, "-t", target, "-k", key] + (foreground ? ["-F"] : []) + extra
        guard let child = try? ChildProcess(implementation.spiped, arguments, environment: environment,
                                            stderr: .file(stderrPath)) else { return nil }
        process = child
        guard TestSockets.waitUntilListening(source.address, timeout: 10) else {
            child.killAndReap()
            return nil
        }
    }

    /// What the daemon wrote to stderr so far.
    var stderr: String { FileContents.text(stderrPath) ?? "" }

    /// SIGTERM, then wait; returns the exit status (nil if it did not exit in time).
    func terminate(timeout: Double = 10) -> Int32? {
        process.send(SIGTERM)
        return process.wait(timeout: timeout)
    }

    deinit { process.killAndReap() }
}

/// client -> [-e daemon] -> [-d daemon] -> server.
final class EncryptedPair: @unchecked Sendable {
    let encryptor: RunningDaemon
    let decryptor: RunningDaemon

    /// Entry point for plaintext clients.
    var entry: SocketAddress { encryptor.source }

    init?(client: Implementation, server: Implementation, serverTarget: String, scratch: Scratch,
          clientKey: String? = nil, clientExtra: [String] = [], serverExtra: [String] = []) {
        let middle = TestSockets.loopback(TestSockets.freePort())
        guard let d = RunningDaemon(server, mode: "-d", source: middle, target: serverTarget,
                                    key: scratch.key, extra: serverExtra, scratch: scratch) else { return nil }
        let front = TestSockets.loopback(TestSockets.freePort())
        guard let e = RunningDaemon(client, mode: "-e", source: front, target: middle.text,
                                    key: clientKey ?? scratch.key, extra: clientExtra, scratch: scratch) else { return nil }
        decryptor = d
        encryptor = e
    }
}
