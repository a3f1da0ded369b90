// Tests for the support primitives: constant-time comparison, wiping and
// the system random source.
import Testing
import SpipedCrypto

@Suite struct SupportTests {
    @Test("constantTimeEqual truth table")
    func constantTimeEqualTable() {
        let base: [UInt8] = Array(0..<32)
        func flipped(_ index: Int) -> [UInt8] { var c = base; c[index] ^= 0x80; return c }
        let cases: [([UInt8], [UInt8], Bool)] = [
            ([], [], true),
            ([], [0], false),
            ([0], [], false),
            ([0], [0], true),
            ([0], [1], false),
            (base, base, true),
            (base, flipped(0), false),
            (base, flipped(15), false),
            (base, flipped(31), false),
            (base, Array(base.dropLast()), false),
            (base, base + [0], false),
            ([UInt8](repeating: 0, count: 8), [UInt8](repeating: 0, count: 9), false),
            ([0xFF, 0x00], [0x00, 0xFF], false),
        ]
        for (a, b, equal) in cases {
            #expect(constantTimeEqual(a, b) == equal, "\(a) vs \(b)")
            let raw = a.withUnsafeBytes { ra in b.withUnsafeBytes { rb in constantTimeEqual(ra, rb) } }
            #expect(raw == equal, "raw \(a) vs \(b)")
        }
        // Every single-bit difference in every position is seen.
        for index in 0..<base.count {
            for bit in 0..<8 {
                var c = base
                c[index] ^= UInt8(1) << bit
                #expect(!constantTimeEqual(base, c))
            }
        }
    }

    @Test("secureZero zeroes buffers and arrays")
    func secureZeroZeroes() {
        var bytes = testMessage(length: 1000, seed: 77)
        #expect(bytes.contains { $0 != 0 })
        bytes.withUnsafeMutableBytes { secureZero(UnsafeMutableRawBufferPointer(rebasing: $0[100..<200])) }
        #expect(bytes[100..<200].allSatisfy { $0 == 0 })
        #expect(bytes[..<100] == testMessage(length: 1000, seed: 77)[..<100])
        #expect(bytes[200...] == testMessage(length: 1000, seed: 77)[200...])
        secureZero(&bytes)
        #expect(bytes.count == 1000 && bytes.allSatisfy { $0 == 0 })
        var empty: [UInt8] = []
        secureZero(&empty)
        secureZero(UnsafeMutableRawBufferPointer(start: nil, count: 0))
        #expect(empty.isEmpty)
    }

    @Test("SystemRandom fills buffers; two draws differ")
    func systemRandom() throws {
        var random = SystemRandom()
        let first = try random.bytes(count: 64)
        let second = try random.bytes(count: 64)
        #expect(first.count == 64 && second.count == 64)
        #expect(first != second)
        // A large buffer (many 256-byte getentropy chunks) is filled to the end.
        var large = [UInt8](repeating: 0, count: 100_003)
        try large.withUnsafeMutableBytes { try random.fill($0) }
        #expect(large.suffix(64).contains { $0 != 0 })
        #expect(large.prefix(64).contains { $0 != 0 })
        // Every byte value shows up in 100 kB of uniform bytes (fails with probability ~ 2^-500).
        var seen = [Bool](repeating: false, count: 256)
        for byte in large { seen[Int(byte)] = true }
        #expect(seen.allSatisfy { $0 })
        try random.fill(UnsafeMutableRawBufferPointer(start: nil, count: 0))
        #expect(try random.bytes(count: 0).isEmpty)
    }
}
