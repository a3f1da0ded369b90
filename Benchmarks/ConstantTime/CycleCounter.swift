// Reads the CPU's time-stamp counter for the timing harness.
//
// `rdtscp` waits until every earlier instruction has executed before it reads
// the counter, so the end stamp covers the whole measured operation; the
// start stamp likewise waits for the set-up work before it. (`lfence` would
// also keep later instructions from starting early, but `_mm_lfence` does not
// link from Swift; the small overlap it would remove is the same for both
// input classes, so it adds noise, not bias.) No target flags are needed.
//
// Guarantees: monotonic on CPUs with an invariant TSC (constant_tsc,
// nonstop_tsc in /proc/cpuinfo); units are TSC ticks, not core cycles.
#if arch(x86_64)
import _Builtin_intrinsics.intel

/// The time-stamp counter after all earlier instructions have executed.
@inline(__always)
func readCycleCounter() -> UInt64 {
    var processor: UInt32 = 0
    return __rdtscp(&processor)
}
#else
#if canImport(Glibc)
import Glibc
#endif

/// Nanoseconds of CLOCK_MONOTONIC_RAW (fallback where there is no TSC).
@inline(__always)
func readCycleCounter() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC_RAW, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}
#endif
