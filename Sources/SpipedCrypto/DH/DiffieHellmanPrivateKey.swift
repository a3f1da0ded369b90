// A group-14 Diffie-Hellman private value x (256 random bits) and the two
// operations spiped needs: the public value 2^(2^258 + x) mod p and the
// shared value y_peer^(2^258 + x) mod p.
//
// Why 2^258 + x: the exponent then always has exactly 259 bits, so its
// length cannot leak anything about x (the spiped reference does the same;
// the peer cannot tell, so any 256-bit-entropy exponent interoperates).
//
// Guarantees: both operations are constant-time in x (fixed-base comb for
// the public value, fixed-window ladder for the shared value; see their
// files), on either engine (`ModularExponentiationImplementation.preferred`:
// AVX-512 IFMA where available, else portable). x lives inline in the struct (four words, no heap copy); the
// exponent words built from it and all workspaces are wiped after use, and
// `wipe()` clears x. Copies of the struct are copies of the secret.

extension DiffieHellmanGroup14 {
    /// A private exponent x; the exponent actually used is 2^258 + x.
    public struct PrivateKey: Sendable {
        /// x as 4 little-endian 64-bit words.
        private var x: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

        /// Number of random bytes in x.
        static let byteCount = 32

        /// Draws x as 32 bytes from `rng` (the kernel RNG in production).
        public init(using rng: inout some RandomSource) throws {
            var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            defer { withUnsafeMutableBytes(of: &bytes) { secureZero($0) } }
            try withUnsafeMutableBytes(of: &bytes) { try rng.fill($0) }
            withUnsafeBytes(of: bytes) { load(UnsafeRawBufferPointer($0)) }
        }

        /// Uses the given bytes as x, big-endian (for tests and transcripts).
        ///
        /// Meant for exactly 32 bytes; a shorter array is read as if padded
        /// with leading zeros, and only the last 32 bytes of a longer one count.
        public init(exponentBytes x: [UInt8]) {
            x.withUnsafeBytes { load($0) }
        }

        /// Sets x from big-endian bytes (the last 32 count). Same work for any values.
        private mutating func load(_ bytes: UnsafeRawBufferPointer) {
            withUnsafeMutableBytes(of: &x) { words in
                let limbs = words.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UInt64.self)
                for i in 0..<4 { limbs[i] = 0 }
                let count = min(bytes.count, PrivateKey.byteCount)
                for position in 0..<count {
                    limbs[position >> 3] |= UInt64(bytes[bytes.count - 1 - position]) << UInt64((position & 7) << 3)
                }
            }
        }

        /// Calls `body` with E = 2^258 + x as 6 little-endian limbs (bit 258
        /// is bit 2 of limb 4; limb 5 is the zero limb the digit readers may
        /// touch), then wipes them.
        private func withExponent<R>(_ body: (UnsafePointer<UInt64>) -> R) -> R {
            var e: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (x.0, x.1, x.2, x.3, 1 << 2, 0)
            defer { withUnsafeMutableBytes(of: &e) { secureZero($0) } }
            return withUnsafeBytes(of: &e) { raw in
                body(raw.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UInt64.self))
            }
        }

        /// The public value y = 2^(2^258 + x) mod p: 256 bytes, big-endian.
        public func publicValue() -> [UInt8] {
            var counts = ModExpOperationCounts()
            return publicValue(implementation: .preferred, counts: &counts)
        }

        /// ``publicValue()`` on a chosen engine (for tests and benchmarks); an
        /// unavailable one is replaced by `.portable`.
        package func publicValue(implementation: ModularExponentiationImplementation) -> [UInt8] {
            var counts = ModExpOperationCounts()
            return publicValue(implementation: implementation, counts: &counts)
        }

        /// The shared value y_peer^(2^258 + x) mod p (256 bytes, big-endian),
        /// after checking the peer's value with ``DiffieHellmanGroup14/validate(peerPublicValue:)``.
        public func sharedValue(peerPublicValue: [UInt8]) throws(DiffieHellmanError) -> [UInt8] {
            var counts = ModExpOperationCounts()
            return try sharedValue(peerPublicValue: peerPublicValue, counts: &counts)
        }

        /// For tests: ``publicValue()`` plus the operations it ran.
        package func publicValueCountingOperations() -> (publicValue: [UInt8], counts: ModExpOperationCounts) {
            var counts = ModExpOperationCounts()
            let value = publicValue(implementation: .preferred, counts: &counts)
            return (value, counts)
        }

        /// For tests: ``sharedValue(peerPublicValue:)`` plus the operations it ran.
        package func sharedValueCountingOperations(peerPublicValue: [UInt8])
            throws(DiffieHellmanError) -> (sharedValue: [UInt8], counts: ModExpOperationCounts) {
            var counts = ModExpOperationCounts()
            let value = try sharedValue(peerPublicValue: peerPublicValue, counts: &counts)
            return (value, counts)
        }

        /// Overwrites x with zero (the key then no longer holds a secret).
        public mutating func wipe() {
            withUnsafeMutableBytes(of: &x) { secureZero($0) }
        }

        private func publicValue(implementation: ModularExponentiationImplementation,
                                 counts: inout ModExpOperationCounts) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: DiffieHellmanGroup14.publicValueByteCount)
            let useIFMA = implementation == .avx512IFMA && implementation.isAvailable
            withExponent { e in
                out.withUnsafeMutableBytes { output in
                    if useIFMA {
                        Group14CombTableIFMA.shared.power(exponent: e, into: output, counts: &counts)
                    } else {
                        Group14CombTable.shared.power(exponent: e, into: output, counts: &counts)
                    }
                }
            }
            return out
        }

        private func sharedValue(peerPublicValue: [UInt8],
                                 counts: inout ModExpOperationCounts) throws(DiffieHellmanError) -> [UInt8] {
            try DiffieHellmanGroup14.validate(peerPublicValue: peerPublicValue)
            var out = [UInt8](repeating: 0, count: DiffieHellmanGroup14.publicValueByteCount)
            withExponent { e in
                peerPublicValue.withUnsafeBytes { peer in
                    out.withUnsafeMutableBytes { output in
                        DiffieHellmanGroup14.montgomery.power(baseBytes: peer, exponent: e, bits: Group14CombTable.exponentBits,
                                                              into: output, counts: &counts)
                    }
                }
            }
            return out
        }
    }
}
