// Target: SHA-256 of one secret message with the implementation the
// process selects (`SHA256.preferredImplementation`: SHA-NI, the AVX2/BMI2
// kernel under SPIPED_DISABLE=shani, the portable code under
// SPIPED_DISABLE=shani,avx2), as key derivation and lone packets' MACs use it.
//
// Classes: fixed = one random 128-byte message (two blocks: the AVX2 kernel's
// paired path, then one padding block alone); random = a fresh random
// message of the same length. The rounds take no branch and read no table
// by data, so the time must not depend on the class.
import SpipedCrypto

struct SHA256Target: TimingTarget {
    static let messageBytes = 128
    var name: String { "sha256" }
    var classDescription: String {
        "SHA-256 (\(SHA256.preferredImplementation)) of a 128-byte message; fixed = one random message, random = fresh random messages"
    }
    var expectation: Expectation { .noLeak }

    private let fixed: UnsafeMutableRawBufferPointer
    private let messages: UnsafeMutableRawPointer
    private let digest: UnsafeMutableRawBufferPointer
    private var rng: SplitMix64

    init(chunkSize: Int) throws {
        rng = SplitMix64(seed: try freshSeed())
        fixed = .allocate(byteCount: SHA256Target.messageBytes, alignment: 64)
        rng.fill(fixed.baseAddress.unsafelyUnwrapped, count: SHA256Target.messageBytes)
        messages = .allocate(byteCount: chunkSize * SHA256Target.messageBytes, alignment: 64)
        digest = .allocate(byteCount: 32, alignment: 64)
    }

    mutating func prepare(randomClass: [Bool]) {
        let n = SHA256Target.messageBytes
        for (i, isRandom) in randomClass.enumerated() {
            let slot = messages + i * n
            if isRandom {
                rng.fill(slot, count: n)
            } else {
                slot.copyMemory(from: fixed.baseAddress.unsafelyUnwrapped, byteCount: n)
            }
        }
    }

    func run(_ index: Int) -> UInt64 {
        var hasher = SHA256()
        hasher.update(UnsafeRawBufferPointer(start: messages + index * SHA256Target.messageBytes,
                                             count: SHA256Target.messageBytes))
        hasher.finalize(into: digest)
        return UInt64(digest[0])
    }
}
