// Targets 2 and 4: one AES-256 block encryption under a fixed random key, for
// each variant (AES256ConstantTime, AES256Hardware, and AES256Table as the
// positive control that must leak).
//
// Classes: fixed = the plaintext equal to the first 16 key bytes, random = a
// random plaintext. The fixed plaintext cancels the first round key, so every
// first-round T-table index is 0: the 16 first-round lookups hit one cache
// line per table instead of about 15 different lines. For the table variant
// this is the extreme case of the cache-collision effect (Bonneau, Mironov,
// "Cache-collision timing attacks against AES", CHES 2006); for the
// constant-time variants it is just one more fixed input.
//
// `aes-table-zero` uses the all-zero plaintext as the fixed input instead
// (dudect's generic choice, no knowledge of the key), to show how much the
// key-cancelling choice matters.
//
// Eviction (optional, used for the table control): before every measurement,
// for both classes alike, a 2 x L1d-sized buffer is read so the tables start
// outside L1; the number of distinct lines the encryption then has to fetch,
// and when, depends on the data. With the tables warm in L1 the T-table code
// may show little or no difference on a CPU without L1 bank conflicts.
import SpipedCrypto

/// Times one `encryptBlock` of a given AES-256 variant.
struct AESTarget<Cipher: AES256BlockCipher>: TimingTarget {
    let name: String
    let expectation: Expectation
    let evict: Bool
    let zeroFixedPlaintext: Bool
    /// Encryptions of the same block per measurement (AES-NI's one block is
    /// about two TSC quanta here, so it is batched to see small differences).
    let batch: Int
    var classDescription: String {
        (zeroFixedPlaintext ? "fixed = all-zero plaintext" : "fixed = plaintext equal to key[0..<16] (first-round indices all 0)")
            + ", random = random plaintext; fixed random key" + (evict ? "; L1 evicted before every measurement" : "")
            + (batch > 1 ? "; \(batch) encryptions per measurement" : "")
    }

    private let cipher: Cipher
    private let fixedPlaintext: [UInt8]
    private let inputs: UnsafeMutableRawPointer
    private let output: UnsafeMutableRawPointer
    private let evictionBuffer: UnsafeMutableRawBufferPointer
    private var rng: SplitMix64

    /// 128 KiB: twice the L1d reported for both cores together, four times one core's.
    private static var evictionByteCount: Int { 128 * 1024 }

    init(name: String, expectation: Expectation, evict: Bool, zeroFixedPlaintext: Bool = false, batch: Int = 1, chunkSize: Int,
         makeCipher: ([UInt8]) -> Cipher) throws {
        self.name = name
        self.expectation = expectation
        self.evict = evict
        self.zeroFixedPlaintext = zeroFixedPlaintext
        self.batch = batch
        rng = SplitMix64(seed: try freshSeed())
        let key = rng.bytes(32)
        cipher = makeCipher(key)
        fixedPlaintext = zeroFixedPlaintext ? [UInt8](repeating: 0, count: 16) : Array(key[0..<16])
        inputs = .allocate(byteCount: chunkSize * 16, alignment: 64)
        output = .allocate(byteCount: 16, alignment: 64)
        evictionBuffer = .allocate(byteCount: evict ? AESTarget.evictionByteCount : 64, alignment: 64)
        evictionBuffer.initializeMemory(as: UInt8.self, repeating: 1)
    }

    mutating func prepare(randomClass: [Bool]) {
        for (i, isRandom) in randomClass.enumerated() {
            let slot = inputs + 16 * i
            if isRandom {
                rng.fill(slot, count: 16)
            } else {
                fixedPlaintext.withUnsafeBytes { slot.copyMemory(from: $0.baseAddress.unsafelyUnwrapped, byteCount: 16) }
            }
        }
    }

    mutating func beforeMeasurement() {
        guard evict else { return }
        // Read one word per cache line of the whole buffer; the sum is kept so
        // the loads cannot be removed.
        var sum: UInt64 = 0
        let base = UnsafeRawPointer(evictionBuffer.baseAddress.unsafelyUnwrapped)
        var offset = 0
        while offset < evictionBuffer.count {
            sum &+= base.load(fromByteOffset: offset, as: UInt64.self)
            offset += 64
        }
        keepAlive(sum)
    }

    func run(_ index: Int) -> UInt64 {
        var folded: UInt64 = 0
        for _ in 0..<batch {
            cipher.encryptBlock(inputs + 16 * index, output)
            folded ^= output.load(as: UInt64.self)
        }
        return folded
    }
}
