// The connection log's lines for each failure the issue names, produced by a
// misbehaving peer (AdversaryPeer) against our spiped -d --log-connections:
// handshake failure with each reason (timeout, bad MAC, y out of range, peer
// not using PFS under -g), packet authentication failure, the close line with
// bytes each way, and the -n limit. The accept, target-failure and "silent
// without the option" lines are in ConnectionLogTests.swift.
import Foundation
import Testing
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif

extension ProcessTests {
    @Suite struct ConnectionLogReasons {
        let scratch = Scratch()

        /// Our -d with the log on, in front of an echo server; `extra` adds options.
        func decryptor(_ extra: [String] = []) throws -> (RunningDaemon, TestServer) {
            let echo = TestServer(.echo, unixPath: scratch.path("target.sock"))
            let daemon = try #require(RunningDaemon(.ours, mode: "-d", source: AdversarialScenario.unixSource(scratch),
                                                    target: echo.text, key: scratch.key,
                                                    extra: ["--log-connections"] + extra, scratch: scratch))
            return (daemon, echo)
        }

        /// Waits until the daemon's stderr contains `needle`; returns the whole log.
        func waitForLine(_ daemon: RunningDaemon, _ needle: String, timeout: Double = 5) -> String {
            let deadline = Date().addingTimeInterval(timeout)
            var text = daemon.stderr
            while Date() < deadline, !text.contains(needle) {
                usleep(20_000)
                text = daemon.stderr
            }
            return text
        }

        @Test(arguments: [
            ("flipped MAC", "handshake failed: bad MAC (wrong key?)"),
            ("y = p", "handshake failed: Diffie-Hellman value out of range"),
            ("y = 1 under -g", "handshake failed: peer not using perfect forward secrecy (-g)"),
            ("silence", "handshake failed: timeout"),
        ])
        func handshakeFailureReasons(_ attack: String, _ line: String) throws {
            let (daemon, echo) = try decryptor(attack == "y = 1 under -g" ? ["-g", "-o", "1"] : ["-o", "1"])
            defer { echo.stop() }
            let peer = try #require(AdversaryPeer.connect(to: daemon.source, keyFile: scratch.key))
            switch attack {
            case "flipped MAC":
                try #require(peer.exchangeNonces())
                var message = peer.message(y: peer.honestY)
                message[message.count - 1] ^= 1
                _ = peer.send(message)
            case "y = p":
                try #require(peer.exchangeNonces())
                _ = peer.send(peer.message(y: PeerValue.prime))
            case "y = 1 under -g":
                try #require(peer.exchangeNonces())
                _ = peer.send(peer.message(y: PeerValue.one))
            default:
                break   // say nothing until -o 1 runs out
            }
            #expect(peer.awaitDrop(timeout: 4).dropped)
            _ = waitForLine(daemon, line)
            let log = waitForLine(daemon, "closed after")
            #expect(log.contains("spiped: connection 1: \(line)"), "log: \(log)")
            #expect(log.contains("spiped: connection 1: closed after"), "log: \(log)")
        }

        @Test func packetAuthenticationFailureAndByteCounts() throws {
            let (daemon, echo) = try decryptor()
            defer { echo.stop() }
            let peer = try #require(AdversaryPeer.connect(to: daemon.source, keyFile: scratch.key))
            try #require(peer.handshake())
            // One good packet of 10 bytes, echoed back, then a tampered one.
            try #require(peer.send(peer.packet(Array("0123456789".utf8))))
            #expect(peer.receivePlaintext(10) == Array("0123456789".utf8))
            var bad = peer.packet(Array("x".utf8))
            bad[3] ^= 0x40
            _ = peer.send(bad)
            #expect(peer.awaitDrop(timeout: 4).dropped)
            let log = waitForLine(daemon, "closed after")
            #expect(log.contains("spiped: connection 1: packet authentication failed"), "log: \(log)")
            #expect(log.contains(", 10 bytes from source, 10 bytes from target"), "log: \(log)")
        }

        @Test func connectionLimitIsLogged() throws {
            let (daemon, echo) = try decryptor(["-n", "1"])
            defer { echo.stop() }
            let first = TestSockets.connect(daemon.source)
            try #require(first >= 0)
            defer { close(first) }
            let log = waitForLine(daemon, "connection limit (1) reached")
            #expect(log.contains("spiped: connection limit (1) reached; not accepting until a connection closes"), "log: \(log)")
        }
    }
}
