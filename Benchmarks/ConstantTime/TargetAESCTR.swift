// Target: AES256ConstantTime's bulk CTR path (`xorKeystream`), whose kernel
// CryptoBackends selects (vector permutes with AVX2, byte-layout bitsliced
// with SSSE3 alone, bitsliced SSE2 without SSSE3); run it plain, under
// SPIPED_DISABLE=avx2 and under SPIPED_DISABLE=ssse3 to measure each (the
// report names the one used).
//
// Classes: fixed = the counter block of the first block equal to the first
// 16 key bytes (nonce = key[0..<8], first block = key[8..<16], big-endian),
// so the first round's state is all zero, the same extreme input the
// single-block target uses; random = random nonce and first block. Each
// measurement XORs 512 bytes (32 blocks) of keystream into a buffer.
// The packet variant (`aes-ct-packet`) XORs a spiped packet's 1028 bytes
// from block 0 in both classes, as the packet layer does (the byte-layout
// kernel's counter-table path): fixed nonce = key[0..<8], random nonce.
import SpipedCrypto

struct AESCTRTarget: TimingTarget {
    let packet: Bool
    var name: String { packet ? "aes-ct-packet" : "aes-ct-ctr" }
    let expectation = Expectation.noLeak
    var classDescription: String {
        (packet ? "fixed = nonce key[0..<8], random = random nonce; blocks 0...64, 1028 bytes per measurement; "
            : "fixed = first counter block equal to key[0..<16] (round-1 state zero), random = random nonce and block; "
            + "512 bytes per measurement; ") + "kernel: ct-\(cipher.kernel.backendName)"
    }

    private let cipher: AES256ConstantTime
    private let fixedNonce: UInt64, fixedBlock: UInt64
    private var nonces: [UInt64], blocks: [UInt64]
    private let buffer: UnsafeMutableRawBufferPointer
    private var rng: SplitMix64

    init(packet: Bool = false, chunkSize: Int) throws {
        self.packet = packet
        rng = SplitMix64(seed: try freshSeed())
        let key = rng.bytes(32)
        cipher = AES256ConstantTime(key: key)
        fixedNonce = key[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        fixedBlock = packet ? 0 : key[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
        nonces = [UInt64](repeating: 0, count: chunkSize)
        blocks = nonces
        buffer = .allocate(byteCount: packet ? 1028 : 512, alignment: 64)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
    }

    mutating func prepare(randomClass: [Bool]) {
        for (i, isRandom) in randomClass.enumerated() {
            nonces[i] = isRandom ? rng.next() : fixedNonce
            blocks[i] = isRandom && !packet ? rng.next() : fixedBlock
        }
    }

    func run(_ index: Int) -> UInt64 {
        cipher.xorKeystream(nonce: nonces[index], firstBlock: blocks[index], buffer)
        return buffer.load(as: UInt64.self)
    }
}
