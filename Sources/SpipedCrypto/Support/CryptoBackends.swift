// The one place that decides which crypto backends run: the CPU features
// this build and machine offer, minus those the environment hides, and from
// them the choice for each primitive. Primitives never read the environment
// themselves; they ask `CryptoBackends.current`.
//
// Environment, read once per process (the first time any primitive asks):
// - SPIPED_DISABLE=<comma list> of ssse3, aesni, shani, avx2, avx512, ifma:
//   every selection behaves as if the CPU lacked those features, with the
//   CPU's own implications (no SSSE3 means none of the others, no AVX2 means
//   no AVX-512, no AVX-512 means no IFMA).
//   Unknown names are ignored and listed in `unknownDisabledNames`.
// - SPIPED_AES=hw|ct|table, SPIPED_SHA256=hw|portable, SPIPED_MODEXP=portable|ifma:
//   the per-primitive override; asking for hardware that is absent (or
//   disabled), or an unknown value, gives the default rule.
//   SPIPED_SHA256=portable keeps the SHA extensions out of packet MACs too.
//
// Guarantees: a pure function of (detected features, environment) in
// `CryptoBackendSelection.init`, so tests can check every rule without
// touching the process environment; a backend is never chosen unless its
// kernel is compiled in and the CPU and OS support it.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SpipedCryptoHW
import SpipedCryptoHWBigNum
import SpipedCryptoHWSSSE3
import SpipedCryptoHWAVX2
import SpipedCryptoHWAVX2SHA256
import SpipedCryptoHWAVX512

/// CPU features the backends can use (or that SPIPED_DISABLE hides).
package struct CPUFeatureSet: OptionSet, Sendable, Hashable, CustomStringConvertible {
    package let rawValue: UInt8
    package init(rawValue: UInt8) { self.rawValue = rawValue }

    package static let aesni = CPUFeatureSet(rawValue: 1 << 0)
    package static let shani = CPUFeatureSet(rawValue: 1 << 1)
    package static let avx2 = CPUFeatureSet(rawValue: 1 << 2)
    package static let avx512 = CPUFeatureSet(rawValue: 1 << 3)
    package static let ifma = CPUFeatureSet(rawValue: 1 << 4)
    package static let ssse3 = CPUFeatureSet(rawValue: 1 << 5)

    /// The SPIPED_DISABLE spelling of each feature.
    package static let names: [(name: String, feature: CPUFeatureSet)] =
        [("ssse3", .ssse3), ("aesni", .aesni), ("shani", .shani), ("avx2", .avx2), ("avx512", .avx512), ("ifma", .ifma)]

    /// What this build, CPU and OS offer (each kernel compiled in and supported).
    package static let detected: CPUFeatureSet = {
        var set: CPUFeatureSet = []
        if HardwareFeatures.ssse3 && SSSE3Lanes.isCompiledIn { set.insert(.ssse3) }
        if AESNI.isSupported { set.insert(.aesni) }
        if SHANI.isSupported { set.insert(.shani) }
        if HardwareFeatures.avx2 && AVX2Lanes.isCompiledIn && AVX2SHA256.isCompiledIn { set.insert(.avx2) }
        if HardwareFeatures.avx512 && AVX512Lanes.isCompiledIn { set.insert(.avx512) }
        if IFMAMontgomery.isSupported { set.insert(.ifma) }
        return set
    }()

    /// The features named in a comma-separated list, and the names it did not know.
    package static func parse(_ list: String) -> (features: CPUFeatureSet, unknown: [String]) {
        var set: CPUFeatureSet = [], unknown: [String] = []
        for part in list.split(separator: ",") {
            let name = part.trimmingASCIISpaces()
            guard !name.isEmpty else { continue }
            if let entry = names.first(where: { $0.name == name }) { set.insert(entry.feature) } else { unknown.append(name) }
        }
        return (set, unknown)
    }

    /// `self` after removing what a CPU without `hidden` would also lack.
    func hiding(_ hidden: CPUFeatureSet) -> CPUFeatureSet {
        var gone = hidden
        // Every CPU with AES-NI, SHA-NI or AVX2 has SSSE3 (and the kernels for them use it).
        if gone.contains(.ssse3) { gone.formUnion([.aesni, .shani, .avx2]) }
        if gone.contains(.avx2) { gone.insert(.avx512) }
        if gone.contains(.avx512) { gone.insert(.ifma) }
        return subtracting(gone)
    }

    package var description: String {
        let listed = CPUFeatureSet.names.filter { contains($0.feature) }.map(\.name)
        return listed.isEmpty ? "none" : listed.joined(separator: ",")
    }
}

