// swift-tools-version:6.0
//
// spiped-swift: a pure-Swift, zero-dependency spiped/spipe.
// Layers (bottom to top): SpipedCryptoKernels, SpipedCryptoHW* -> SpipedCrypto -> SpipedProtocol -> SpipedNet -> SpipedDaemon -> spiped, spipe.
// SpipedCrypto and SpipedProtocol run wherever Swift does; SpipedNet and above are Linux-only (epoll).
// No package dependencies: only the Swift toolchain.
import PackageDescription

// Flags that let the hardware backend module call AES-NI / SHA-NI intrinsics.
// Only that module is compiled with them; it is only called after run-time CPU
// detection. Set SPIPED_PORTABLE=1 when building to leave them out entirely
// (pure portable Swift); see DESIGN.md.
let portableOnly = Context.environment["SPIPED_PORTABLE"] == "1"
#if arch(x86_64)
// The scalar SHA-256 rounds (SpipedCryptoKernels/SHA256Portable.swift, the
// SpipedCryptoHWAVX2SHA256 module) need every general register: SwiftPM passes
// -fno-omit-frame-pointer on Linux, which reserves RBP; this clang -cc1 option
// frees it wherever it appears (2.4% and 3%, measured in-process). Not on the
// AVX2 lanes module: its 16-block bitsliced AES lost a third.
let noFramePointer: [String] = ["-Xcc", "-Xclang", "-Xcc", "-mframe-pointer=none"]
let hwFlags: [String] = portableOnly ? [] : ["-Xcc", "-maes", "-Xcc", "-msha", "-Xcc", "-msse4.1", "-Xcc", "-mssse3", "-Xcc", "-mpclmul"]
// The AVX-512 IFMA bignum kernel gets its own module and flags, so no AES/SHA code is ever compiled for AVX-512.
let hwBigNumFlags: [String] = portableOnly ? [] : ["-Xcc", "-mavx512f", "-Xcc", "-mavx512ifma"]
// The multi-buffer lane kernels: one module per vector width, each compiled for its own extension only.
// BMI1/BMI2 as well, for the single-message SHA-256 rounds (RORX, ANDN); every AVX2 CPU detection accepts has them.
let hwAVX2Flags: [String] = portableOnly ? [] : ["-Xcc", "-mavx2", "-Xcc", "-mbmi", "-Xcc", "-mbmi2"]
let hwAVX512Flags: [String] = portableOnly ? [] : ["-Xcc", "-mavx512f"]
// The SSSE3 AES kernels on XMM registers (vector permutes, byte-layout bitsliced) need PSHUFB and nothing newer.
let hwSSSE3Flags: [String] = portableOnly ? [] : ["-Xcc", "-mssse3"]
#else
let noFramePointer: [String] = []
let hwFlags: [String] = []
let hwBigNumFlags: [String] = []
let hwAVX2Flags: [String] = []
let hwAVX512Flags: [String] = []
let hwSSSE3Flags: [String] = []
#endif
/// A hardware module's settings: its flags, or SPIPED_NO_INTRINSICS (stubs) without them.
func hardwareSettings(_ flags: [String]) -> [SwiftSetting] {
    flags.isEmpty ? [.define("SPIPED_NO_INTRINSICS")] : [.unsafeFlags(flags)]
}

// MARK: region "extra-targets" (fuzz targets, constant-time harness): appended to `targets` below.
// libFuzzer targets (Tests/Fuzz, see its README): only when SPIPED_FUZZ=1 is set at
// build time, so ordinary builds never see them. Build and run with Tests/Fuzz/run.sh.
let fuzzTargetNames = ["FuzzHandshakeServer", "FuzzHandshakeClient", "FuzzPacketOpener",
                       "FuzzCommandLine", "FuzzAddress", "FuzzKeyFile"]
let fuzzTargets: [Target] = Context.environment["SPIPED_FUZZ"] != "1" ? [] :
    [.target(name: "SpipedFuzzSupport", dependencies: ["SpipedProtocol"], path: "Tests/Fuzz/Support")]
    + fuzzTargetNames.map { name in
        .executableTarget(name: name, dependencies: ["SpipedFuzzSupport", "SpipedProtocol", "SpipedNet", "SpipedDaemon"],
                          path: "Tests/Fuzz/\(name)",
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])])
    }
// dudect-style constant-time harness (Benchmarks/ConstantTime, see its README); always built.
let dudectTargets: [Target] = [
    .executableTarget(name: "spiped-dudect", dependencies: ["SpipedCrypto", "SpipedProtocol"],
                      path: "Benchmarks/ConstantTime", exclude: ["README.md"]),
]
let extraTargets: [Target] = fuzzTargets + dudectTargets
// MARK: end region "extra-targets"

