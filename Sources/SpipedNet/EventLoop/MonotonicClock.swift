// The engine's time base: CLOCK_MONOTONIC in nanoseconds, immune to wall-clock
// changes, so -o timeouts and accept back-off measure real elapsed time.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic time in nanoseconds.
enum MonotonicClock {
    /// Now, in nanoseconds since an arbitrary fixed point.
    @inline(__always)
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Seconds (as given on the command line) to nanoseconds, clamped to a sane range
    /// so a huge -o value cannot overflow the deadline arithmetic.
    static func nanoseconds(_ seconds: Double) -> UInt64 {
        guard !seconds.isNaN, seconds > 0 else { return 0 }   // +infinity is capped below
        let capped = min(seconds, 100 * 365 * 86_400)
        return UInt64(capped * 1_000_000_000)
    }
}
