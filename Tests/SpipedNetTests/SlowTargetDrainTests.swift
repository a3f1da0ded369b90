// The plaintext of good packets that arrived in the same read as a bad one
// reaches the target even when the target is slow: the daemon stops reading
// the peer, delivers what it already opened (within -o), then closes; a
// target that does not read by then is cut off.
import Foundation
import SpipedTestSupport
import Testing
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif

extension ProcessTests {
    @Suite struct SlowTargetDrain {
        let scratch = Scratch()
        /// A target that reads nothing for `delay` seconds, then 2 KiB per
        /// `pause` microseconds until EOF; `finish` gives the byte count read.
        final class SlowSink: @unchecked Sendable {
            private let listener: Int32
            private var thread: JoinableThread?
            private let lock = NSLock()
            private var total = 0

            init(path: String, delay: Double, pause: UInt32) {
                // A Unix socket: what the daemon may queue toward it is its send
                // buffer (about 208 KiB by default, no autotuning), so the kernel
                // cannot absorb a whole burst for a target that is not reading.
                let fd = TestNet.listenUnix(path)
                listener = fd
                thread = JoinableThread { [self] in
                    let connection = accept(listener, nil, nil)
                    guard connection >= 0 else { return }
                    usleep(UInt32(delay * 1_000_000))
                    TestSockets.setTimeouts(connection, 10)
                    var buffer = [UInt8](repeating: 0, count: 2048)
                    while true {
                        let n = recv(connection, &buffer, buffer.count, 0)
                        if n <= 0 { break }
                        lock.withLock { total += n }
                        usleep(pause)
                    }
                    close(connection)
                }
            }

            func finish() -> Int {
                thread?.join(timeout: 20)
                close(listener)
                return lock.withLock { total }
            }
        }

        /// `good` packets and a bad one in one write to our -d; what the slow target got.
        func run(good: Int, delay: Double, pause: UInt32, timeout: String) throws -> (received: Int, dropped: Bool, dropAfter: Double) {
            let target = scratch.path("slow.sock")
            let sink = SlowSink(path: target, delay: delay, pause: pause)
            let source = TestSockets.loopback(TestSockets.freePort())
            let daemon = try #require(RunningDaemon(.ours, mode: "-d", source: source, target: target,
                                                    key: scratch.key, extra: ["-o", timeout], scratch: scratch))
            let peer = try #require(AdversaryPeer.connect(to: daemon.source, keyFile: scratch.key))
            try #require(peer.handshake())
            var burst: [UInt8] = []
            for i in 0..<good { burst += peer.packet([UInt8](repeating: UInt8(truncatingIfNeeded: i), count: 1024)) }
            var bad = peer.packet(Array("never delivered".utf8))
            bad[5] ^= 1
            burst += bad
            let sent = Date()
            #expect(peer.send(burst))
            let drop = peer.awaitDrop(timeout: 20)
            let dropAfter = Date().timeIntervalSince(sent)
            return (sink.finish(), drop.dropped, dropAfter)
        }

        @Test func goodPlaintextReachesASlowTarget() throws {
            // Three reads of 64 packets fill what the kernel queues toward the
            // target; the fourth read holds 40 good packets and the bad one, and
            // most of its plaintext must wait for the target, which sleeps.
            let good = 3 * 64 + 40
            let result = try run(good: good, delay: 1.0, pause: 200, timeout: "5")
            #expect(result.dropped)
            #expect(result.received == good * 1024,
                    "the target got \(result.received) of the \(good * 1024) bytes before the bad packet")
        }

        @Test func aTargetThatDoesNotReadIsCutOffAtTheTimeout() throws {
            let good = 3 * 64 + 40
            let result = try run(good: good, delay: 4.0, pause: 200, timeout: "1")
            #expect(result.dropped)
            #expect(result.dropAfter < 3.5, "dropped after \(result.dropAfter) s with -o 1")
            #expect(result.received < good * 1024, "received \(result.received)")
        }

        @Test func goodPlaintextWaitsForATargetStillConnecting() throws {
            // A TCP target whose accept queue is full drops the daemon's SYN, so
            // the target connect is still in progress when the client's message,
            // a good packet and a bad one arrive in one write; the good packet's
            // plaintext must reach the target once the connect completes (the
            // SYN is sent again after about 1 s).
            let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            defer { close(listener) }
            _ = TestNet.loopback(0).withSockAddr { bind(listener, $0, $1) }
            listen(listener, 0)
            let port = TestNet.boundPort(listener)
            let filler = TestSockets.connect(TestNet.loopback(port))   // fills the queue
            defer { close(filler) }
            let source = TestSockets.loopback(TestSockets.freePort())
            let daemon = try #require(RunningDaemon(.ours, mode: "-d", source: source, target: "[127.0.0.1]:\(port)",
                                                    key: scratch.key, extra: ["-o", "5"], scratch: scratch))
            let peer = try #require(AdversaryPeer.connect(to: daemon.source, keyFile: scratch.key))
            try #require(peer.exchangeNonces())
            try #require(peer.deriveSession(ownY: PeerValue.one, peerY: PeerValue.one))   // -f: y_SC = 1
            let good = Array("waits for the target".utf8)
            let goodPacket = peer.packet(good)                  // packet 0
            var tampered = peer.packet(Array("never".utf8))     // packet 1, damaged
            tampered[17] ^= 0x02
            #expect(peer.send(peer.message(y: PeerValue.one) + goodPacket + tampered))
            usleep(300_000)
            // Free the queue: the filler is accepted and dropped, the daemon's connect goes through.
            close(accept(listener, nil, nil))
            TestSockets.setTimeouts(listener, 5)
            let target = accept(listener, nil, nil)
            try #require(target >= 0)
            defer { close(target) }
            TestSockets.setTimeouts(target, 5)
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 256)
            while true {
                let n = recv(target, &buffer, buffer.count, 0)
                if n <= 0 { break }
                received += buffer[0..<n]
            }
            #expect(received == good, "the target got \(received.count) bytes")
            #expect(peer.awaitDrop(timeout: 5).dropped)
        }
    }
}
