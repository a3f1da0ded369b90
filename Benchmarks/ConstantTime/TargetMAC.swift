// Target 1: the MAC comparison the protocol uses (`constantTimeEqual`, called
// by PacketOpener and the handshake to check HMAC-SHA256 tags), plus an
// early-exit comparison written here as a positive control for the class
// design.
//
// Classes (the default, `mac`): fixed = the reference MAC with only its LAST
// byte changed; random = a random tag (its first byte differs with
// probability 255/256). A compare that stops at the first difference reads
// 32 byte pairs for the fixed class and 1 for almost every random one: the
// largest gap an early exit can have. Both classes compare unequal, so the
// answer itself (which is public: the peer sees the connection dropped) is
// the same in both classes and cannot be what the test picks up.
// `mac-equal` uses fixed = a tag equal to the reference instead, so it also
// tests whether the time depends on the (public) yes/no answer.
//
// Each measurement times `batch` calls on the same pair, because one call
// (tens of cycles) is close to the TSC's resolution on this machine. The
// harness adds the answers without a branch (a branch on the answer in the
// harness would itself differ between the classes of `mac-equal`).
import SpipedCrypto

/// Which comparison is timed.
enum MACCompareKind {
    /// The library's `constantTimeEqual` (must not leak).
    case constantTime
    /// A byte loop that returns at the first difference (positive control).
    case earlyExit
}

/// What the fixed class is.
enum MACFixedClass {
    /// The reference MAC with its last byte changed (answer: unequal, as for random tags).
    case lastByteDiffers
    /// The reference MAC itself (answer: equal; random tags: unequal).
    case equal
}

/// Times a 32-byte tag comparison against a fixed reference MAC.
struct MACCompareTarget: TimingTarget {
    let kind: MACCompareKind
    let fixedClass: MACFixedClass
    let batch: Int
    var name: String {
        (kind == .constantTime ? "mac" : "mac-early-exit") + (fixedClass == .equal ? "-equal" : "")
    }
    var classDescription: String {
        (fixedClass == .equal ? "fixed = tag equal to the reference MAC" : "fixed = reference MAC with its last byte changed")
            + ", random = random 32-byte tag; \(batch) compares per measurement"
    }
    var expectation: Expectation { kind == .earlyExit ? .leak : .noLeak }

    private static let tagBytes = HMACSHA256.byteCount
    private let reference: UnsafeMutableRawBufferPointer
    private let fixedTag: UnsafeMutableRawBufferPointer
    private let tags: UnsafeMutableRawPointer
    private var rng: SplitMix64

    init(kind: MACCompareKind, fixedClass: MACFixedClass, batch: Int, chunkSize: Int) throws {
        self.kind = kind
        self.fixedClass = fixedClass
        self.batch = batch
        rng = SplitMix64(seed: try freshSeed())
        // The reference is a real HMAC-SHA256 of a random message under a random key.
        let mac = HMACSHA256.authenticationCode(for: rng.bytes(64), key: rng.bytes(32))
        reference = .allocate(byteCount: MACCompareTarget.tagBytes, alignment: 64)
        reference.copyBytes(from: mac)
        fixedTag = .allocate(byteCount: MACCompareTarget.tagBytes, alignment: 64)
        fixedTag.copyBytes(from: mac)
        if fixedClass == .lastByteDiffers { fixedTag[MACCompareTarget.tagBytes - 1] ^= 0x01 }
        tags = .allocate(byteCount: chunkSize * MACCompareTarget.tagBytes, alignment: 64)
    }

    mutating func prepare(randomClass: [Bool]) {
        let n = MACCompareTarget.tagBytes
        for (i, isRandom) in randomClass.enumerated() {
            let slot = tags + i * n
            if isRandom {
                rng.fill(slot, count: n)
            } else {
                slot.copyMemory(from: fixedTag.baseAddress.unsafelyUnwrapped, byteCount: n)
            }
        }
    }

    func run(_ index: Int) -> UInt64 {
        let tag = UnsafeRawBufferPointer(start: tags + index * MACCompareTarget.tagBytes, count: MACCompareTarget.tagBytes)
        let ref = UnsafeRawBufferPointer(reference)
        var equalCount: UInt64 = 0
        switch kind {
        case .constantTime:
            for _ in 0..<batch { equalCount &+= UInt64(unsafeBitCast(constantTimeEqual(tag, ref), to: UInt8.self)) }
        case .earlyExit:
            for _ in 0..<batch { equalCount &+= UInt64(unsafeBitCast(earlyExitEqual(tag, ref), to: UInt8.self)) }
        }
        return equalCount
    }
}

/// The comparison constant-time code must NOT be: stops at the first
/// differing byte (like memcmp). Only here as a positive control.
@inline(never)
func earlyExitEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    for i in 0..<a.count where a[i] != b[i] { return false }
    return true
}
