// HMAC-SHA256 of N equal-shape messages at once, one message per vector
// lane (multi-buffer): the inner hashes run from the precomputed keyed
// state over each message's whole blocks in place and then its padded tail
// blocks; the outer hashes take the inner digests straight from the lanes
// (no transposition back to bytes in between), so only the message loads
// and the final 32-byte codes cross between lanes and memory.
//
// Guarantees: the same result as RFC 2104's HMAC of each message; no
// allocation; constant-time (the work depends only on the public block
// counts and lane count); the lane state is held in values, and the caller
// owns and wipes every buffer named in the job.

/// One batch of equal-shape messages for ``sha256HMACLanes(_:_:)``. Every
/// pointer array has one entry per lane of the vector type; lanes at or
/// beyond `count` must still point at readable blocks (callers repeat lane 0)
/// and their codes are not written.
@frozen public struct SHA256LaneJob {
    /// Messages in the batch (1 ... lane count).
    public var count: Int
    /// Chaining words after K0 ^ ipad and after K0 ^ opad (8 words each).
    public var innerKeyed: UnsafePointer<UInt32>
    public var outerKeyed: UnsafePointer<UInt32>
    /// Per lane: the start of its whole 64-byte blocks, compressed in place.
    public var bodies: UnsafePointer<UnsafeRawPointer>
    public var bodyBlockCount: Int
    /// Per lane: its last blocks, already padded (SHA-256 length included).
    public var tails: UnsafePointer<UnsafeRawPointer>
    public var tailBlockCount: Int
    /// Per lane: where its 32-byte code goes.
    public var codes: UnsafePointer<UnsafeMutableRawPointer>

    @inlinable
    public init(count: Int, innerKeyed: UnsafePointer<UInt32>, outerKeyed: UnsafePointer<UInt32>,
                bodies: UnsafePointer<UnsafeRawPointer>, bodyBlockCount: Int,
                tails: UnsafePointer<UnsafeRawPointer>, tailBlockCount: Int,
                codes: UnsafePointer<UnsafeMutableRawPointer>) {
        self.count = count; self.innerKeyed = innerKeyed; self.outerKeyed = outerKeyed
        self.bodies = bodies; self.bodyBlockCount = bodyBlockCount
        self.tails = tails; self.tailBlockCount = tailBlockCount; self.codes = codes
    }
}

/// Compresses `blockCount` blocks of every lane's message (`lanes[i]` +
/// 64 block ...), loading each block's 16 words as two rows of eight.
@inlinable @inline(__always)
func sha256CompressLanes<V: SHA256Word>(_ state: inout SHA256State<V>, _ lanes: UnsafePointer<UnsafeRawPointer>,
                                        blockCount: Int) {
    let zero = V(broadcast: 0)
    var words = (zero, zero, zero, zero, zero, zero, zero, zero, zero, zero, zero, zero, zero, zero, zero, zero)
    // The compression asks for W[0...15] in order at the start of each block,
    // each `t` a constant once inlined, so the switch folds away.
    sha256Compress(&state, blockCount: blockCount) { block, t in
        if t == 0 {
            let (w0, w1, w2, w3, w4, w5, w6, w7) = V.loadEightWords(lanes, byteOffset: block &* 64)
            let (w8, w9, w10, w11, w12, w13, w14, w15) = V.loadEightWords(lanes, byteOffset: block &* 64 &+ 32)
            words = (w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15)
        }
        switch t {
        case 0: return words.0
        case 1: return words.1
        case 2: return words.2
        case 3: return words.3
        case 4: return words.4
        case 5: return words.5
        case 6: return words.6
        case 7: return words.7
        case 8: return words.8
        case 9: return words.9
        case 10: return words.10
        case 11: return words.11
        case 12: return words.12
        case 13: return words.13
        case 14: return words.14
        default: return words.15
        }
    }
}

/// Computes the job's HMAC-SHA256 codes with `V.laneCount` lanes.
@inlinable @inline(__always)
public func sha256HMACLanes<V: SHA256Word>(_: V.Type, _ job: SHA256LaneJob) {
    var inner = SHA256State<V>(broadcast: job.innerKeyed)
    sha256CompressLanes(&inner, job.bodies, blockCount: job.bodyBlockCount)
    sha256CompressLanes(&inner, job.tails, blockCount: job.tailBlockCount)
    // Outer message block: the inner digest, 0x80, zeros, and the bit
    // length of 64 (key block) + 32 bytes, FIPS 180-4 5.1.1.
    let digest = inner
    var outer = SHA256State<V>(broadcast: job.outerKeyed)
    sha256Compress(&outer, blockCount: 1) { _, t in
        switch t {
        case 0: return digest.h0
        case 1: return digest.h1
        case 2: return digest.h2
        case 3: return digest.h3
        case 4: return digest.h4
        case 5: return digest.h5
        case 6: return digest.h6
        case 7: return digest.h7
        case 8: return V(broadcast: 0x8000_0000)
        case 15: return V(broadcast: (64 + 32) * 8)
        default: return V(broadcast: 0)
        }
    }
    for lane in 0..<min(job.count, V.laneCount) {
        let out = job.codes[lane]
        out.storeBytes(of: outer.h0.lane(lane).bigEndian, toByteOffset: 0, as: UInt32.self)
        out.storeBytes(of: outer.h1.lane(lane).bigEndian, toByteOffset: 4, as: UInt32.self)
        out.storeBytes(of: outer.h2.lane(lane).bigEndian, toByteOffset: 8, as: UInt32.self)
        out.storeBytes(of: outer.h3.lane(lane).bigEndian, toByteOffset: 12, as: UInt32.self)
        out.storeBytes(of: outer.h4.lane(lane).bigEndian, toByteOffset: 16, as: UInt32.self)
        out.storeBytes(of: outer.h5.lane(lane).bigEndian, toByteOffset: 20, as: UInt32.self)
        out.storeBytes(of: outer.h6.lane(lane).bigEndian, toByteOffset: 24, as: UInt32.self)
        out.storeBytes(of: outer.h7.lane(lane).bigEndian, toByteOffset: 28, as: UInt32.self)
    }
}
