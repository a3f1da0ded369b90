// SpipeClient in process, with pipes as its plaintext end: a round trip
// through a -d engine to an echo server, and failures that must end quickly
// with status 1 (refused target, silent target past the -o timeout).
import Foundation
import Glibc
import SpipedTestSupport
import Testing
import SpipedNet
import SpipedProtocol

@Suite("Engine: spipe client", .serialized)
struct EngineSpipeTests {
    private func configuration(key: [UInt8], target: SocketAddress, timeout: Double = 5) -> SpipeConfiguration {
        SpipeConfiguration(key: SpipedKey(keyFileBytes: key), handshake: HandshakeOptions(), target: [target],
                           targetText: "\(target)", timeout: timeout,
                           log: EventLog(programName: "spipe-test", logsConnections: false))
    }

    @Test("spipe through -d to an echo server: bytes come back, status 0")
    func roundTrip() throws {
        let key = TestNet.randomBytes(32)
        let echo = TargetServer(mode: .echo)
        let server = try RunningEngine(role: .server, key: key, target: echo.address)
        defer { server.stop(); echo.stop() }
        var inPipe: [Int32] = [-1, -1]
        var outPipe: [Int32] = [-1, -1]
        #expect(pipe(&inPipe) == 0 && pipe(&outPipe) == 0)
        let config = configuration(key: key, target: TestNet.loopback(server.port))
        let status = StatusBox()
        let runner = JoinableThread { [inRead = inPipe[0], outWrite = outPipe[1]] in
            status.value = SpipeClient.run(config, input: inRead, output: outWrite)
        }
        let payload = TestNet.randomBytes(300_000)
        let writer = JoinableThread { [inWrite = inPipe[1]] in
            payload.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = write(inWrite, raw.baseAddress! + done, raw.count - done)
                    if n <= 0 { break }
                    done += n
                }
            }
            close(inWrite)
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(outPipe[0], $0.baseAddress, $0.count) }
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        #expect(writer.join(timeout: 20))
        #expect(runner.join(timeout: 20))
        #expect(status.value == 0)
        #expect(received == payload)
        close(inPipe[0])
        close(outPipe[0])
    }

    @Test("spipe to a refused target fails at once with status 1")
    func refused() {
        let start = Date()
        let status = SpipeClient.run(configuration(key: TestNet.randomBytes(32), target: TestNet.loopback(TestNet.closedPort())),
                                     input: -1, output: -1)
        #expect(status == 1)
        #expect(Date().timeIntervalSince(start) < 2)
    }

    @Test("spipe to a silent target gives up after -o with status 1")
    func silentTarget() {
        let silent = TargetServer(mode: .silent)
        defer { silent.stop() }
        let start = Date()
        let status = SpipeClient.run(configuration(key: TestNet.randomBytes(32), target: silent.address, timeout: 0.5),
                                     input: -1, output: -1)
        let elapsed = Date().timeIntervalSince(start)
        #expect(status == 1)
        #expect(elapsed >= 0.4 && elapsed < 3, "took \(elapsed) s")
    }
}

final class StatusBox: @unchecked Sendable { var value: Int32 = -1 }
