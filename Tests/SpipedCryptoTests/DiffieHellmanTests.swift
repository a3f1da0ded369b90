// Group-14 Diffie-Hellman: the prime equals RFC 3526's (from the vector
// file), public values match Python's pow() (Vectors/DH/dh-group14-keys.txt),
// two random parties agree, peer values are validated, and the work done
// does not depend on the secret exponent.
import Testing
import SpipedCrypto

/// Deterministic RandomSource for these tests (SplitMix64; not for real secrets).
private struct DHTestRandom: RandomSource {
    var state: UInt64
    mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) throws {
        for i in 0..<buffer.count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            buffer[i] = UInt8(truncatingIfNeeded: z ^ (z >> 31))
        }
    }
}

/// A RandomSource that always fails.
private struct FailingRandom: RandomSource {
    struct Failure: Error {}
    mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) throws { throw Failure() }
}

@Suite struct DiffieHellmanTests {
    static let p = DiffieHellmanGroup14.primeBytes
    static func minus(_ value: [UInt8], _ k: UInt8) -> [UInt8] {
        var out = value
        out[255] -= k        // fine for p (last byte 0xFF)
        return out
    }

    @Test func primeMatchesRFC3526File() throws {
        let records = try loadVectorFile("DH/rfc3526.txt")
        let group14 = try #require(records.first { $0.fields["COUNT"] == "1" })
        #expect(DiffieHellmanGroup14.primeBytes == group14.bytes("P"))
        #expect(group14.text("G") == "2")
        #expect(DiffieHellmanGroup14.primeBytes.count == DiffieHellmanGroup14.publicValueByteCount)
    }

    @Test func publicValuesMatchPython() throws {
        let records = try loadVectorFile("DH/dh-group14-keys.txt")
        #expect(records.count >= 50)
        for record in records {
            let x = record.bytes("X")
            let key = DiffieHellmanGroup14.PrivateKey(exponentBytes: x)
            #expect(key.publicValue() == record.bytes("Y"), "line \(record.line)")
            // Every engine's comb (portable, AVX-512 IFMA where available) gives the same value.
            for engine in ModularExponentiationImplementation.allCases where engine.isAvailable {
                #expect(key.publicValue(implementation: engine) == record.bytes("Y"), "line \(record.line), \(engine)")
            }
            // The generic variable-base path agrees with the fixed-base comb.
            #expect(modularExponentiation(base: [2], exponent: [0x04] + x, modulus: Self.p) == record.bytes("Y"))
        }
    }

    @Test func twoPartiesAgree() throws {
        var rng = DHTestRandom(state: 42)
        var system = SystemRandom()
        for round in 0..<4 {
            var a = round.isMultiple(of: 2) ? try DiffieHellmanGroup14.PrivateKey(using: &rng)
                                            : try DiffieHellmanGroup14.PrivateKey(using: &system)
            let b = try DiffieHellmanGroup14.PrivateKey(using: &rng)
            let ya = a.publicValue(), yb = b.publicValue()
            #expect(ya.count == 256 && yb.count == 256 && ya != yb)
            let sa = try a.sharedValue(peerPublicValue: yb)
            let sb = try b.sharedValue(peerPublicValue: ya)
            #expect(sa == sb)
            #expect(sa.count == 256 && sa != ya && sa != yb)
            a.wipe()
            #expect(a.publicValue() == DiffieHellmanGroup14.PrivateKey(exponentBytes: [UInt8](repeating: 0, count: 32)).publicValue())
        }
    }

    @Test func sharedValueMatchesGenericPath() throws {
        var rng = DHTestRandom(state: 99)
        for _ in 0..<3 {
            var x = [UInt8](repeating: 0, count: 32)
            try x.withUnsafeMutableBytes { try rng.fill($0) }
            let peer = try DiffieHellmanGroup14.PrivateKey(using: &rng).publicValue()
            let key = DiffieHellmanGroup14.PrivateKey(exponentBytes: x)
            let expected = modularExponentiation(base: peer, exponent: [0x04] + x, modulus: Self.p)
            #expect(try key.sharedValue(peerPublicValue: peer) == expected)
        }
    }

