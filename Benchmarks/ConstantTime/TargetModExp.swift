// Target 3: the 2048-bit modular exponentiation behind Diffie-Hellman, with
// the base fixed (a valid group-14 public value) and the exponent varying.
//
// Classes: fixed = x = 0, i.e. exponent E = 2^258 exactly (every window digit
// below the top is 0: the input that would be fastest for code that skips the
// multiply on a zero digit or whose work follows the Hamming weight), random
// = uniformly random x. The exponent is always 2^258 + x, as in spiped.
// `--modexp-fixed ones|random` picks x = all ones (maximal Hamming weight) or
// one random x drawn at start (dudect's generic fixed class) instead.
// `--modexp-modulus random` makes the modexp-* targets use a random odd
// 2048-bit modulus instead of the group-14 prime (whose Montgomery form of 1,
// 2^k mod p, is about 2^30 below full width because p's top 64 bits are ones):
// a probe for operand-value effects. `dh` always uses group 14.
//
// Two entry points:
// - `dh`: DiffieHellmanGroup14.PrivateKey(exponentBytes:).sharedValue(peerPublicValue:),
//   the exact code the handshake runs, on the default engine
//   (ModularExponentiationImplementation.preferred; SPIPED_MODEXP=portable|ifma).
// - `modexp-portable`, `modexp-ifma`: the public
//   modularExponentiation(base:exponent:modulus:implementation:) with a 33-byte
//   exponent 0x04 || x and the group-14 prime, on a chosen engine.
import SpipedCrypto

/// The fixed-class private value x of the modexp targets.
enum FixedExponent: String {
    case zero, ones, random
}

/// Times one 2048-bit exponentiation with a fixed base.
struct ModExpTarget: TimingTarget {
    /// The code path under test.
    enum Path {
        case sharedValue
        case modularExponentiation(ModularExponentiationImplementation)
    }

    let path: Path
    var name: String {
        switch path {
        case .sharedValue: return "dh"
        case .modularExponentiation(let engine): return engine == .portable ? "modexp-portable" : "modexp-ifma"
        }
    }
    var classDescription: String {
        let engine: String
        switch path {
        case .sharedValue: engine = "sharedValue on the default engine (\(ModularExponentiationImplementation.preferred))"
        case .modularExponentiation(let e): engine = "modularExponentiation on \(e)"
        }
        let fixed: String
        switch fixedKind {
        case .zero: fixed = "fixed = exponent 2^258 (x = 0)"
        case .ones: fixed = "fixed = exponent 2^258 + 2^256 - 1 (x = all ones)"
        case .random: fixed = "fixed = 2^258 + x0 (one random x0)"
        }
        let m: String
        if case .modularExponentiation = path { m = randomModulus ? "; random odd 2048-bit modulus" : "; group-14 prime" } else { m = "" }
        return fixed + ", random = 2^258 + random x; fixed base (a valid peer value); " + engine + m
    }
    var expectation: Expectation { .noLeak }

    private let base: [UInt8]
    private let modulus: [UInt8]
    private let randomModulus: Bool
    private let fixedKind: FixedExponent
    private let fixedX: [UInt8]
    private var keys: [DiffieHellmanGroup14.PrivateKey]
    private var exponents: [[UInt8]]
    private var rng: SplitMix64

    init(path: Path, fixed: FixedExponent, randomModulus: Bool = false, chunkSize: Int) throws {
        self.path = path
        self.randomModulus = randomModulus
        fixedKind = fixed
        rng = SplitMix64(seed: try freshSeed())
        switch fixed {
        case .zero: fixedX = [UInt8](repeating: 0, count: 32)
        case .ones: fixedX = [UInt8](repeating: 0xFF, count: 32)
        case .random: fixedX = rng.bytes(32)
        }
        // A peer's public value: 2^(2^258 + y) mod p for a random y.
        base = DiffieHellmanGroup14.PrivateKey(exponentBytes: rng.bytes(32)).publicValue()
        if randomModulus, case .modularExponentiation = path {
            var m = rng.bytes(256)
            m[0] |= 0x80
            m[255] |= 0x01
            modulus = m
        } else {
            modulus = DiffieHellmanGroup14.primeBytes
        }
        keys = []
        exponents = []
        keys.reserveCapacity(chunkSize)
        exponents.reserveCapacity(chunkSize)
    }

    mutating func prepare(randomClass: [Bool]) {
        keys.removeAll(keepingCapacity: true)
        exponents.removeAll(keepingCapacity: true)
        for isRandom in randomClass {
            let x = isRandom ? rng.bytes(32) : fixedX
            switch path {
            case .sharedValue: keys.append(DiffieHellmanGroup14.PrivateKey(exponentBytes: x))
            case .modularExponentiation: exponents.append([0x04] + x)
            }
        }
    }

    func run(_ index: Int) -> UInt64 {
        let result: [UInt8]
        switch path {
        case .sharedValue:
            result = (try? keys[index].sharedValue(peerPublicValue: base)) ?? []
        case .modularExponentiation(let engine):
            result = modularExponentiation(base: base, exponent: exponents[index],
                                           modulus: modulus, implementation: engine)
        }
        return UInt64(result.first ?? 0)
    }
}
