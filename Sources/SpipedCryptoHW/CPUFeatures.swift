// Run-time detection of the x86 instruction-set extensions the hardware
// kernels need, read once per process with CPUID.
//
// Why each bit: this module is compiled with -maes -msha -mssse3 -msse4.1
// -mpclmul, so the compiler may use any of those anywhere in the kernels;
// a kernel is reported usable only if every extension it may execute is
// present. All of them operate on XMM registers, whose saving across
// context switches (FXSAVE/OSFXSR) is part of the x86_64 baseline that
// every x86_64 operating system enables, so no XGETBV check is needed (that
// would only matter for AVX/VAES, which these kernels do not use).
// Guarantees: never faults on any x86_64 CPU; false on other architectures
// and in builds without intrinsics (SPIPED_PORTABLE=1).
#if arch(x86_64) && !SPIPED_NO_INTRINSICS
internal import _Builtin_intrinsics.intel.cpuid
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

    /// AES-NI plus the SSSE3 and SSE4.1 the AES kernels also use.
    public static let aes: Bool = detected.aes

    /// The SHA extensions plus the SSSE3 and SSE4.1 the SHA kernel also uses.
    public static let sha: Bool = detected.sha

    private static let detected: (aes: Bool, sha: Bool) = {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        var eax: UInt32 = 0, ebx: UInt32 = 0, ecx: UInt32 = 0, edx: UInt32 = 0
        // Leaf 1, ECX: bit 25 AES-NI, bit 19 SSE4.1, bit 9 SSSE3 (Intel SDM vol. 2A, CPUID).
        guard __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 else { return (false, false) }
        let base = ecx & (1 << 19) != 0 && ecx & (1 << 9) != 0
        let aesni = base && ecx & (1 << 25) != 0
        // Leaf 7 subleaf 0, EBX bit 29: SHA extensions. __get_cpuid_count
        // returns 0 when the CPU's highest leaf is below 7.
        var sha = false
        if __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) != 0 {
            sha = base && ebx & (1 << 29) != 0
        }
        return (aesni, sha)
        #else
        return (false, false)
        #endif
    }()
}
