// Shared pieces of the libFuzzer targets: an invariant check that crashes
// (so libFuzzer records the input), a deterministic RandomSource, the fixed
// key and randomness of the first "pfs" and the "both-fast" transcripts in
// Vectors/protocol/transcripts.txt (so the repository's transcripts are valid
// seeds), fragmentation plans decided by the input, and exact-size copies
// of input slices (so AddressSanitizer sees any read past a chunk).
//
// Guarantees: everything here is deterministic in its arguments; nothing
// reads the clock, the environment or the network.
#if canImport(Glibc)
import Glibc
#endif
import SpipedCrypto

/// Stops the process when an invariant of the code under test does not hold.
/// The abort makes libFuzzer save the input as a crash reproducer.
public func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                      file: StaticString = #fileID, line: UInt = #line) {
    if !condition() {
        let text = "FUZZ INVARIANT VIOLATED at \(file):\(line): \(message())\n"
        _ = text.withCString { write(2, $0, strlen($0)) }
        abort()
    }
}

/// Bytes from hex text (test constants only; no validation beyond pairs).
public func fuzzHex(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var high: UInt8? = nil
    for c in text.utf8 {
        let v: UInt8
        switch c {
        case 48...57: v = c - 48
        case 97...102: v = c - 87
        case 65...70: v = c - 55
        default: continue
        }
        if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
    }
    return out
}

/// The first record ("MODE = pfs") of Vectors/protocol/transcripts.txt.
public enum FuzzTranscript {
    public static let keyFile = fuzzHex("01477846f2a3d244b7b41d9bba06d1d56b74c1e68e2ffb7ca96d50d8d7645d2e")
    public static let nonceC = fuzzHex("985723a60d6d14e0b2e886599e642103de8fd36a49759578f8f480037e9f950f")
    public static let nonceS = fuzzHex("21161c58298fb5e3419102e4d4de4c9e60134a4aedd22d8647e3d6cb9e3acb87")
    public static let xC = fuzzHex("3b896bdefd7bf4205a42c323b6af575b8ecc906fae10571aa3a6cdafedc7263b")
    public static let xS = fuzzHex("0fa11e89c0f598168ab64847cfdd24be3e4843809248cbfc431912322f5da47d")
    public static let eC = fuzzHex("6c21ea45f5718f3ca3102ef0fdfaaca1dc7c5e99d9044bf087277186512a7903")
    public static let hC = fuzzHex("46e9d643efe5fe69451c22d435649a1386230c0e438fc9f1e553789990ab0195")
    public static let eS = fuzzHex("7889d1d2f2c78510119fdcc82ab26f6221093dc8193df32841f67ce35f64b7b8")
    public static let hS = fuzzHex("1502cfcca0cf0a0a43a310c1c076f715469dd4f0f2ec4a43ee7291737144ad5e")
}

/// The "MODE = both-fast" record of Vectors/protocol/transcripts.txt: both
/// sides -f, so a session pair with its nonces needs no exponentiation and
/// its packets are valid for the session data-path target.
public enum FuzzFastTranscript {
    public static let keyFile = fuzzHex("f1692f192cc36e32aa48af474c24ec835cc82477b7a0a61ff2b2831d963645a337a3ce65586c832f2be9a7e709a9250f05928ebfddb1f5433539049e0c81b2ce3bea016e05a278a7e138ee0e06f3dd0a11121bf11cdfb2555d895c37b24adfb021e87659")
    public static let nonceC = fuzzHex("acf0bd99b0fc55ad4abc7187876dc9a95bc01f14aed819b9a3e33d872a1e09d4")
    public static let nonceS = fuzzHex("58c0d79746f49d17d6fc22577d853cf09e13ea3821edb3ecfe344064b755e655")
    public static let eC = fuzzHex("e6fd30ccd06e41261ea0cacf74b962899164864f8ad1cbcd681db0d720ded92c")
    public static let hC = fuzzHex("15a0dee668591758ea2c08a1489c1253b1fc8198d03f04dbbba88b80c72662d4")
    public static let eS = fuzzHex("921f8f3477e11f885171e573954bbccaf9c6d2b57b58b21f6e3fdcd7aff743a3")
    public static let hS = fuzzHex("cb81a4348aa17b4b32ff9d5ebed2b093085adb933cb29ead15bcea35c8ac93fb")
}

/// A RandomSource that hands out a fixed script of bytes (then zeros).
public struct ScriptedRandom: RandomSource {
    private var script: [UInt8]
    private var position = 0

    public init(_ script: [UInt8]) { self.script = script }

    public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) throws {
        for i in 0..<buffer.count {
            buffer[i] = position < script.count ? script[position] : 0
            position += 1
        }
    }
}

/// Chunk sizes for feeding a stream, decided by one seed byte:
/// 0 = everything at once; otherwise a xorshift sequence of sizes in
/// 1...limit where limit depends on the seed (1-byte feeding included).
public struct ChunkPlan {
    private var state: UInt32
    private let limit: Int
    private let whole: Bool

    public init(seed: UInt8) {
        whole = seed == 0
        state = UInt32(seed) &* 2654435761 | 1
        switch seed & 0x07 {
        case 0: limit = 1
        case 1: limit = 7
        case 2: limit = 33
        case 3: limit = 300
        case 4: limit = 1100
        default: limit = 4096
        }
    }

    /// The next chunk size (at least 1), or Int.max for "all of it".
    public mutating func next() -> Int {
        if whole { return Int.max }
        state ^= state << 13
        state ^= state >> 17
        state ^= state << 5
        return 1 + Int(state % UInt32(limit))
    }
}

/// An exact-size heap copy of some bytes; reads past its end are caught by ASan.
public final class ExactBuffer {
    public let pointer: UnsafeMutableRawBufferPointer

    public init(_ bytes: UnsafeRawBufferPointer) {
        pointer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 0), alignment: 1)
        if bytes.count > 0 { pointer.copyMemory(from: bytes) }
    }

    public init(count: Int) {
        pointer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
        pointer.initializeMemory(as: UInt8.self, repeating: 0xA5)
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(pointer) }

    deinit { pointer.deallocate() }
}

/// The input as an array.
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// libFuzzer's driver (in libclang_rt.fuzzer, linked by -sanitize=fuzzer).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

/// Runs libFuzzer with `callback` as the target. SwiftPM links an executable
/// target with `main` bound to `<Target>_main`, so each fuzz target defines
/// that symbol and calls this instead of relying on libFuzzer's own main.
public func runFuzzer(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                      _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32 {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, callback)
}
