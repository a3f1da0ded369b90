// The opt-in connection log (--log-connections): accepted, closed (with
// byte counts), handshake failure, target connect failure each produce their
// line on stderr; without the option the daemon prints nothing at all for
// the same traffic (the reference's silence).
import Foundation
import Testing
import SpipedNet

extension ProcessTests {
    @Suite struct ConnectionLog {
        let scratch = Scratch()

        /// Waits until `daemon`'s stderr contains every one of `needles`.
        func waitForLog(_ daemon: RunningDaemon, _ needles: [String], timeout: Double = 5) -> String {
            let deadline = Date().addingTimeInterval(timeout)
            var text = daemon.stderr
            while Date() < deadline, !needles.allSatisfy(text.contains) {
                usleep(20_000)
                text = daemon.stderr
            }
            return text
        }

        @Test func acceptAndCloseAreLogged() throws {
            let echo = TestServer(.echo)
            defer { echo.stop() }
            let pair = try #require(EncryptedPair(client: .ours, server: .ours, serverTarget: echo.text, scratch: scratch,
                                                  serverExtra: ["--log-connections"]))
            let reply = try #require(TestSockets.exchange(pair.entry, Array("hello".utf8)))
            #expect(reply.bytes == Array("hello".utf8))
            let log = waitForLog(pair.decryptor, ["accepted from", "closed"])
            #expect(log.contains("spiped: connection 1: accepted from [127.0.0.1]:"), "log: \(log)")
            #expect(log.contains("closed after"), "log: \(log)")
            #expect(pair.encryptor.stderr.isEmpty, "-e without the option printed: \(pair.encryptor.stderr)")
        }

        @Test func handshakeFailureIsLogged() throws {
            let echo = TestServer(.echo)
            defer { echo.stop() }
            let pair = try #require(EncryptedPair(client: .ours, server: .ours, serverTarget: echo.text, scratch: scratch,
                                                  clientKey: scratch.otherKey, serverExtra: ["--log-connections", "-o", "2"]))
            _ = TestSockets.exchange(pair.entry, Array("x".utf8), timeout: 10)
            let log = waitForLog(pair.decryptor, ["handshake failed"])
            #expect(log.contains("handshake failed"), "log: \(log)")
        }

        @Test func targetFailureIsLogged() throws {
            let closed = TestSockets.loopback(TestSockets.freePort()).text
            let daemon = try #require(RunningDaemon(.ours, mode: "-e", source: TestSockets.loopback(TestSockets.freePort()),
                                                    target: closed, key: scratch.key, extra: ["--log-connections", "-o", "2"],
                                                    scratch: scratch))
            _ = TestSockets.exchange(daemon.source, Array("x".utf8), timeout: 10)
            let log = waitForLog(daemon, ["connecting to target"])
            #expect(log.contains("connecting to target \(closed) failed"), "log: \(log)")
        }

        @Test func nothingIsPrintedWithoutTheOption() throws {
            let echo = TestServer(.echo)
            defer { echo.stop() }
            let pair = try #require(EncryptedPair(client: .ours, server: .ours, serverTarget: echo.text, scratch: scratch))
            _ = TestSockets.exchange(pair.entry, Array("hello".utf8))
            let wrong = try #require(EncryptedPair(client: .ours, server: .ours, serverTarget: echo.text, scratch: scratch,
                                                   clientKey: scratch.otherKey, clientExtra: ["-o", "1"], serverExtra: ["-o", "1"]))
            _ = TestSockets.exchange(wrong.entry, Array("x".utf8), timeout: 10)
            usleep(300_000)
            for daemon in [pair.encryptor, pair.decryptor, wrong.encryptor, wrong.decryptor] {
                #expect(daemon.stderr.isEmpty, "unexpected output: \(daemon.stderr)")
            }
        }
    }
}
