// Target: the packet layer's MAC path, `HMACSHA256.authenticationCodes` over
// one batch of packets as wide as the lanes CryptoBackends chose (SHA-NI
// pairs by default; 16 AVX-512 lanes under SPIPED_DISABLE=shani, 8 AVX2
// lanes under SPIPED_DISABLE=shani,avx512, 4 SSE2 lanes under
// SPIPED_DISABLE=shani,avx2; the report names the one used). Every packet
// has spiped's shape: a 1028-byte ciphertext and its 8-byte packet number.
//
// Classes, `packet-macs`: fixed = one random key, random = a fresh key for
// every measurement; the packets are fresh random bytes for every
// measurement in both classes. The key is the secret; the packets are
// ciphertext, on the wire for anyone to see, so they are the same kind of
// input in both classes. `packet-macs-data` (informational) fixes the packets
// too: fixed = one key and one batch, random = fresh key and packets; it
// tests whether the time depends on the data at all (a dependence there is
// on public bytes, not a leak of the key). The lanes' rounds take no branch
// and read no table by data, so neither time should depend on the class.
import SpipedCrypto

struct PacketMACsTarget: TimingTarget {
    static let bodyBytes = 1028, suffixBytes = 8
    /// Whether the fixed class also repeats one batch of packets (`packet-macs-data`).
    let fixedPacketsToo: Bool
    var name: String { fixedPacketsToo ? "packet-macs-data" : "packet-macs" }
    var classDescription: String {
        "HMAC-SHA256 of \(count) packets (1028 + 8 bytes) at once, lanes \(lanes.backendName); "
            + (fixedPacketsToo ? "fixed = one key and one batch, random = fresh key and packets"
                               : "fixed = one key, random = fresh key; fresh packets in both")
    }
    var expectation: Expectation { fixedPacketsToo ? .informational : .noLeak }

    private let lanes = HMACSHA256.preferredLanes
    private let count: Int
    private let fixedKey: [UInt8]
    private let fixedPackets: UnsafeMutableRawBufferPointer
    /// A random class's packets before they are copied into its slot (`packet-macs-data`).
    private let scratch: UnsafeMutableRawBufferPointer
    private var macs: [HMACSHA256]
    /// Slot i's packets: `count` bodies of `bodyBytes`, then `count` suffixes of `suffixBytes`.
    private let packets: UnsafeMutableRawPointer
    private let pointers: UnsafeMutablePointer<UnsafeRawPointer>
    private let codes: UnsafeMutablePointer<UnsafeMutableRawPointer>
    private let codeBytes: UnsafeMutableRawPointer
    private var rng: SplitMix64

    private var slotBytes: Int { count * (Self.bodyBytes + Self.suffixBytes) }

    init(fixedPacketsToo: Bool, chunkSize: Int) throws {
        self.fixedPacketsToo = fixedPacketsToo
        rng = SplitMix64(seed: try freshSeed())
        count = lanes.laneCount
        fixedKey = rng.bytes(32)
        let slot = count * (Self.bodyBytes + Self.suffixBytes)
        fixedPackets = .allocate(byteCount: slot, alignment: 64)
        rng.fill(fixedPackets.baseAddress.unsafelyUnwrapped, count: slot)
        scratch = .allocate(byteCount: slot, alignment: 64)
        macs = [HMACSHA256](repeating: HMACSHA256(key: fixedKey), count: chunkSize)
        packets = .allocate(byteCount: chunkSize * slot, alignment: 64)
        pointers = .allocate(capacity: 2 * count)
        codeBytes = .allocate(byteCount: 32 * count, alignment: 64)
        codes = .allocate(capacity: count)
        for lane in 0..<count { codes[lane] = codeBytes + 32 * lane }
    }

    mutating func prepare(randomClass: [Bool]) {
        let fixedMAC = HMACSHA256(key: fixedKey)
        for (i, isRandom) in randomClass.enumerated() {
            let slot = packets + i * slotBytes
            macs[i] = isRandom ? HMACSHA256(key: rng.bytes(32)) : fixedMAC
            // Both classes write a slot the same way: fresh bytes, then (in
            // `packet-macs-data`) the class's packets copied on top.
            rng.fill(slot, count: slotBytes)
            if fixedPacketsToo {
                let source = (isRandom ? scratch : fixedPackets).baseAddress.unsafelyUnwrapped
                if isRandom { rng.fill(source, count: slotBytes) }
                slot.copyMemory(from: source, byteCount: slotBytes)
            }
        }
    }

    func run(_ index: Int) -> UInt64 {
        let slot = UnsafeRawPointer(packets + index * slotBytes)
        let suffixes = slot + count * Self.bodyBytes
        for lane in 0..<count {
            pointers[lane] = slot + lane * Self.bodyBytes
            pointers[count + lane] = suffixes + lane * Self.suffixBytes
        }
        macs[index].authenticationCodes(count: count, bodies: pointers, bodyByteCount: Self.bodyBytes,
                                        suffixes: pointers + count, suffixByteCount: Self.suffixBytes,
                                        codes: codes, lanes: lanes)
        return codeBytes.load(as: UInt64.self)
    }
}
