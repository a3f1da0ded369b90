// UInt2048 (byte import/export, comparisons) and the Montgomery
// multiplication and squaring kernels, checked against Python's integers
// (Vectors/DH/bignum-mulmod.txt: products and squares modulo the group-14
// prime, random odd 2048-bit moduli, smaller odd moduli, 2^2048 - 1 and 1).
import SpipedTestSupport
import Testing
import SpipedCrypto

@Suite struct BigNumTests {
    @Test func bigEndianRoundTrip() throws {
        let bytes = (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let value = try #require(UInt2048(bigEndianBytes: bytes))
        #expect(value.bigEndianBytes() == bytes)
        // Shorter input is left-padded; longer input is fine while the extra bytes are zero.
        let short = try #require(UInt2048(bigEndianBytes: [0x01, 0x02]))
        #expect(short.bigEndianBytes() == [UInt8](repeating: 0, count: 254) + [1, 2])
        #expect(short == UInt2048(0x0102))
        let padded = try #require(UInt2048(bigEndianBytes: [0, 0, 0] + bytes))
        #expect(padded == value)
        #expect(UInt2048(bigEndianBytes: [1] + bytes) == nil)
        #expect(UInt2048(bigEndianBytes: [UInt8]())?.isZero == true)
        #expect(UInt2048(bigEndianBytes: ArraySlice(bytes)) == value)     // non-Array collections too
    }

    @Test func comparisons() throws {
        let p = try #require(UInt2048(bigEndianBytes: DiffieHellmanGroup14.primeBytes))
        var pMinus1Bytes = DiffieHellmanGroup14.primeBytes
        pMinus1Bytes[255] -= 1
        let pMinus1 = try #require(UInt2048(bigEndianBytes: pMinus1Bytes))
        let max = try #require(UInt2048(bigEndianBytes: [UInt8](repeating: 0xFF, count: 256)))
        #expect(pMinus1.isLess(than: p))
        #expect(!p.isLess(than: pMinus1))
        #expect(!p.isLess(than: p))
        #expect(p.isLess(than: max))
        #expect(UInt2048().isLess(than: UInt2048(1)))
        #expect(!UInt2048(1).isLess(than: UInt2048()))
        // Differences only in the lowest and only in the highest limb.
        #expect(UInt2048(5).isLess(than: UInt2048(6)))
        var high = [UInt8](repeating: 0, count: 256)
        high[0] = 1
        #expect(UInt2048(UInt64.max).isLess(than: try #require(UInt2048(bigEndianBytes: high))))
        #expect(p != pMinus1)
        #expect(p == (try #require(UInt2048(bigEndianBytes: DiffieHellmanGroup14.primeBytes))))
        #expect(UInt2048().isZero && !UInt2048(1).isZero && !max.isZero)
        #expect(p.significantBitCount == 2048 && UInt2048(1).significantBitCount == 1 && UInt2048().significantBitCount == 0)
        var wiped = p
        wiped.wipe()
        #expect(wiped.isZero)
    }

    @Test func evenOrZeroModulusRefused() {
        #expect(MontgomeryModulus(modulus: UInt2048()) == nil)
        #expect(MontgomeryModulus(modulus: UInt2048(1 << 40)) == nil)
        #expect(MontgomeryModulus(modulus: UInt2048(3)) != nil)
    }

    @Test func montgomeryMultiplyAndSquareMatchPython() throws {
        let records = try loadVectorFile("DH/bignum-mulmod.txt")
        #expect(records.count >= 100)
        var failures = 0
        for record in records {
            guard let a = UInt2048(bigEndianBytes: record.bytes("A")),
                  let b = UInt2048(bigEndianBytes: record.bytes("B")),
                  let n = UInt2048(bigEndianBytes: record.bytes("MODULUS")),
                  let context = MontgomeryModulus(modulus: n) else {
                Issue.record("line \(record.line): unreadable record")
                continue
            }
            let product = context.multiply(a, b).bigEndianBytes()
            let square = context.square(a).bigEndianBytes()
            if product != record.bytes("PRODUCT") || square != record.bytes("SQUARE") {
                failures += 1
                if failures <= 5 {
                    Issue.record("line \(record.line): product \(hex(product)) square \(hex(square))")
                }
            }
        }
        #expect(failures == 0)
    }
}