let package = Package(
    name: "spiped-swift",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "SpipedCrypto", targets: ["SpipedCrypto"]),
        .library(name: "SpipedProtocol", targets: ["SpipedProtocol"]),
        .library(name: "SpipedNet", targets: ["SpipedNet"]),
        .library(name: "SpipedDaemon", targets: ["SpipedDaemon"]),
        .library(name: "Spiped", targets: ["Spiped"]),
        .executable(name: "spiped", targets: ["spiped"]),
        .executable(name: "spipe", targets: ["spipe"]),
        .executable(name: "spiped-lib-bench", targets: ["spiped-lib-bench"]),
    ],
    targets: [
        // Hardware kernels (AES-NI, SHA-NI): raw functions only, no policy.
        .target(name: "SpipedCryptoHW", swiftSettings: hardwareSettings(hwFlags)),
        // AVX-512 IFMA radix-2^52 Montgomery kernel (2048-bit modexp), called only after CPU/OS detection.
        .target(name: "SpipedCryptoHWBigNum", dependencies: ["SpipedCryptoHW"], swiftSettings: hardwareSettings(hwBigNumFlags)),
        // Generic kernels over the lane type (SHA-256 rounds), @inlinable: compiled by each module that instantiates them;
        // and the portable SHA-256 instance, compiled here without a frame pointer.
        .target(name: "SpipedCryptoKernels", swiftSettings: noFramePointer.isEmpty ? [] : [.unsafeFlags(noFramePointer)]),
        // Multi-buffer HMAC-SHA256: 8 lanes (AVX2), 16 lanes (AVX-512F), called only after CPU/OS detection.
        // The same kernels on the baseline vector unit (SSE2 intrinsics on x86_64, no extra flags; SIMD types elsewhere).
        .target(name: "SpipedCryptoHWSSE2", dependencies: ["SpipedCryptoKernels"],
                swiftSettings: portableOnly ? [.define("SPIPED_NO_INTRINSICS")] : []),
        // AES-256-CTR on XMM registers with PSHUFB (vector permutes, byte-layout bitslicing), called only after CPU detection.
        .target(name: "SpipedCryptoHWSSSE3", dependencies: ["SpipedCryptoKernels"], swiftSettings: hardwareSettings(hwSSSE3Flags)),
        .target(name: "SpipedCryptoHWAVX2", dependencies: ["SpipedCryptoKernels"], swiftSettings: hardwareSettings(hwAVX2Flags)),
        // Single-message SHA-256 (RORX rounds, YMM schedule), apart from the lanes for its flags: no frame pointer.
        .target(name: "SpipedCryptoHWAVX2SHA256", dependencies: ["SpipedCryptoKernels"],
                swiftSettings: hardwareSettings(hwAVX2Flags.isEmpty ? [] : hwAVX2Flags + noFramePointer)),
        .target(name: "SpipedCryptoHWAVX512", dependencies: ["SpipedCryptoKernels"], swiftSettings: hardwareSettings(hwAVX512Flags)),
        // SHA-256, HMAC, PBKDF2, AES-256 (table, constant-time, dispatch), CTR,
        // 2048-bit modexp and group-14 Diffie-Hellman, randomness, wiping.
        .target(name: "SpipedCrypto", dependencies: ["SpipedCryptoHW", "SpipedCryptoHWBigNum", "SpipedCryptoKernels",
                                                     "SpipedCryptoHWSSE2", "SpipedCryptoHWSSSE3", "SpipedCryptoHWAVX2",
                                                     "SpipedCryptoHWAVX2SHA256", "SpipedCryptoHWAVX512"]),
        // Sans-I/O spiped protocol: key file, handshake, packet framing.
        .target(name: "SpipedProtocol", dependencies: ["SpipedCrypto"]),
        // Sockets, addresses, epoll event loops, connections (Linux-only).
        .target(name: "SpipedNet", dependencies: ["SpipedProtocol"]),
        // The programs around the engine: command line, start-up, daemonizing,
        // privileges, pidfile, key files.
        .target(name: "SpipedDaemon", dependencies: ["SpipedNet"]),
        // The Swift API: async connections, listeners and in-process pipes (`import Spiped`).
        .target(name: "Spiped", dependencies: ["SpipedNet", "SpipedProtocol"]),
        .executableTarget(name: "spiped", dependencies: ["SpipedDaemon"], exclude: ["spiped.1"]),
        .executableTarget(name: "spipe", dependencies: ["SpipedDaemon"], exclude: ["spipe.1"]),
        .executableTarget(name: "spiped-bench", dependencies: ["SpipedCrypto", "SpipedProtocol"],
                          path: "Benchmarks/CryptoBench"),
        // The Spiped library against the C spiped pair (README "Swift API" benchmark).
        .executableTarget(name: "spiped-lib-bench", dependencies: ["Spiped"], path: "Benchmarks/LibraryBench"),
        // Helpers every test target shares: hex, the seeded generator, scripted
        // randomness, the Vectors/ folder, a joinable thread.
        .target(name: "SpipedTestSupport", dependencies: ["SpipedCrypto"], path: "Tests/SpipedTestSupport"),
        .testTarget(name: "SpipedCryptoTests", dependencies: ["SpipedCrypto", "SpipedTestSupport"]),
        .testTarget(name: "SpipedProtocolTests", dependencies: ["SpipedProtocol", "SpipedTestSupport"]),
        .testTarget(name: "SpipedNetTests", dependencies: ["SpipedNet", "SpipedDaemon", "SpipedTestSupport"]),
        .testTarget(name: "SpipedTests", dependencies: ["Spiped", "SpipedCrypto", "SpipedTestSupport"]),
    ] + extraTargets
)
