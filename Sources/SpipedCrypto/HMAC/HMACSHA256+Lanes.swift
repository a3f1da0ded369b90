// Many HMAC-SHA256 codes at once, for messages of equal shape (body || suffix,
// a packet's ciphertext and its be64 packet number): the packet layer's MAC
// path. Successive packets' MACs are independent, so they are computed side
// by side: in pairs with SHA-NI (HMACSHA256+Pair.swift), or one message per
// vector lane (multi-buffer) with 16 lanes (AVX-512), 8 (AVX2) or 4 (SSE2 on
// the x86_64 baseline, NEON on aarch64), the rounds written once in
// SpipedCryptoKernels.
//
// Which kernel runs is a policy of this file: the caller names the fastest
// lane kind it may use (normally `preferredLanes`, from CryptoBackends), and
// a batch smaller than its width goes to the narrowest kind that holds it
// (a lone message to the one-message code), so a short read does not pay
// for sixteen lanes.
//
// Guarantees: each code is exactly RFC 2104's HMAC of its message; no heap
// allocation (the padded tails and pointer tables live in one temporary
// stack buffer, wiped before return); constant-time (the work depends only
// on the public count and lengths).
import SpipedCryptoKernels
import SpipedCryptoHWSSE2
import SpipedCryptoHWAVX2
import SpipedCryptoHWAVX512

extension HMACSHA256 {
    /// Ways to compute several MACs at once, fastest first.
    package enum Lanes: CaseIterable, Sendable {
        /// SHA-NI, two messages with their rounds interleaved.
        case shaniPairs
        /// AVX-512F, 16 messages in ZMM lanes.
        case avx512
        /// AVX2, 8 messages in YMM lanes.
        case avx2
        /// 4 messages in 128-bit lanes (SSE2, NEON): always available.
        case simd4

        /// Messages one kernel call takes.
        package var laneCount: Int {
            switch self {
            case .shaniPairs: return 2
            case .avx512: return AVX512Lanes.laneCount
            case .avx2: return AVX2Lanes.laneCount
            case .simd4: return SSE2Lanes.laneCount
            }
        }

        /// Whether this process may run it (CPU, build and SPIPED_DISABLE; ``CryptoBackends``).
        package var isAvailable: Bool {
            let features = CryptoBackends.current.features
            switch self {
            case .shaniPairs: return features.contains(.shani)
            case .avx512: return features.contains(.avx512)
            case .avx2: return features.contains(.avx2)
            case .simd4: return true
            }
        }

        /// The instruction set and lane count, e.g. `avx2-x8`.
        package var backendName: String {
            switch self {
            case .shaniPairs: return "shani-x2"
            case .avx512: return "avx512-x16"
            case .avx2: return "avx2-x8"
            case .simd4:
                #if arch(x86_64)
                return "sse2-x4"
                #elseif arch(arm64)
                return "neon-x4"
                #else
                return "simd-x4"
                #endif
            }
        }

        /// The narrowest available kind, no wider than this one, that holds `count` messages.
        func narrowest(holding count: Int) -> Lanes {
            switch self {
            case .avx512 where count <= 4: return .simd4
            case .avx512 where count <= 8 && Lanes.avx2.isAvailable: return .avx2
            case .avx2 where count <= 4: return .simd4
            default: return self
            }
        }
    }

    /// The lanes ``CryptoBackends`` chose for this process.
    package static var preferredLanes: Lanes { CryptoBackends.current.macLanes }

    /// Largest suffix ``authenticationCodes(count:bodies:bodyByteCount:suffixes:suffixByteCount:codes:lanes:)`` takes.
    package static let maxLaneSuffixByteCount = 64

    /// Computes HMAC(key, bodies[i] || suffixes[i]) into codes[i] (32 bytes
    /// each) for i in 0..<count, under this value's key, with `lanes` (or a
    /// narrower kind for a batch smaller than its width). Any message already
    /// added with `update` is ignored and left as it is.
    ///
    /// - Precondition: `lanes` is available; every body is `bodyByteCount`
    ///   bytes, every suffix `suffixByteCount` <= 64 bytes; each code has room
    ///   for 32 bytes (the caller's fixed layout, never peer input).
    package func authenticationCodes(count: Int, bodies: UnsafePointer<UnsafeRawPointer>, bodyByteCount: Int,
                                    suffixes: UnsafePointer<UnsafeRawPointer>, suffixByteCount: Int,
                                    codes: UnsafePointer<UnsafeMutableRawPointer>,
                                    lanes: Lanes = HMACSHA256.preferredLanes) {
        precondition(count >= 0 && bodyByteCount >= 0 && suffixByteCount >= 0
                     && suffixByteCount <= HMACSHA256.maxLaneSuffixByteCount && lanes.isAvailable,
                     "HMACSHA256.authenticationCodes: bad batch shape or unavailable lanes")
        var done = 0
        while done < count {
            let remaining = count - done
            if remaining == 1 {
                singleCode(body: UnsafeRawBufferPointer(start: bodies[done], count: bodyByteCount),
                           suffix: UnsafeRawBufferPointer(start: suffixes[done], count: suffixByteCount),
                           into: codes[done])
                return
            }
            let kind = lanes.narrowest(holding: remaining)
            let batch = min(remaining, kind.laneCount)
            if kind == .shaniPairs {
                authenticationCodes(body: UnsafeRawBufferPointer(start: bodies[done], count: bodyByteCount),
                                    suffix: UnsafeRawBufferPointer(start: suffixes[done], count: suffixByteCount),
                                    body: UnsafeRawBufferPointer(start: bodies[done + 1], count: bodyByteCount),
                                    suffix: UnsafeRawBufferPointer(start: suffixes[done + 1], count: suffixByteCount),
                                    into: codes[done], codes[done + 1])
            } else {
                laneCodes(kind, count: batch, bodies: bodies + done, bodyByteCount: bodyByteCount,
                          suffixes: suffixes + done, suffixByteCount: suffixByteCount, codes: codes + done)
            }
            done += batch
        }
    }

