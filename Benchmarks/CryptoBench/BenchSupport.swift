// Shared timing and reporting helpers for spiped-bench, plus a runner that
// measures the same operation with `openssl speed` so each figure is printed
// beside a reference taken on the same machine in the same run.
//
// Timing is in CPU seconds of the calling thread (CLOCK_THREAD_CPUTIME_ID),
// the same basis `openssl speed` reports (it divides by the process's user
// time), so the ratio stays fair when other work shares the CPUs.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// CPU seconds used so far by the calling thread.
func threadCPUSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// Keeps a value alive so the optimizer cannot drop the work producing it.
@inline(never)
func benchSink<T>(_ value: T) { withExtendedLifetime(value) {} }

/// Runs `body` repeatedly for at least `minSeconds` of CPU time (after one
/// warm-up call) and returns calls per CPU second.
func measureOpsPerSecond(minSeconds: Double = 1.0, body: () -> Void) -> Double {
    body()                                     // warm-up: caches, lazy globals, page faults
    var calls = 0
    var batch = 1
    let start = threadCPUSeconds()
    var elapsed = 0.0
    while elapsed < minSeconds {
        for _ in 0..<batch { body() }
        calls += batch
        elapsed = threadCPUSeconds() - start
        if elapsed < minSeconds / 10 { batch *= 2 }
    }
    return Double(calls) / elapsed
}

/// Runs `body` (which processes `bytesPerIteration` bytes per call) for at
/// least `minSeconds` CPU seconds; returns throughput in MB/s (10^6 bytes).
func measureMBps(bytesPerIteration: Int, minSeconds: Double = 1.0, body: () -> Void) -> Double {
    measureOpsPerSecond(minSeconds: minSeconds, body: body) * Double(bytesPerIteration) / 1e6
}

/// Path of the `openssl` executable on PATH, or nil.
let opensslPath: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = String(directory) + "/openssl"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}()

/// Runs `openssl speed <arguments>` and parses its "Doing ..." lines.
///
/// - With `blockSize`: returns bytes per CPU second for that block size
///   (from "Doing X for 1s on B size blocks: N X's in T s" -> N * B / T).
/// - Without: returns operations per CPU second of the first result line
///   ("Doing 2048 bits ffdh's for 1s: N 2048-bits FFDH ops in T s" -> N / T).
/// - `environment` adds variables, e.g. `OPENSSL_ia32cap` to mask CPU features.
/// Returns nil if openssl is missing, fails, or prints nothing parsable.
func opensslSpeed(_ arguments: [String], blockSize: Int? = nil, environment: [String: String] = [:]) -> Double? {
    guard let executable = opensslPath else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = ["speed"] + arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return nil }
    let text = String(decoding: data, as: UTF8.self)
    for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("Doing ") {
        guard let figure = parseDoingLine(String(line)) else { continue }
        if let blockSize {
            if figure.blockSize == blockSize { return figure.count * Double(blockSize) / figure.seconds }
        } else {
            return figure.count / figure.seconds
        }
    }
    return nil
}

/// Parses "Doing ... [on B size blocks]: N ... in T s".
private func parseDoingLine(_ line: String) -> (blockSize: Int?, count: Double, seconds: Double)? {
    guard let colon = line.range(of: ": ", options: .backwards) else { return nil }
    let head = line[..<colon.lowerBound], tail = line[colon.upperBound...]
    var blockSize: Int? = nil
    if let on = head.range(of: " on "), let size = head.range(of: " size blocks") {
        blockSize = Int(head[on.upperBound..<size.lowerBound].trimmingCharacters(in: .whitespaces))
    }
    guard let count = tail.split(separator: " ").first.flatMap({ Double($0) }),
          let inRange = tail.range(of: " in ", options: .backwards) else { return nil }
    let secondsText = tail[inRange.upperBound...].trimmingCharacters(in: .whitespaces)
    guard let seconds = Double(secondsText.hasSuffix("s") ? String(secondsText.dropLast()) : secondsText),
          seconds > 0 else { return nil }
    return (blockSize, count, seconds)
}

/// Formats a figure with a fixed number of decimals.
func formatFigure(_ value: Double?, decimals: Int = 1) -> String {
    guard let value else { return "n/a" }
    return String(format: "%.\(decimals)f", value)
}

/// Prints one comparison row: label, our figure, openssl's, and ours/openssl.
func printComparison(_ label: String, ours: Double, openssl: Double?, unit: String) {
    let ratio = openssl.map { ours / $0 }
    let columns = [
        label.padding(toLength: 58, withPad: " ", startingAt: 0),
        (formatFigure(ours) + " " + unit).padding(toLength: 16, withPad: " ", startingAt: 0),
        ("openssl " + formatFigure(openssl) + (openssl == nil ? "" : " " + unit)).padding(toLength: 24, withPad: " ", startingAt: 0),
        "ratio " + formatFigure(ratio, decimals: 2),
    ]
    print(columns.joined(separator: " "))
}
