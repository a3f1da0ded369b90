// spiped-dudect: dudect-style timing-leak tests (Reparaz, Balasch,
// Verbauwhede, "Dude, is my code constant time?", DATE 2017) for the
// constant-time promises of SpipedCrypto, with positive controls that must
// leak. See README.md for the method, the class choices and results.
//
//   swift build -c release --product spiped-dudect
//   .build/release/spiped-dudect [target ...] [-n N] [--scale F] [--list]
//
// Exit status: 0 when every target meets its expectation (|t| < 4.5 for the
// constant-time code, > 4.5 for the controls), 1 otherwise, 2 on bad usage.
#if canImport(Glibc)
import Glibc
#endif
import SpipedCrypto

/// A target the command line can name, with its default measurement count.
struct Entry {
    let name: String
    let measurements: Int
    let chunkSize: Int
    let summary: String
    let available: Bool
    let run: (_ measurements: Int, _ chunkSize: Int) throws -> DudectResult
}

func entry<T: TimingTarget>(_ name: String, _ measurements: Int, chunk: Int, _ summary: String,
                            available: Bool = true, make: @escaping (Int) throws -> T) -> Entry {
    Entry(name: name, measurements: measurements, chunkSize: chunk, summary: summary, available: available) { n, c in
        var target = try make(c)
        return try runDudect(&target, measurements: n, chunkSize: c)
    }
}

/// Set by --modexp-fixed before any target runs.
nonisolated(unsafe) var fixedExponent = FixedExponent.zero
/// Set by --modexp-modulus random before any target runs.
nonisolated(unsafe) var randomModulus = false
let ifmaAvailable = ModularExponentiationImplementation.avx512IFMA.isAvailable
let catalog: [Entry] = [
    entry("mac", 20_000_000, chunk: 10_000, "constantTimeEqual on 32-byte MACs (protocol's HMAC check)") {
        try MACCompareTarget(kind: .constantTime, fixedClass: .lastByteDiffers, batch: 8, chunkSize: $0) },
    entry("mac-equal", 20_000_000, chunk: 10_000, "constantTimeEqual, fixed class = equal tag (answer differs by class)") {
        try MACCompareTarget(kind: .constantTime, fixedClass: .equal, batch: 8, chunkSize: $0) },
    entry("mac-early-exit", 1_000_000, chunk: 10_000, "CONTROL: early-exit byte compare (must leak)") {
        try MACCompareTarget(kind: .earlyExit, fixedClass: .lastByteDiffers, batch: 8, chunkSize: $0) },
    entry("sha256", 2_000_000, chunk: 10_000, "SHA256 of a 128-byte message, selected implementation (\(SHA256.preferredImplementation))") {
        try SHA256Target(chunkSize: $0) },
    entry("packet-macs", 1_000_000, chunk: 1_000, "HMACSHA256.authenticationCodes, one batch of packets (\(HMACSHA256.preferredLanes.backendName))") {
        try PacketMACsTarget(fixedPacketsToo: false, chunkSize: $0) },
    entry("packet-macs-data", 1_000_000, chunk: 1_000, "INFO: packet-macs, fixed class = one batch of packets too (public data)") {
        try PacketMACsTarget(fixedPacketsToo: true, chunkSize: $0) },
    entry("aes-ct", 10_000_000, chunk: 10_000, "AES256ConstantTime.encryptBlock (bitsliced)") {
        try AESTarget(name: "aes-ct", expectation: .noLeak, evict: false, chunkSize: $0) { AES256ConstantTime(key: $0) } },
    entry("aes-ct-ctr", 4_000_000, chunk: 10_000, "AES256ConstantTime.xorKeystream, 512 bytes (the kernel CryptoBackends chose)") {
        try AESCTRTarget(chunkSize: $0) },
    entry("aes-ct-packet", 2_000_000, chunk: 10_000, "AES256ConstantTime.xorKeystream, a 1028-byte packet from block 0") {
        try AESCTRTarget(packet: true, chunkSize: $0) },
    entry("aes-hw", 20_000_000, chunk: 10_000, "AES256Hardware.encryptBlock (AES-NI)", available: AES256Hardware.isSupported) {
        try AESTarget(name: "aes-hw", expectation: .noLeak, evict: false, batch: 8, chunkSize: $0) { AES256Hardware(key: $0) } },
    entry("aes-table", 10_000_000, chunk: 10_000, "CONTROL: AES256Table.encryptBlock, tables warm in L1") {
        try AESTarget(name: "aes-table", expectation: .leak, evict: false, chunkSize: $0) { AES256Table(key: $0) } },
    entry("aes-table-zero", 10_000_000, chunk: 10_000, "INFO: AES256Table, tables warm, fixed = zero plaintext (depends on the key)") {
        try AESTarget(name: "aes-table-zero", expectation: .informational, evict: false, zeroFixedPlaintext: true, chunkSize: $0) {
            AES256Table(key: $0) } },
    entry("aes-table-evict", 4_000_000, chunk: 10_000, "CONTROL: AES256Table.encryptBlock, L1 evicted first (must leak)") {
        try AESTarget(name: "aes-table-evict", expectation: .leak, evict: true, chunkSize: $0) { AES256Table(key: $0) } },
    entry("dh", 400_000, chunk: 1_000, "PrivateKey.sharedValue, default engine (\(ModularExponentiationImplementation.preferred))") {
        try ModExpTarget(path: .sharedValue, fixed: fixedExponent, randomModulus: randomModulus, chunkSize: $0) },
    entry("modexp-portable", 200_000, chunk: 1_000, "modularExponentiation, portable 64-bit engine") {
        try ModExpTarget(path: .modularExponentiation(.portable), fixed: fixedExponent, randomModulus: randomModulus, chunkSize: $0) },
    entry("modexp-ifma", 300_000, chunk: 1_000, "modularExponentiation, AVX-512 IFMA engine", available: ifmaAvailable) {
        try ModExpTarget(path: .modularExponentiation(.avx512IFMA), fixed: fixedExponent, randomModulus: randomModulus, chunkSize: $0) },
]
/// Run when no target is named (modexp-ifma is the engine `dh` already uses here).
let defaultTargets = ["mac", "mac-equal", "mac-early-exit", "packet-macs", "packet-macs-data", "aes-ct", "aes-ct-ctr", "aes-ct-packet", "aes-hw", "aes-table", "aes-table-zero", "aes-table-evict", "dh", "modexp-portable"]