    /// One vector-kernel call for `count` (2 ... kind.laneCount) messages.
    private func laneCodes(_ kind: Lanes, count: Int, bodies: UnsafePointer<UnsafeRawPointer>, bodyByteCount: Int,
                           suffixes: UnsafePointer<UnsafeRawPointer>, suffixByteCount: Int,
                           codes: UnsafePointer<UnsafeMutableRawPointer>) {
        let lanes = kind.laneCount
        let wholeBlocks = bodyByteCount / SHA256.blockByteCount
        let tailStart = wholeBlocks * SHA256.blockByteCount
        let messageBytes = UInt64(SHA256.blockByteCount + bodyByteCount + suffixByteCount)
        let tailStride = PaddedTail.maxByteCount
        let pointerBytes = 3 * lanes * MemoryLayout<UnsafeRawPointer>.stride
        withUnsafeTemporaryAllocation(byteCount: lanes * tailStride + pointerBytes, alignment: 16) { scratch in
            let base = scratch.baseAddress.unsafelyUnwrapped
            let tails = base.bindMemory(to: UInt8.self, capacity: lanes * tailStride)
            let tables = (base + lanes * tailStride).bindMemory(to: UnsafeRawPointer.self, capacity: 3 * lanes)
            let bodyTable = tables, tailTable = tables + lanes
            let codeTable = UnsafeMutableRawPointer(tables + 2 * lanes).bindMemory(to: UnsafeMutableRawPointer.self,
                                                                                   capacity: lanes)
            var tailBlocks = 0
            for lane in 0..<lanes {
                let source = lane < count ? lane : 0         // spare lanes repeat message 0
                let tail = UnsafeMutableRawPointer(tails + lane * tailStride)
                tailBlocks = PaddedTail.write(into: tail, body: bodies[source] + tailStart,
                                              count: bodyByteCount - tailStart,
                                              suffix: UnsafeRawBufferPointer(start: suffixes[source], count: suffixByteCount),
                                              messageBytes: messageBytes)
                (bodyTable + lane).initialize(to: bodies[source])
                (tailTable + lane).initialize(to: UnsafeRawPointer(tail))
                (codeTable + lane).initialize(to: codes[source])
            }
            withUnsafePointer(to: innerKeyed) { inner in
                withUnsafePointer(to: outerKeyed) { outer in
                    let job = SHA256LaneJob(count: count,
                                            innerKeyed: UnsafeRawPointer(inner).assumingMemoryBound(to: UInt32.self),
                                            outerKeyed: UnsafeRawPointer(outer).assumingMemoryBound(to: UInt32.self),
                                            bodies: UnsafePointer(bodyTable), bodyBlockCount: wholeBlocks,
                                            tails: UnsafePointer(tailTable), tailBlockCount: tailBlocks,
                                            codes: UnsafePointer(codeTable))
                    switch kind {
                    case .avx512: AVX512Lanes.hmacSHA256(job)
                    case .avx2: AVX2Lanes.hmacSHA256(job)
                    case .simd4, .shaniPairs: SSE2Lanes.hmacSHA256(job)
                    }
                }
            }
            secureZero(UnsafeMutableRawBufferPointer(start: tails, count: lanes * tailStride))
        }
    }
}

/// The end of one message with SHA-256 padding: at most three 64-byte blocks.
enum PaddedTail {
    /// Room for the largest tail: 63 body bytes + 64 suffix bytes + 0x80 + length.
    static let maxByteCount = 3 * SHA256.blockByteCount

    /// Writes body[0..<count] || suffix || 0x80 || zeros || be64(messageBytes * 8)
    /// at `out` and returns how many blocks that took (1...3; count < 64, suffix <= 64).
    static func write(into out: UnsafeMutableRawPointer, body: UnsafeRawPointer?, count: Int,
                      suffix: UnsafeRawBufferPointer, messageBytes: UInt64) -> Int {
        let used = count + suffix.count
        let blocks = (used + 1 + 8 + SHA256.blockByteCount - 1) / SHA256.blockByteCount
        if count > 0, let body { out.copyMemory(from: body, byteCount: count) }
        if let source = suffix.baseAddress, suffix.count > 0 { (out + count).copyMemory(from: source, byteCount: suffix.count) }
        out.storeBytes(of: 0x80, toByteOffset: used, as: UInt8.self)
        let lengthOffset = blocks * SHA256.blockByteCount - 8
        (out + used + 1).initializeMemory(as: UInt8.self, repeating: 0, count: lengthOffset - used - 1)
        out.storeBytes(of: (messageBytes &* 8).bigEndian, toByteOffset: lengthOffset, as: UInt64.self)
        return blocks
    }
}
