// spiped-lib-bench: throughput of the Spiped library against the C spiped
// pair, in one run on the same machine. Each scenario sends the same number
// of bytes one way and times until the receiver has them all:
//   1. C pair:       client -> C spiped -e -> C spiped -d -> sink
//   2. ours -> C -d: SpipedConnection (in this process) -> C spiped -d -> sink
//   3. ours -> ours: SpipedConnection -> SpipedListener, both in this process
// The plaintext client and sink are blocking threads of this process. Each
// scenario runs `--runs` times (default 3) and the best is kept; the table
// gives MB/s and the ratio to the C pair.
//
//   swift build -c release --product spiped-lib-bench
//   .build/release/spiped-lib-bench [--megabytes 512] [--runs 3] [--spiped /usr/bin/spiped]
import Foundation
import Spiped
#if canImport(Glibc)
import Glibc
#endif

var megabytes = 512, runs = 3, spiped = "/usr/bin/spiped"
let verbose = getenv("BENCH_VERBOSE") != nil
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    let value = arguments.popFirst() ?? ""
    switch flag {
    case "--megabytes": megabytes = Int(value) ?? megabytes
    case "--runs": runs = Int(value) ?? runs
    case "--spiped": spiped = value
    default: say("usage: spiped-lib-bench [--megabytes N] [--runs N] [--spiped PATH]"); exit(2)
    }
}
signal(SIGPIPE, SIG_IGN)
/// Prints a line at once (one write(2): output is not held back in a buffer when piped).
func say(_ line: String) {
    var bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress, $0.count) }
}
let blockSize = 64 * 1024
let blocks = max(1, megabytes * 1024 * 1024 / blockSize)
let totalBytes = blocks * blockSize
var generator = SystemRandomNumberGenerator()
let block = (0..<blockSize).map { _ in UInt8.random(in: 0...255, using: &generator) }
let directory = NSTemporaryDirectory() + "spiped-lib-bench-\(getpid())"
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
let keyPath = directory + "/key"
_ = FileManager.default.createFile(atPath: keyPath, contents: Data((0..<32).map { _ in UInt8.random(in: 0...255) }))
let key = try SpipedKey(contentsOfFile: keyPath)

func seconds(_ body: () async throws -> Int) async throws -> Double {
    let start = ContinuousClock.now
    let moved = try await body()
    let elapsed = ContinuousClock.now - start
    guard moved == totalBytes else { throw SpipedError.ioFailed("moved \(moved) of \(totalBytes) bytes") }
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// Sends everything on a library connection and closes our direction.
func sendLibrary(_ connection: SpipedConnection) async throws {
    for _ in 0..<blocks { try await connection.write(block) }
    try await connection.shutdownWrite()
}

let sink = Sink()
let decryptPort = freePort(), encryptPort = freePort()
let decrypt = try CSpiped(spiped, ["-d", "-s", "[127.0.0.1]:\(decryptPort)", "-t", sink.address, "-k", keyPath], port: decryptPort)
let encrypt = try CSpiped(spiped, ["-e", "-s", "[127.0.0.1]:\(encryptPort)", "-t", "[127.0.0.1]:\(decryptPort)", "-k", keyPath],
                          port: encryptPort)

let listener = try await SpipedListener.bind(to: "[127.0.0.1]:0", key: key)
/// The in-process receiver's byte counts, one per connection, in order.
final class Received: @unchecked Sendable {
    private let lock = NSLock()
    private var ready: [Int] = []
    private var waiter: CheckedContinuation<Int, Never>?
    func put(_ count: Int) {
        lock.lock()
        if let waiter { self.waiter = nil; lock.unlock(); waiter.resume(returning: count); return }
        ready.append(count)
        lock.unlock()
    }
    func next() async -> Int {
        await withCheckedContinuation { continuation in
            lock.lock()
            if !ready.isEmpty { let count = ready.removeFirst(); lock.unlock(); continuation.resume(returning: count); return }
            waiter = continuation
            lock.unlock()
        }
    }
}
let receivedCounts = Received()
let server = Task {
    for try await connection in listener.connections {
        Task {
            var count = 0
            while let chunk = try await connection.read() { count += chunk.count }
            connection.close()
            receivedCounts.put(count)
        }
    }
}


var best: [String: Double] = [:]
let names = ["C spiped -e -> C spiped -d", "Spiped client -> C spiped -d", "Spiped client -> SpipedListener"]
for run in 1...runs {
    let pair = try await seconds {
        let fd = connectPlain(port: encryptPort)
        Thread.detachNewThread { sendPlain(fd, block, times: blocks) }
        return sink.waitForConnection()
    }
    if verbose { say("C pair done") }
    let throughC = try await seconds {
        let connection = try await SpipedConnection.connect(to: "[127.0.0.1]:\(decryptPort)", key: key)
        try await sendLibrary(connection)
        let moved = sink.waitForConnection()
        connection.close()
        return moved
    }
    if verbose { say("through C -d done") }
    let inProcess = try await seconds {
        let connection = try await SpipedConnection.connect(to: listener.address, key: key)
        try await sendLibrary(connection)
        let moved = await receivedCounts.next()
        connection.close()
        return moved
    }
    for (name, time) in zip(names, [pair, throughC, inProcess]) { best[name] = min(best[name] ?? .infinity, time) }
    say("run \(run): " + zip(names, [pair, throughC, inProcess]).map { "\($0.0): \(String(format: "%.0f", Double(totalBytes) / $0.1 / 1e6)) MB/s" }.joined(separator: ", "))
}
listener.close()
server.cancel()
decrypt.stop()
encrypt.stop()

let baseline = Double(totalBytes) / (best[names[0]] ?? 1) / 1e6
say("")
say("\(megabytes) MB one way, best of \(runs) runs, \(ProcessInfo.processInfo.activeProcessorCount) cores")
say("| path | MB/s | vs C pair |")
say("|---|---:|---:|")
for name in names {
    let rate = Double(totalBytes) / (best[name] ?? 1) / 1e6
    say("| \(name) | \(String(format: "%.0f", rate)) | \(String(format: "%.2fx", rate / baseline)) |")
}
try? FileManager.default.removeItem(atPath: directory)