@MainActor
func usage() -> Never {
    emit("usage: spiped-dudect [target ...] [-n MEASUREMENTS] [--scale FACTOR] [--modexp-fixed zero|ones|random] [--modexp-modulus group14|random] [--list]")
    emit("targets (default: \(defaultTargets.joined(separator: " "))):")
    for e in catalog {
        emit("  " + e.name.padding(16) + padded("\(e.measurements)", 9) + "  " + e.summary + (e.available ? "" : " [unavailable here]"))
    }
    exit(2)
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}

// Command line.
var names: [String] = []
var fixedCount: Int?
var scale = 1.0
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "-n", "--measurements":
        guard let value = arguments.popFirst(), let n = Int(value), n > 0 else { usage() }
        fixedCount = n
    case "--scale":
        guard let value = arguments.popFirst(), let f = Double(value), f > 0 else { usage() }
        scale = f
    case "--modexp-fixed":
        guard let value = arguments.popFirst(), let kind = FixedExponent(rawValue: value) else { usage() }
        fixedExponent = kind
    case "--modexp-modulus":
        guard let value = arguments.popFirst(), value == "group14" || value == "random" else { usage() }
        randomModulus = value == "random"
    case "--list", "-h", "--help":
        usage()
    default:
        guard catalog.contains(where: { $0.name == argument }) || argument == "all" else {
            emit("unknown target \(argument)")
            usage()
        }
        names += argument == "all" ? catalog.map(\.name) : [argument]
    }
}
if names.isEmpty { names = defaultTargets }

emit("spiped-dudect: Welch t-test, fixed vs random class, |t| > 4.5 = leak")
emit("engines here: AES default \(AES256.preferredImplementation), modexp default \(ModularExponentiationImplementation.preferred); "
      + "AES-NI \(AES256Hardware.isSupported ? "yes" : "no"), IFMA \(ifmaAvailable ? "yes" : "no")")
emit("crops: uncropped, and below these percentiles of each chunk's pooled timings "
      + cropPercentiles.map { decimal($0 * 100, places: 1) }.joined(separator: ", "))
var allPassed = true
for name in names {
    guard let e = catalog.first(where: { $0.name == name }) else { continue }
    guard e.available else {
        emit("\n== \(name): skipped (not available on this machine/build)")
        continue
    }
    let n = fixedCount ?? max(1_000, Int(Double(e.measurements) * scale))
    emit("\n== \(name): \(e.summary)")
    do {
        let result = try e.run(n, min(e.chunkSize, n))
        printResult(result)
        allPassed = allPassed && result.passed
    } catch {
        emit("   failed to run: \(error)")
        allPassed = false
    }
}
emit("\n" + (allPassed ? "ALL EXPECTATIONS MET" : "SOME EXPECTATION NOT MET"))
exit(allPassed ? 0 : 1)
