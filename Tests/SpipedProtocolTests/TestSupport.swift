// Shared helpers for the protocol tests: the transcript reader, hex
// conversion, a scripted and a seeded random source, and drivers that feed
// a Handshake or PacketOpener in chunks.
import Foundation
import SpipedCrypto
import SpipedProtocol
import Testing

// MARK: Transcripts (Vectors/protocol/transcripts.txt, "NAME = VALUE" records)

/// One mode's record from transcripts.txt; field meanings are in
/// Vectors/protocol/generate_transcripts.py.
struct Transcript: CustomStringConvertible {
    var fields: [String: String]

    var description: String { fields["MODE"] ?? "?" }
    var mode: String { fields["MODE"] ?? "?" }
    func has(_ name: String) -> Bool { fields[name] != nil }
    func bytes(_ name: String) -> [UInt8] {
        guard let text = fields[name] else {
            Issue.record("transcript \(mode) has no field \(name)")
            return []
        }
        return hexBytes(text)
    }
    func flag(_ name: String) -> Bool { fields[name] == "1" }

    static let sizes = [0, 1, 100, 1023, 1024, 1025, 3000]

    /// The key file as a SpipedKey.
    var key: SpipedKey { SpipedKey(keyFileBytes: bytes("KEYFILE")) }

    /// All packets of one direction ("C2S" or "S2C"), concatenated in send order.
    func allPackets(_ direction: String) -> [UInt8] {
        Transcript.sizes.flatMap { bytes("\(direction)_PACKETS_\($0)") }
    }

    /// All plaintext of one direction, concatenated.
    func allPlaintext(_ direction: String) -> [UInt8] {
        Transcript.sizes.flatMap { bytes("\(direction)_PLAIN_\($0)") }
    }
}

/// Absolute path of the repository's Vectors/ folder, found from this file.
let protocolVectorsDirectory: String = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        let candidate = url.appendingPathComponent("Vectors")
        if FileManager.default.fileExists(atPath: candidate.path) { return candidate.path }
    }
    return "Vectors"
}()

/// Every record of transcripts.txt (blank-line separated, "#" comments).
let transcripts: [Transcript] = {
    let path = protocolVectorsDirectory + "/protocol/transcripts.txt"
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    var records: [Transcript] = []
    var current: [String: String] = [:]
    for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
        let line = raw.trimmingCharacters(in: .whitespaces)
        if line.isEmpty {
            if !current.isEmpty { records.append(Transcript(fields: current)) }
            current = [:]
            continue
        }
        if line.hasPrefix("#") { continue }
        guard let eq = line.firstIndex(of: "=") else { continue }
        current[line[..<eq].trimmingCharacters(in: .whitespaces)] =
            line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
    }
    if !current.isEmpty { records.append(Transcript(fields: current)) }
    return records
}()

func transcript(_ mode: String) -> Transcript {
    guard let t = transcripts.first(where: { $0.mode == mode }) else {
        Issue.record("no transcript for mode \(mode) (found \(transcripts.count) records)")
        return Transcript(fields: [:])
    }
    return t
}

/// Decodes hex text; other characters are skipped.
func hexBytes(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(text.utf8.count / 2)
    var high: UInt8? = nil
    for c in text.utf8 {
        let v: UInt8
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
        default: continue
        }
        if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
    }
    return out
}

/// Lower-case hex, for readable failure messages.
func hex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

/// RFC 3526 section 3, the 2048-bit MODP group prime p (big-endian).
let group14Prime: [UInt8] = hexBytes("""
    FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD\
    EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED\
    EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F\
    83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B\
    E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510\
    15728E5A8AACAA68FFFFFFFFFFFFFFFF
    """)

/// A 256-byte big-endian value plus a small signed offset (for p - 1, p + 1).
func adding(_ value: [UInt8], _ delta: Int) -> [UInt8] {
    var out = value
    var carry = delta
    var i = out.count - 1
    while carry != 0 && i >= 0 {
        let sum = Int(out[i]) + carry
        out[i] = UInt8(truncatingIfNeeded: sum)
        carry = sum >> 8
        i -= 1
    }
    return out
}