/// The backend of every primitive, resolved from the features and environment.
package struct CryptoBackendSelection: Sendable, Equatable {
    /// What the build, CPU and OS offer.
    package let detected: CPUFeatureSet
    /// What the selections may use: `detected` minus SPIPED_DISABLE (with implications).
    package let features: CPUFeatureSet
    /// SPIPED_DISABLE entries that name no feature.
    package let unknownDisabledNames: [String]
    /// AES-256 (``AES256/preferredImplementation``).
    package let aes: AES256.Implementation
    /// The kernel of the constant-time AES's CTR path.
    package let constantTimeAESKernel: AES256ConstantTime.CTRKernel
    /// SHA-256 for single messages (``SHA256/preferredImplementation``).
    package let sha256: SHA256.Implementation
    /// Packet MACs, many at once (``HMACSHA256/preferredLanes``).
    package let macLanes: HMACSHA256.Lanes
    /// The 2048-bit modexp (``ModularExponentiationImplementation/preferred``).
    package let modexp: ModularExponentiationImplementation

    /// Resolves every choice from `detected` and the variables `environment` returns.
    package init(detected: CPUFeatureSet, environment: (String) -> String?) {
        let disabled = CPUFeatureSet.parse(environment("SPIPED_DISABLE") ?? "")
        let features = detected.hiding(disabled.features)
        self.detected = detected
        self.features = features
        self.unknownDisabledNames = disabled.unknown

        let hardwareAES: AES256.Implementation = features.contains(.aesni) ? .hardware : .constantTime
        switch environment("SPIPED_AES") {
        case "ct": aes = .constantTime
        case "table": aes = .table
        default: aes = hardwareAES                   // "hw", unset, unknown
        }

        // Measured (README, "Without SHA-NI or AES-NI"): with AVX2 the vector permutes beat every
        // bitsliced width; with SSSE3 alone the byte-layout bitsliced kernel beats them.
        constantTimeAESKernel = features.contains(.avx2) ? .vpermAVX2 : features.contains(.ssse3) ? .bitslicedSSSE3 : .simd2

        let portableSHA = environment("SPIPED_SHA256") == "portable"
        let shaHardware = features.contains(.shani) && !portableSHA
        sha256 = shaHardware ? .hardware : features.contains(.avx2) && !portableSHA ? .avx2 : .portable
        macLanes = HMACSHA256.Lanes.allCases.first { lanes in
            switch lanes {
            case .shaniPairs: return shaHardware
            case .avx512: return features.contains(.avx512)
            case .avx2: return features.contains(.avx2)
            case .simd4: return true
            }
        } ?? .simd4

        let bestModexp: ModularExponentiationImplementation = features.contains(.ifma) ? .avx512IFMA : .portable
        modexp = environment("SPIPED_MODEXP") == "portable" ? .portable : bestModexp
    }

    /// One line per primitive, `<primitive> <backend>`, as `spiped-bench backends` prints them.
    package var summaryLines: [String] {
        [aes == .constantTime ? "aes \(aes.backendName)-\(constantTimeAESKernel.backendName)" : "aes \(aes.backendName)", "sha256 \(macLanes.backendName)", "sha256-single \(sha256.backendName)",
         "modexp \(modexp.backendName)"]
    }
}

/// The process-wide selection every primitive consults.
package enum CryptoBackends {
    /// Resolved once, from this process's environment.
    package static let current = CryptoBackendSelection(detected: .detected) { name in
        getenv(name).map { String(cString: $0) }
    }
}

extension AES256.Implementation {
    /// The instruction set this implementation uses.
    package var backendName: String {
        switch self {
        case .hardware: return "aesni"
        case .constantTime: return "ct"
        case .table: return "table"
        }
    }
}

extension AES256ConstantTime {
    /// The kernel that computes the constant-time AES's CTR keystream.
    package enum CTRKernel: Sendable, Equatable, CaseIterable {
        /// Bitsliced, 8 blocks per pass: two 4-block groups in 128-bit lanes (SSE2, NEON).
        case simd2
        /// Bitsliced, 16 blocks per pass in YMM lanes (AVX2).
        case avx2
        /// Bitsliced, 32 blocks per pass in ZMM lanes (AVX-512F).
        case avx512
        /// Bitsliced over byte-layout planes, 8 blocks per pass, PSHUFB for the linear layer (SSSE3).
        case bitslicedSSSE3
        /// Vector permutes, one block per XMM register, 4 in flight (SSSE3).
        case vpermSSSE3
        /// Vector permutes, two blocks per YMM register, 8 in flight (AVX2).
        case vpermAVX2

        /// Blocks one pass computes together.
        package var blocksPerPass: Int {
            switch self {
            case .simd2: return 8
            case .avx2: return 16
            case .avx512: return 32
            case .bitslicedSSSE3: return 8
            case .vpermSSSE3: return 4
            case .vpermAVX2: return 8
            }
        }

        /// Whether the kernel uses vector permutes (and the round keys they need).
        package var isVectorPermute: Bool { self == .vpermSSSE3 || self == .vpermAVX2 }

        /// Whether this process may run it (CPU, build and SPIPED_DISABLE).
        package var isAvailable: Bool {
            switch self {
            case .simd2: return true
            case .avx2, .vpermAVX2: return CryptoBackends.current.features.contains(.avx2)
            case .avx512: return CryptoBackends.current.features.contains(.avx512)
            case .vpermSSSE3, .bitslicedSSSE3: return CryptoBackends.current.features.contains(.ssse3)
            }
        }

        /// The method, instruction set and blocks per pass, e.g. `vperm-avx2-x8`.
        package var backendName: String {
            switch self {
            case .simd2:
                #if arch(x86_64)
                return "bitsliced-sse2-x8"
                #else
                return "bitsliced-simd-x8"
                #endif
            case .avx2: return "bitsliced-avx2-x16"
            case .avx512: return "bitsliced-avx512-x32"
            case .bitslicedSSSE3: return "bitsliced-ssse3-x8"
            case .vpermSSSE3: return "vperm-ssse3-x4"
            case .vpermAVX2: return "vperm-avx2-x8"
            }
        }
    }
}

extension SHA256.Implementation {
    /// The instruction set this implementation uses.
    package var backendName: String {
        switch self {
        case .hardware: return "shani"
        case .avx2: return "avx2-bmi2"
        case .portable: return "portable"
        }
    }
}

extension ModularExponentiationImplementation {
    /// The instruction set this engine uses.
    package var backendName: String {
        switch self {
        case .portable: return "portable"
        case .avx512IFMA: return "ifma"
        }
    }
}

extension Substring {
    fileprivate func trimmingASCIISpaces() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
