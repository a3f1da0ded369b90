// Shared helpers for the protocol tests: the transcript reader, hex
// conversion, a scripted and a seeded random source, and drivers that feed
// a Handshake or PacketOpener in chunks.
import Foundation
import SpipedCrypto
import SpipedProtocol
import SpipedTestSupport
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

/// Every record of transcripts.txt (blank-line separated, "#" comments).
let transcripts: [Transcript] = {
    let path = vectorsDirectory + "/protocol/transcripts.txt"
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

/// RFC 3526 section 3, the 2048-bit MODP group prime p (big-endian).
let group14Prime: [UInt8] = DiffieHellmanGroup14.primeBytes

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