/// y || HMAC(key, y): a handshake message with a valid MAC for any y.
func handshakeMessage(y: [UInt8], macKey: [UInt8]) -> [UInt8] {
    y + HMACSHA256.authenticationCode(for: y, key: macKey)
}

// MARK: Randomness

/// Hands out a fixed byte sequence; records how much was drawn. Drawing past
/// the end throws, so a test sees an unexpected extra draw.
final class RandomTape: @unchecked Sendable {
    let bytes: [UInt8]
    var position = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

struct TapeExhausted: Error {}

struct ScriptedRandom: RandomSource {
    let tape: RandomTape
    init(_ tape: RandomTape) { self.tape = tape }
    mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) throws {
        guard tape.position + buffer.count <= tape.bytes.count else { throw TapeExhausted() }
        for i in 0..<buffer.count { buffer[i] = tape.bytes[tape.position + i] }
        tape.position += buffer.count
    }
}

/// SplitMix64: a seeded generator for reproducible chunk sizes and data.
struct SeededGenerator: RandomNumberGenerator, RandomSource {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) throws {
        for i in 0..<buffer.count { buffer[i] = UInt8(truncatingIfNeeded: next()) }
    }
    mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var i = 0
        while i < count {
            var word = next()
            for _ in 0..<min(8, count - i) { out[i] = UInt8(truncatingIfNeeded: word); word >>= 8; i += 1 }
        }
        return out
    }
}

// MARK: Drivers

/// Creates a handshake for one side of a transcript, with its scripted randomness.
func makeSide(_ t: Transcript, _ role: HandshakeRole, key: SpipedKey? = nil,
              requirePFS: Bool = false) throws -> (Handshake, RandomTape) {
    let tape = RandomTape(t.bytes(role == .client ? "RANDOM_C" : "RANDOM_S"))
    let fast = t.flag(role == .client ? "CLIENT_FAST" : "SERVER_FAST")
    let handshake = try Handshake(role: role, key: key ?? t.key,
                                  options: HandshakeOptions(fast: fast, requirePFS: requirePFS),
                                  random: ScriptedRandom(tape))
    return (handshake, tape)
}

/// Feeds `bytes` to a handshake; returns how many it consumed.
func feed(_ handshake: Handshake, _ bytes: [UInt8]) throws(HandshakeError) -> Int {
    var result: Result<Int, HandshakeError> = .success(0)
    bytes.withUnsafeBytes { raw in
        do throws(HandshakeError) { result = .success(try handshake.receive(raw)) } catch { result = .failure(error) }
    }
    return try result.get()
}

/// Runs `stream` (what the peer sends) through a handshake in the given chunk
/// sizes, then the rest through its opener. Returns everything this side sent
/// and the plaintext it opened.
func runSide(_ handshake: Handshake, stream: [UInt8], chunks: [Int],
             outCapacity: Int = 64 * 1024) throws -> (sent: [UInt8], opened: [UInt8], sealer: PacketSealer?) {
    var sent = handshake.pendingOutput()
    var opened: [UInt8] = []
    var opener: PacketOpener?
    var sealer: PacketSealer?
    var offset = 0
    var chunkIndex = 0
    var out = [UInt8](repeating: 0, count: outCapacity)
    while offset < stream.count {
        let size = chunks.isEmpty ? stream.count : max(1, chunks[chunkIndex % chunks.count])
        chunkIndex += 1
        var chunk = Array(stream[offset..<min(stream.count, offset + size)])
        offset += chunk.count
        if opener == nil {
            let used = try feed(handshake, chunk)
            sent += handshake.pendingOutput()
            chunk.removeFirst(used)
            if handshake.isComplete {
                guard let keys = handshake.finish() else { throw HandshakeError.failed }
                opener = keys.opener
                sealer = keys.sealer
            } else {
                #expect(chunk.isEmpty, "an incomplete handshake left input unconsumed")
                continue
            }
        }
        guard let opener else { continue }
        var start = 0
        while start < chunk.count {
            let step = try chunk.withUnsafeBytes { input in
                try out.withUnsafeMutableBytes { output in
                    try opener.open(UnsafeRawBufferPointer(rebasing: input[start...]), into: output)
                }
            }
            opened += out[0..<step.produced]
            start += step.consumed
            if step.consumed == 0 && step.produced == 0 { break }
        }
    }
    return (sent, opened, sealer)
}
