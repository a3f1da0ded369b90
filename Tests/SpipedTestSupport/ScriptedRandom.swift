// Scripted randomness for transcript tests: a RandomSource that hands out
// exactly the bytes on a tape, in order; reading past the end throws, so a
// test sees an unexpected extra draw.
import SpipedCrypto

/// The bytes a ScriptedRandom hands out, shared by its copies.
public final class RandomTape: @unchecked Sendable {
    public let bytes: [UInt8]
    public var position = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
}

/// Reading past the end of a RandomTape.
public struct TapeExhausted: Error {}

/// A RandomSource that reads its tape.
public struct ScriptedRandom: RandomSource {
    public let tape: RandomTape
    public init(_ tape: RandomTape) { self.tape = tape }
    public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) throws {
        guard tape.position + buffer.count <= tape.bytes.count else { throw TapeExhausted() }
        for i in 0..<buffer.count { buffer[i] = tape.bytes[tape.position + i] }
        tape.position += buffer.count
    }
}
