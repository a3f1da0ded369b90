// The one seeded generator of every test target: SplitMix64 (Steele, Lea,
// Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014), so
// random-input tests are reproducible from their seed. Test inputs only,
// never secrets. It is also a RandomSource, for handshakes whose nonces and
// exponents must repeat from run to run.
import SpipedCrypto

/// SplitMix64: a seeded generator for reproducible test inputs.
public struct SeededGenerator: RandomNumberGenerator, RandomSource {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) throws {
        for i in 0..<buffer.count { buffer[i] = UInt8(truncatingIfNeeded: next()) }
    }

    /// `count` bytes, one generator output per byte.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        for i in 0..<count { out[i] = UInt8(truncatingIfNeeded: next()) }
        return out
    }

    /// `count` bytes, eight per generator output (for large payloads).
    public mutating func wordBytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { raw in
            var i = 0
            while i + 8 <= count {
                raw.storeBytes(of: next(), toByteOffset: i, as: UInt64.self)
                i += 8
            }
            var last = next()
            while i < count {
                raw[i] = UInt8(truncatingIfNeeded: last)
                last >>= 8
                i += 1
            }
        }
        return out
    }
}
