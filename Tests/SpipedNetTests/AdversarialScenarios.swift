// The harness the adversarial tests share: runs one `Attack` (what an
// `AdversaryPeer` does on its connection) against our `spiped -d` (the
// attacker is the client), our `spiped -e` (the attacker is the server -e
// connects to; a plaintext client sits on the other side) or our `spipe`
// (the attacker is its server), and checks what every attack must get:
// - the connection is dropped, seen by the attacker within the attack's bound;
// - nothing but the attack's legitimate bytes reaches the plaintext side
//   (the -d target server, the -e client, spipe's stdout);
// - for a handshake failure, the attacker receives nothing after its bad
//   message (a -d server never reveals y_S to an unverified client);
// - an honest connection through the same daemon still works afterwards;
// - the daemon is still running and its descriptor count returns to the
//   baseline it had before the attack (no leak);
// - spipe exits with status 1.
import Foundation
import Testing
import SpipedDaemon
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif
import SpipedTestSupport

/// The program under attack.
enum AttackedProgram: String, CaseIterable, Sendable, CustomStringConvertible {
    case decryptor = "spiped -d", encryptor = "spiped -e", spipe = "spipe"
    var description: String { rawValue }
}

/// One misbehaviour, written once for both roles.
struct Attack: Sendable, CustomStringConvertible {
    let name: String
    /// Flags for the attacked program besides `-o` (e.g. `-g`).
    var flags: [String] = []
    /// The `-o` timeout given to the program; attacks on malformed input use
    /// a long one so a drop within `bound` shows it did not wait for the timeout.
    var timeout = 5
    /// Whether the attacker uses the wrong key.
    var wrongKey = false
    /// Plaintext that legitimately reaches the plaintext side before the attack.
    var legitimate: [UInt8] = []
    /// Whether the attacker must receive nothing after its misbehaviour.
    var expectSilence = false
    /// The drop must come within this many seconds (and, when set, not before `notBefore`).
    var bound = 3.0
    var notBefore = 0.0
    /// Whether the attacker ends the connection itself with a reset: it then
    /// sees no drop, and only the program-side checks apply.
    var attackerResets = false
    /// Whether the program must accept the connection instead (positive cases).
    var accepted = false
    /// The attack: the peer is connected (client against -d, server for
    /// -e/spipe); returns the drop it saw, nil when a step before the
    /// misbehaviour failed.
    let run: @Sendable (AdversaryPeer) -> DropReport?

    var description: String { name }

    /// Whether `count` bytes reaching the plaintext side is right.
    func allowsDelivered(count: Int) -> Bool {
        count == legitimate.count
    }

    /// Whether `bytes` reaching the plaintext side is right.
    func allowsDelivered(_ bytes: [UInt8]) -> Bool {
        bytes == legitimate
    }
}

enum AdversarialScenario {
    /// Generous wait for the attacker's view of the drop (the bound is checked separately).
    static let observation = 10.0
    static let plainPayload = Array("plaintext from the honest side\n".utf8)

    /// The daemon's source: a Unix socket in the test's own directory. Every
    /// socket of these tests is one, so parallel tests cannot race for a
    /// loopback port (a daemon whose bind failed would look "listening"
    /// when another test holds the port).
    static func unixSource(_ scratch: Scratch) -> (text: String, address: SocketAddress) {
        let path = scratch.path("source.sock")
        return (path, SocketAddress(unixPath: path)!)
    }

    static func run(_ attack: Attack, against program: AttackedProgram) throws {
        switch program {
        case .decryptor: try runAgainstDecryptor(attack)
        case .encryptor: try runAgainstEncryptor(attack)
        case .spipe: try runAgainstSpipe(attack)
        }
    }

