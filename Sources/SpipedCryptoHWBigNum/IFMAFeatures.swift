// Run-time detection of AVX-512F + AVX-512 IFMA (vpmadd52luq/vpmadd52huq),
// the instructions of the radix-2^52 Montgomery kernel in this module.
//
// Why glibc is asked and not only CPUID: AVX-512 code also needs the
// operating system to save the ZMM and opmask registers (XCR0 bits 5-7).
// Reading XCR0 takes XGETBV, whose Clang intrinsic is a macro Swift cannot
// import; glibc (2.33+) already combines CPUID with XCR0 into its "active"
// feature bits, exported as `__x86_get_cpuid_feature_leaf`. It is looked up
// with dlsym: if it is missing (older or other C library) the kernel is
// reported unusable, never guessed usable.
// Guarantees: never faults on any x86_64 CPU; false on other architectures
// and in builds without intrinsics (SPIPED_PORTABLE=1).
#if arch(x86_64) && !SPIPED_NO_INTRINSICS
internal import _Builtin_intrinsics.intel.cpuid
#if canImport(Glibc)
internal import Glibc
#endif
#endif

/// Whether this CPU and OS can run the AVX-512 IFMA bignum kernel.
public enum BigNumHardwareFeatures {
    /// True when the kernel was compiled into this build (x86_64 without
    /// `SPIPED_PORTABLE=1`); `ifma` is false otherwise.
    public static let kernelsCompiledIn: Bool = {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        return true
        #else
        return false
        #endif
    }()

    /// AVX-512F and AVX-512 IFMA present in the CPU and enabled by the OS.
    public static let ifma: Bool = detect()

    private static func detect() -> Bool {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS && canImport(Glibc)
        // Leaf 7 subleaf 0, EBX: bit 16 AVX512F, bit 21 AVX512_IFMA (Intel SDM vol. 2A, CPUID).
        var eax: UInt32 = 0, ebx: UInt32 = 0, ecx: UInt32 = 0, edx: UInt32 = 0
        guard __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) != 0 else { return false }
        let wanted: UInt32 = (1 << 16) | (1 << 21)
        guard ebx & wanted == wanted else { return false }
        // glibc's view: struct cpuid_feature { unsigned cpuid_array[4]; unsigned active_array[4]; }
        // for index 1 (CPUID_INDEX_7); active_array[1] is EBX with only OS-enabled bits set.
        typealias FeatureLeaf = @convention(c) (UInt32) -> UnsafeRawPointer?
        guard let handle = dlopen(nil, RTLD_NOW),
              let address = dlsym(handle, "__x86_get_cpuid_feature_leaf") else { return false }
        let leaf = unsafeBitCast(address, to: FeatureLeaf.self)
        guard let features = leaf(1) else { return false }
        let activeEBX = features.load(fromByteOffset: 4 * 4 + 4, as: UInt32.self)
        return activeEBX & wanted == wanted
        #else
        return false
        #endif
    }
}
