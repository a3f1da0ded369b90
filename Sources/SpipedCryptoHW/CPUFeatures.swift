// Run-time detection of the x86 instruction-set extensions the hardware
// kernels need, read once per process. This is the only place that asks the
// CPU; which backend runs is decided elsewhere (SpipedCrypto's
// CryptoBackends, which also applies SPIPED_DISABLE).
//
// Why each bit: a kernel is reported usable only if every extension its
// module is compiled for is present (the compiler may use any of them
// anywhere in that module):
// - `ssse3`: SpipedCryptoHWSSSE3 is compiled with -mssse3 only (XMM
//   registers, so CPUID suffices, as for the next item).
// - `aes`, `sha`: SpipedCryptoHW is compiled with -maes -msha -mssse3
//   -msse4.1 -mpclmul. These use XMM registers only, whose saving across
//   context switches is part of the x86_64 baseline, so CPUID suffices.
// - `avx2` (SpipedCryptoHWAVX2), `avx512` (SpipedCryptoHWAVX512, AVX-512F)
//   and `ifma` (SpipedCryptoHWBigNum, AVX-512F + IFMA): YMM/ZMM code also
//   needs the operating system to save those registers (XCR0). Reading XCR0
//   takes XGETBV, whose Clang intrinsic is a macro Swift cannot import;
//   glibc (2.33+) already combines CPUID with XCR0 into its "active" feature
//   bits, exported as `__x86_get_cpuid_feature_leaf`. It is looked up with
//   dlsym: if it is missing (older or other C library) these features are
//   reported absent, never guessed present.
// Guarantees: never faults on any x86_64 CPU; all false on other
// architectures and in builds without intrinsics (SPIPED_PORTABLE=1).
#if arch(x86_64) && !SPIPED_NO_INTRINSICS
internal import _Builtin_intrinsics.intel.cpuid
#if canImport(Glibc)
internal import Glibc
#endif
#endif

/// The CPU features the hardware kernels use, detected once per process.
public enum HardwareFeatures {
    /// True when the kernels were compiled into this build (x86_64 without
    /// `SPIPED_PORTABLE=1`); detection results are false otherwise.
    public static let kernelsCompiledIn: Bool = {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        return true
        #else
        return false
        #endif
    }()

    /// SSSE3 (SpipedCryptoHWSSSE3, the vector-permute AES on XMM registers).
    public static var ssse3: Bool { detected.ssse3 }
    /// AES-NI plus the SSSE3 and SSE4.1 the AES kernels also use.
    public static var aes: Bool { detected.aes }
    /// The SHA extensions plus the SSSE3 and SSE4.1 the SHA kernel also uses.
    public static var sha: Bool { detected.sha }
    /// AVX2 enabled by the OS, with BMI1 and BMI2 (the AVX2 module uses all three).
    public static var avx2: Bool { detected.avx2 }
    /// AVX-512F, enabled by the OS.
    public static var avx512: Bool { detected.avx512 }
    /// AVX-512F and AVX-512 IFMA, enabled by the OS.
    public static var ifma: Bool { detected.ifma }

    private struct Detected { var ssse3 = false, aes = false, sha = false, avx2 = false, avx512 = false, ifma = false }

    private static let detected: Detected = {
        var found = Detected()
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        var eax: UInt32 = 0, ebx: UInt32 = 0, ecx: UInt32 = 0, edx: UInt32 = 0
        // Leaf 1, ECX: bit 25 AES-NI, bit 19 SSE4.1, bit 9 SSSE3 (Intel SDM vol. 2A, CPUID).
        guard __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 else { return found }
        found.ssse3 = ecx & (1 << 9) != 0
        let base = ecx & (1 << 19) != 0 && found.ssse3
        found.aes = base && ecx & (1 << 25) != 0
        // Leaf 7 subleaf 0, EBX: bit 29 SHA, bit 5 AVX2, bit 16 AVX512F, bit 21
        // AVX512_IFMA. __get_cpuid_count returns 0 when the highest leaf is below 7.
        guard __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) != 0 else { return found }
        found.sha = base && ebx & (1 << 29) != 0
        let active = osEnabledLeaf7EBX() & ebx
        // The AVX2 module is also compiled with -mbmi -mbmi2 (EBX bits 3 and 8,
        // plain instructions that need no OS support), so AVX2 counts only with both.
        found.avx2 = active & (1 << 5) != 0 && ebx & (1 << 3) != 0 && ebx & (1 << 8) != 0
        found.avx512 = active & (1 << 16) != 0
        found.ifma = found.avx512 && active & (1 << 21) != 0
        #endif
        return found
    }()

    #if arch(x86_64) && !SPIPED_NO_INTRINSICS
    /// glibc's leaf-7 EBX with only the features the OS enables, or 0.
    private static func osEnabledLeaf7EBX() -> UInt32 {
        #if canImport(Glibc)
        // struct cpuid_feature { unsigned cpuid_array[4]; unsigned active_array[4]; }
        // for index 1 (CPUID_INDEX_7); active_array[1] is EBX.
        typealias FeatureLeaf = @convention(c) (UInt32) -> UnsafeRawPointer?
        guard let handle = dlopen(nil, RTLD_NOW),
              let address = dlsym(handle, "__x86_get_cpuid_feature_leaf") else { return 0 }
        let leaf = unsafeBitCast(address, to: FeatureLeaf.self)
        guard let features = leaf(1) else { return 0 }
        return features.load(fromByteOffset: 4 * 4 + 4, as: UInt32.self)
        #else
        return 0
        #endif
    }
    #endif
}