    /// Checks the attacker's view of the end of the connection.
    static func checkDrop(_ report: DropReport??, _ attack: Attack, _ program: AttackedProgram) {
        guard case let .some(.some(report)) = report else {
            Issue.record("\(attack) vs \(program): the attack did not get to misbehave (setup step failed)")
            return
        }
        if attack.attackerResets { return }
        #expect(report.dropped, "\(attack) vs \(program): connection not dropped (\(report))")
        #expect(report.seconds <= attack.bound && report.seconds >= attack.notBefore,
                "\(attack) vs \(program): dropped \(report), expected within [\(attack.notBefore), \(attack.bound)] s")
        if attack.expectSilence {
            #expect(report.bytes.isEmpty, "\(attack) vs \(program): attacker received \(report.bytes.count) bytes after misbehaving")
        }
    }

    /// An honest client through a -d: handshake, data, echo back, clean end.
    static func honestRoundTrip(through address: SocketAddress, keyFile: String, payload: [UInt8]) -> Bool {
        guard let peer = AdversaryPeer.connect(to: address, keyFile: keyFile), peer.handshake() else { return false }
        var packets: [UInt8] = []
        var offset = 0
        while offset < payload.count {
            let end = min(offset + 1024, payload.count)
            packets += peer.packet(Array(payload[offset..<end]))
            offset = end
        }
        guard peer.send(packets) else { return false }
        peer.halfClose()
        guard peer.receivePlaintext(payload.count) == payload else { return false }
        return peer.awaitDrop(timeout: 10).outcome == .eof
    }

    /// Waits for the daemon's descriptors to come back to `baseline`.
    static func checkDescriptors(_ daemon: RunningDaemon, baseline: Int, _ label: String, at start: String = "") {
        #expect(daemon.process.isRunning, "\(label): daemon died; stderr: \(daemon.stderr)")
        let after = DescriptorCount.settle(daemon.process.pid, atMost: baseline, timeout: 5)
        let back = after.map { $0 <= baseline } ?? false
        #expect(back, "\(label): \(String(describing: after)) descriptors, baseline \(baseline) [\(start)]; now: \(DescriptorCount.describe(daemon.process.pid))")
    }

    // MARK: -d: the attacker is the client

    static func runAgainstDecryptor(_ attack: Attack) throws {
        let scratch = Scratch()
        let echo = TestServer(.echo, unixPath: scratch.path("target.sock"))
        defer { echo.stop() }
        let daemon = try #require(RunningDaemon(.ours, mode: "-d", source: unixSource(scratch),
                                                target: echo.text, key: scratch.key,
                                                extra: ["-o", "\(attack.timeout)"] + attack.flags, scratch: scratch))
        let label = "\(attack) vs spiped -d"
        // Warm up (the daemon may still be creating its loops), then the baseline.
        let warmedUp = honestRoundTrip(through: daemon.source, keyFile: scratch.key, payload: plainPayload)
        #expect(warmedUp, "\(label): warm-up connection failed; daemon stderr: \(daemon.stderr)")
        let baseline = try #require(DescriptorCount.steady(daemon.process.pid))
        let atStart = DescriptorCount.describe(daemon.process.pid)
        do {
            let peer = try #require(AdversaryPeer.connect(to: daemon.source, keyFile: attack.wrongKey ? scratch.otherKey : scratch.key))
            let report = attack.run(peer)
            if attack.accepted {
                #expect(report?.outcome == .eof, "\(label): refused (\(String(describing: report))); daemon stderr: \(daemon.stderr)")
            } else {
                checkDrop(.some(report), attack, .decryptor)
            }
        }
        let honest = TestEnvironment.randomBytes(3000)
        let served = honestRoundTrip(through: daemon.source, keyFile: scratch.key, payload: honest)
        #expect(served, "\(label): honest connection failed afterwards; daemon stderr: \(daemon.stderr)")
        // What the attacker's connection delivered reaches the target on its
        // own connection, which the honest round trip does not order: wait for
        // the expected count (a shortfall still fails after the wait; an
        // excess shows at once).
        let expected = attack.legitimate.count
        let fromAttacker = echo.bytesReceived(atLeast: honest.count + plainPayload.count + expected)
            - honest.count - plainPayload.count
        #expect(attack.allowsDelivered(count: fromAttacker), "\(label): target received \(fromAttacker) bytes from the attacker, expected \(expected)")
        checkDescriptors(daemon, baseline: baseline, label, at: atStart)
    }

    // MARK: -e: the attacker is the server behind it

    static func runAgainstEncryptor(_ attack: Attack) throws {
        let scratch = Scratch()
        let (key, otherKey) = (scratch.key, scratch.otherKey)
        let listener = AdversaryListener(unixPath: scratch.path("attacker.sock"), keyFile: { $0 == 1 && attack.wrongKey ? otherKey : key }) { peer, index in
            // Connection 0 warms the daemon up, 1 is the attack, later ones are honest.
            if index == 1 { return attack.run(peer) }
            if peer.handshake() { peer.serveEcho() }
            return nil
        }
        defer { listener.stop() }
        let daemon = try #require(RunningDaemon(.ours, mode: "-e", source: unixSource(scratch),
                                                target: listener.text, key: scratch.key,
                                                extra: ["-o", "\(attack.timeout)"] + attack.flags, scratch: scratch))
        let label = "\(attack) vs spiped -e"
        let warmUp = TestSockets.exchange(daemon.source, plainPayload)
        let warmedUp = warmUp?.bytes == plainPayload && warmUp?.clean == true
        #expect(warmedUp, "\(label): warm-up connection failed; daemon stderr: \(daemon.stderr)")
        let baseline = try #require(DescriptorCount.steady(daemon.process.pid))
        let atStart = DescriptorCount.describe(daemon.process.pid)

        let client = TestSockets.connect(daemon.source)
        try #require(client >= 0)
        TestSockets.writeAll(client, plainPayload)
        if attack.accepted {
            #expect(TestSockets.readExactly(client, plainPayload.count) == plainPayload, "\(label): no echo")
            shutdown(client, Int32(SHUT_WR))
        }
        let clientView = AdversaryPeer.awaitDrop(client, timeout: observation)
        close(client)
        if attack.accepted {
            #expect(clientView.outcome == .eof, "\(label): \(clientView)")
        } else {
            #expect(clientView.dropped, "\(label): plaintext client not dropped (\(clientView))")
            #expect(attack.allowsDelivered(clientView.bytes),
                    "\(label): plaintext client received \(clientView.bytes.count) bytes, expected \(attack.legitimate.count)")
            checkDrop(listener.result(1), attack, .encryptor)
        }
        let honest = TestEnvironment.randomBytes(3000)
        let echoed = TestSockets.exchange(daemon.source, honest)
        let served = echoed?.bytes == honest && echoed?.clean == true
        #expect(served, "\(label): honest connection failed afterwards; daemon stderr: \(daemon.stderr)")
        checkDescriptors(daemon, baseline: baseline, label, at: atStart)
    }

    // MARK: spipe: the attacker is its server

    static func runAgainstSpipe(_ attack: Attack) throws {
        let scratch = Scratch()
        let (key, otherKey) = (scratch.key, scratch.otherKey)
        let listener = AdversaryListener(unixPath: scratch.path("attacker.sock"), keyFile: { _ in attack.wrongKey ? otherKey : key }) { peer, _ in attack.run(peer) }
        defer { listener.stop() }
        // stdin is a FIFO we hold open, so spipe does not half-close on its own
        // (its end of input would look like a drop to the attacker).
        let fifo = scratch.path("stdin")
        try #require(mkfifo(fifo, 0o600) == 0)
        var writer = open(fifo, O_RDWR | O_CLOEXEC)
        try #require(writer >= 0)
        defer { if writer >= 0 { close(writer) } }
        _ = plainPayload.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }

        let output = scratch.path("stdout")
        let started = Date()
        let child = try ChildProcess(TestEnvironment.ourSpipe,
                                     ["-t", listener.text, "-k", scratch.key, "-o", "\(attack.timeout)"] + attack.flags,
                                     stdin: .file(fifo), stdout: .file(output), stderr: .file(scratch.path("stderr")))
        if attack.accepted {   // echo case: let the input end (after spipe opened the FIFO)
            close(writer)
            writer = -1
        }
        let status = child.wait(timeout: observation + 5)
        if status == nil { child.killAndReap() }
        let elapsed = Date().timeIntervalSince(started)
        let received = FileContents.bytes(output) ?? []
        let label = "\(attack) vs spipe"
        if attack.accepted {
            #expect(status == 0, "\(label): status \(String(describing: status)); \(scratch.text("stderr"))")
            #expect(received == plainPayload, "\(label): echo through spipe")
        } else {
            #expect(status == 1, "\(label): status \(String(describing: status)); \(scratch.text("stderr"))")
            #expect(attack.allowsDelivered(received), "\(label): stdout got \(received.count) bytes, expected \(attack.legitimate.count)")
            #expect(elapsed <= attack.bound + 1, "\(label): spipe exited after \(elapsed) s")
            #expect(scratch.text("stderr").hasPrefix("spipe: "), "\(label): stderr \(scratch.text("stderr"))")
            checkDrop(listener.result(0), attack, .spipe)
        }
    }
}
