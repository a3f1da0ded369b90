// Array-based conveniences over PacketSealer/PacketOpener for code that is
// not on a hot path (tools, tests, examples). They allocate per call; the
// buffer-based methods they wrap do not.

extension PacketSealer {
    /// Seals `plaintext` into as many packets as it needs and returns them.
    package func seal(_ plaintext: some Collection<UInt8>) -> [UInt8] {
        let input = Array(plaintext)
        var out = [UInt8](repeating: 0, count: PacketLayout.sealedByteCount(forPlaintextByteCount: input.count))
        let written = input.withUnsafeBytes { source in
            out.withUnsafeMutableBytes { seal(source, into: $0) }
        }
        return Array(out[..<written])
    }
}

extension PacketOpener {
    /// Opens every whole packet in `input` and returns their plaintext; a
    /// trailing partial packet is kept for the next call.
    ///
    /// - Throws: ``PacketError`` as ``open(_:into:)`` does.
    package func open(_ input: some Collection<UInt8>) throws(PacketError) -> [UInt8] {
        let bytes = Array(input)
        let packets = (bytes.count + PacketLayout.packetByteCount) / PacketLayout.packetByteCount
        var out = [UInt8](repeating: 0, count: max(packets, 1) * PacketLayout.payloadCapacity)
        var consumed = 0
        var produced = 0
        var failure: PacketError? = nil   // Array's closures rethrow untyped errors: carry it out by hand
        bytes.withUnsafeBytes { source in
            out.withUnsafeMutableBytes { target in
                repeat {   // at least one call, so a failed opener throws even for no input
                    do throws(PacketError) {
                        let step = try open(UnsafeRawBufferPointer(rebasing: source[consumed...]),
                                            into: UnsafeMutableRawBufferPointer(rebasing: target[produced...]))
                        consumed += step.consumed
                        produced += step.produced
                        if step.consumed == 0 { break }
                    } catch {
                        failure = error
                        break
                    }
                } while consumed < source.count
            }
        }
        if let failure { throw failure }
        return Array(out[..<produced])
    }
}
