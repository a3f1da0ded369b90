// Modular exponentiation against Python's pow(): every record of
// Vectors/DH/modexp-group14.txt (group-14 p and other odd moduli, edge
// cases), plus the constant-flow check on the operation counts and the
// refusal of unusable moduli. Every engine available on this machine
// (portable, AVX-512 IFMA) runs the whole vector file and the count check.
import SpipedTestSupport
import Testing
import SpipedCrypto

/// The modexp engines this machine can run (portable always).
let availableModExpEngines = ModularExponentiationImplementation.allCases.filter(\.isAvailable)

@Suite struct ModExpTests {
    @Test(arguments: availableModExpEngines)
    func knownAnswersFromPythonPow(engine: ModularExponentiationImplementation) throws {
        let records = try loadVectorFile("DH/modexp-group14.txt")
        #expect(records.count >= 500)
        var failures = 0
        for record in records {
            let base = record.bytes("BASE"), exponent = record.bytes("EXPONENT")
            let modulus = record.bytes("MODULUS"), expected = record.bytes("RESULT")
            let result = modularExponentiation(base: base, exponent: exponent, modulus: modulus, implementation: engine)
            if result != expected {
                failures += 1
                if failures <= 5 {
                    Issue.record("line \(record.line): \(hex(base.prefix(8)))... ^ \(exponent.count) bytes mod \(modulus.count) bytes: got \(hex(result)), want \(hex(expected))")
                }
            }
        }
        #expect(failures == 0)
    }

    /// The work done depends on the exponent's length only: same counts for
    /// all-zero, all-one, sparse and random exponents of the same length.
    @Test(arguments: availableModExpEngines, [1, 8, 32, 33, 256])
    func operationCountsDependOnlyOnExponentLength(engine: ModularExponentiationImplementation, byteCount: Int) {
        let p = DiffieHellmanGroup14.primeBytes
        var generator = SeededGenerator(seed: UInt64(byteCount))
        let exponents: [[UInt8]] = [
            [UInt8](repeating: 0, count: byteCount),
            [UInt8](repeating: 0xFF, count: byteCount),
            [1] + [UInt8](repeating: 0, count: byteCount - 1),
            [UInt8](repeating: 0, count: byteCount - 1) + [1],
            (0..<byteCount).map { _ in UInt8(truncatingIfNeeded: generator.next()) },
            (0..<byteCount).map { _ in UInt8(truncatingIfNeeded: generator.next()) },
        ]
        let bases: [[UInt8]] = [[2], (0..<256).map { _ in UInt8(truncatingIfNeeded: generator.next()) }]
        var seen: Set<String> = []
        for exponent in exponents {
            for base in bases {
                let (result, counts) = modularExponentiationCountingOperations(base: base, exponent: exponent, modulus: p,
                                                                               implementation: engine)
                #expect(result == modularExponentiation(base: base, exponent: exponent, modulus: p, implementation: .portable))
                seen.insert("\(counts.multiplications)/\(counts.squarings)/\(counts.tableScans)/\(counts.tableEntriesRead)")
                #expect(counts.tableScans > 0)
            }
        }
        #expect(seen.count == 1, "operation counts differ between exponents: \(seen)")
    }

    @Test func unusableModuliGiveEmptyResult() {
        #expect(modularExponentiation(base: [2], exponent: [3], modulus: []).isEmpty)
        #expect(modularExponentiation(base: [2], exponent: [3], modulus: [0]).isEmpty)
        #expect(modularExponentiation(base: [2], exponent: [3], modulus: [0x10]).isEmpty)
        #expect(modularExponentiation(base: [2], exponent: [3], modulus: [1] + [UInt8](repeating: 0xFF, count: 256)).isEmpty)
        // Leading zero bytes on a modulus are fine and keep the output length.
        #expect(modularExponentiation(base: [2], exponent: [10], modulus: [0, 0, 0x03, 0xE9]) == [0, 0, 0x00, 0x17])
    }

    @Test(arguments: availableModExpEngines)
    func exponentZeroGivesOneModM(engine: ModularExponentiationImplementation) {
        let p = DiffieHellmanGroup14.primeBytes
        let one = [UInt8](repeating: 0, count: 255) + [1]
        #expect(modularExponentiation(base: [7], exponent: [], modulus: p, implementation: engine) == one)
        #expect(modularExponentiation(base: [0], exponent: [0, 0], modulus: p, implementation: engine) == one)
        #expect(modularExponentiation(base: [9], exponent: [], modulus: [1], implementation: engine) == [0])
    }

    /// Differential check of every engine against the portable one on random
    /// odd moduli of many sizes (top limbs all ones included: the almost-
    /// Montgomery bound is tightest there), bases of any size, short and long exponents.
    @Test(arguments: availableModExpEngines)
    func enginesAgreeOnRandomInputs(engine: ModularExponentiationImplementation) {
        var generator = SeededGenerator(seed: 2080)
        func random(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) } }
        for round in 0..<120 {
            let size = [1, 2, 31, 128, 255, 256][round % 6]
            var modulus = random(size)
            modulus[modulus.count - 1] |= 1
            if round % 4 == 0 { for i in 0..<min(8, size - 1) { modulus[i] = 0xFF } }
            let base = random([1, 64, 256, 300][round % 4])
            let exponent = random([0, 1, 33, 256][(round / 3) % 4])
            let expected = modularExponentiation(base: base, exponent: exponent, modulus: modulus, implementation: .portable)
            #expect(modularExponentiation(base: base, exponent: exponent, modulus: modulus, implementation: engine) == expected,
                    "round \(round): \(size)-byte modulus, \(exponent.count)-byte exponent")
        }
    }

    /// The IFMA engine is really offered where the CPU has it (so the runs above cover it).
    @Test func ifmaAvailabilityMatchesPreference() {
        if ModularExponentiationImplementation.avx512IFMA.isAvailable {
            #expect(availableModExpEngines.count == 2)
        }
        #expect(ModularExponentiationImplementation.preferred.isAvailable)
    }
}
