// spiped-bench dh: group-14 Diffie-Hellman costs in operations per CPU
// second, beside `openssl speed ffdh2048` (one FFDH derive per op, i.e. one
// variable-base 2048-bit exponentiation with OpenSSL's short exponent)
// measured in the same run:
// - variable-base modexp with a 259-bit exponent (2^258 + x): the shared value;
// - key generation: 32 random bytes + the fixed-base public value 2^E mod p;
// - the generic byte-level modularExponentiation with a 33-byte exponent,
//   and a 256-byte exponent, for reference;
// - the same 264-bit-exponent exponentiation on every available engine
//   (portable 64-bit kernels, AVX-512 IFMA), the preferred one being what
//   the shared value uses.
import SpipedCrypto

func runDHBenchmarks() {
    print("== Group-14 Diffie-Hellman (ops per CPU second; openssl speed ffdh2048 in the same run) ==")
    print("modexp engine in use: \(ModularExponentiationImplementation.preferred) "
          + "(available: \(ModularExponentiationImplementation.allCases.filter(\.isAvailable).map(\.description).joined(separator: ", ")))")
    let opensslFFDH = opensslSpeed(["-seconds", "2", "ffdh2048"])

    var rng = SystemRandom()
    guard let peerKey = try? DiffieHellmanGroup14.PrivateKey(using: &rng),
          let ourKey = try? DiffieHellmanGroup14.PrivateKey(using: &rng) else {
        print("system randomness unavailable; DH benchmarks skipped")
        return
    }
    let peer = peerKey.publicValue()

    let shared = measureOpsPerSecond(minSeconds: 2) {
        benchSink(try? ourKey.sharedValue(peerPublicValue: peer))
    }
    printComparison("modexp, variable base, 259-bit exponent (shared value)", ours: shared,
                    openssl: opensslFFDH, unit: "ops/s")

    let keygen = measureOpsPerSecond(minSeconds: 2) {
        guard let key = try? DiffieHellmanGroup14.PrivateKey(using: &rng) else { return }
        benchSink(key.publicValue())
    }
    printComparison("key generation, base 2 (random x + 2^(2^258+x) mod p)", ours: keygen,
                    openssl: opensslFFDH, unit: "ops/s")

    let exponent33 = (try? rng.bytes(count: 33)) ?? [UInt8](repeating: 0x5A, count: 33)
    let generic = measureOpsPerSecond(minSeconds: 1) {
        benchSink(modularExponentiation(base: peer, exponent: exponent33, modulus: DiffieHellmanGroup14.primeBytes))
    }
    printComparison("modularExponentiation bytes API, 264-bit exponent", ours: generic,
                    openssl: opensslFFDH, unit: "ops/s")

    for engine in ModularExponentiationImplementation.allCases where engine.isAvailable {
        let rate = measureOpsPerSecond(minSeconds: 1) {
            benchSink(modularExponentiation(base: peer, exponent: exponent33, modulus: DiffieHellmanGroup14.primeBytes,
                                            implementation: engine))
        }
        printComparison("modexp 264-bit exponent, engine \(engine)", ours: rate, openssl: opensslFFDH, unit: "ops/s")
    }

    let exponent256 = (try? rng.bytes(count: 256)) ?? [UInt8](repeating: 0x5A, count: 256)
    let full = measureOpsPerSecond(minSeconds: 1) {
        benchSink(modularExponentiation(base: peer, exponent: exponent256, modulus: DiffieHellmanGroup14.primeBytes))
    }
    print("modularExponentiation, 2048-bit exponent: \(formatFigure(full)) ops/s")

    guard let a = UInt2048(bigEndianBytes: peer), let b = UInt2048(bigEndianBytes: Array(peer.reversed().dropFirst())),
          let context = MontgomeryModulus(modulus: UInt2048(bigEndianBytes: DiffieHellmanGroup14.primeBytes) ?? UInt2048()) else { return }
    let mulmod = measureOpsPerSecond(minSeconds: 0.5) { benchSink(context.multiply(a, b)) }
    let sqrmod = measureOpsPerSecond(minSeconds: 0.5) { benchSink(context.square(a)) }
    print("kernels: multiply (2 Montgomery products) \(formatFigure(mulmod)) ops/s, "
          + "square (1 squaring + 1 product) \(formatFigure(sqrmod)) ops/s")
    print("targets: >= 1000 variable-base modexps/s, >= 3000 key generations/s")
}
