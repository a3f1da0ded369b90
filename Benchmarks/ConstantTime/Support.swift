// Small helpers for the timing harness: a fast generator for class bits and
// random inputs, a monotonic clock for the report, and number formatting
// (the target avoids Foundation so it compiles quickly and stays small).
//
// Guarantees: none about secrecy; the generator only needs to be unbiased and
// unpredictable to the code under test, and is seeded from getrandom(2).
#if canImport(Glibc)
import Glibc
#endif
import SpipedCrypto

/// SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number
/// generators", OOPSLA 2014): one add and a mixing function per output.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Fills `count` bytes at `bytes` with generator output.
    mutating func fill(_ bytes: UnsafeMutableRawPointer, count: Int) {
        var offset = 0
        while offset + 8 <= count {
            bytes.storeBytes(of: next(), toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        if offset < count {
            let word = next()
            for i in 0..<(count - offset) {
                bytes.storeBytes(of: UInt8(truncatingIfNeeded: word >> UInt64(8 * i)), toByteOffset: offset + i, as: UInt8.self)
            }
        }
    }

    /// `count` generator bytes as an array.
    mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { fill($0.baseAddress.unsafelyUnwrapped, count: count) }
        return out
    }
}

/// 64 bits from the kernel's generator, to seed SplitMix64.
func freshSeed() throws -> UInt64 {
    var rng = SystemRandom()
    var seed: UInt64 = 0
    try withUnsafeMutableBytes(of: &seed) { try rng.fill($0) }
    return seed
}

/// Seconds of CLOCK_MONOTONIC, for reporting run times.
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// `value` with `places` decimals, e.g. decimal(-0.25, places: 2) == "-0.25".
func decimal(_ value: Double, places: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let scaled = Int((abs(value) * scale).rounded())
    let whole = scaled / Int(scale), fraction = scaled % Int(scale)
    var digits = String(fraction)
    while digits.count < places { digits = "0" + digits }
    let sign = value < 0 && scaled != 0 ? "-" : ""
    return places == 0 ? sign + String(whole) : sign + String(whole) + "." + digits
}

/// Writes `line` and a newline to standard output at once (unbuffered, so
/// progress shows when the output goes to a file).
func emit(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(1, bytes.baseAddress.unsafelyUnwrapped + offset, bytes.count - offset)
            if written <= 0 { return }
            offset += written
        }
    }
}

/// `text` right-aligned in `width` columns.
func padded(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}