    @Test func rngFailureIsThrown() {
        var failing = FailingRandom()
        #expect(throws: FailingRandom.Failure.self) { _ = try DiffieHellmanGroup14.PrivateKey(using: &failing) }
    }

    @Test func badPeerValuesRefused() throws {
        let key = DiffieHellmanGroup14.PrivateKey(exponentBytes: [UInt8](repeating: 7, count: 32))
        let zero = [UInt8](repeating: 0, count: 256)
        let cases: [([UInt8], DiffieHellmanError)] = [
            (Self.p, .notLessThanPrime),
            (Self.minus(Self.p, 0) .enumerated().map { $0.offset == 255 ? 0xFF : $0.element }, .notLessThanPrime),
            ([UInt8](repeating: 0xFF, count: 256), .notLessThanPrime),
            ([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xCA] + [UInt8](repeating: 0, count: 247), .notLessThanPrime),
            (zero, .zero),
            (Self.minus(Self.p, 1), .primeMinusOne),
            ([], .wrongLength),
            ([UInt8](repeating: 1, count: 255), .wrongLength),
            ([0] + Self.minus(Self.p, 2), .wrongLength),
            ([UInt8](repeating: 2, count: 257), .wrongLength),
        ]
        for (value, error) in cases {
            #expect(throws: error) { try DiffieHellmanGroup14.validate(peerPublicValue: value) }
            #expect(throws: error) { _ = try key.sharedValue(peerPublicValue: value) }
        }
        // Just below the bounds is fine; 1 (spiped's fast mode) is accepted.
        let one = [UInt8](repeating: 0, count: 255) + [1]
        for value in [Self.minus(Self.p, 2), one, zero.enumerated().map { $0.offset == 255 ? 2 : 0 }] {
            try DiffieHellmanGroup14.validate(peerPublicValue: value)
        }
        #expect(try key.sharedValue(peerPublicValue: one) == one)
        // (p-2)^E with E = 2^258 + x even or odd: just check it runs and is < p.
        let s = try key.sharedValue(peerPublicValue: Self.minus(Self.p, 2))
        #expect(s.count == 256)
    }

    /// Constant flow: the same number of squarings, multiplications and
    /// table scans for every secret exponent (all-zero, all-one, random).
    @Test func operationCountsDoNotDependOnSecret() throws {
        var rng = DHTestRandom(state: 7)
        var keys = [DiffieHellmanGroup14.PrivateKey(exponentBytes: [UInt8](repeating: 0, count: 32)),
                    DiffieHellmanGroup14.PrivateKey(exponentBytes: [UInt8](repeating: 0xFF, count: 32)),
                    DiffieHellmanGroup14.PrivateKey(exponentBytes: [0x80] + [UInt8](repeating: 0, count: 31))]
        for _ in 0..<3 { keys.append(try DiffieHellmanGroup14.PrivateKey(using: &rng)) }
        let peer = try DiffieHellmanGroup14.PrivateKey(using: &rng).publicValue()
        var publicCounts: [ModExpOperationCounts] = [], sharedCounts: [ModExpOperationCounts] = []
        for key in keys {
            let (y, pc) = key.publicValueCountingOperations()
            #expect(y == key.publicValue())
            publicCounts.append(pc)
            sharedCounts.append(try key.sharedValueCountingOperations(peerPublicValue: peer).counts)
        }
        #expect(Set(publicCounts.map { "\($0)" }).count == 1)
        #expect(Set(sharedCounts.map { "\($0)" }).count == 1)
        let fixed = publicCounts[0], variable = sharedCounts[0]
        #expect(fixed.tableScans > 0 && variable.tableScans > 0)
        #expect(fixed.squarings < variable.squarings)     // the comb really is used for 2^E
    }
}
