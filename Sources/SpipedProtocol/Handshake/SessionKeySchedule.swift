// How the two PBKDF2 outputs of the handshake are cut into keys, the one
// place that knows the layout (as spiped keeps proto_crypt apart from the
// handshake's sequencing):
//   dk1 = dhmac_C || dhmac_S                  (64 bytes, from the nonces)
//   dk2 = E_C || H_C || E_S || H_S            (128 bytes, from the nonces and y_SC)
// Each side MACs its own handshake message with its own dhmac and seals its
// data with its own E/H; the peer's halves verify and open.
//
// Guarantees: pure layout arithmetic over caller-owned secret bytes; nothing
// is copied out except into the sealer/opener the keys are for.

/// The byte layout of dk1 and dk2.
enum SessionKeySchedule {
    /// dk1's length: two 32-byte handshake MAC keys.
    static let handshakeMACKeysByteCount = 64
    /// dk2's length: two (encryption, MAC) key pairs.
    static let sessionKeysByteCount = 128

    /// dhmac of the side `role` (the key its y is MACed with) within dk1.
    static func handshakeMACKey(of role: HandshakeRole) -> Range<Int> {
        role == .client ? 0..<32 : 32..<64
    }

    /// The 64 bytes E || H that the side `role` sends with, within dk2.
    private static func sendingKeys(of role: HandshakeRole) -> Range<Int> {
        role == .client ? 0..<64 : 64..<128
    }

    /// The sealer for what `role` sends, keyed from `dk2`.
    static func sealer(for role: HandshakeRole, dk2: UnsafeRawBufferPointer) -> PacketSealer {
        let keys = sendingKeys(of: role)
        return PacketSealer(encryptionKey: UnsafeRawBufferPointer(rebasing: dk2[keys.lowerBound..<keys.lowerBound + 32]),
                            macKey: UnsafeRawBufferPointer(rebasing: dk2[keys.lowerBound + 32..<keys.upperBound]))
    }

    /// The opener for what `role` receives (what its peer sends), keyed from `dk2`.
    static func opener(for role: HandshakeRole, dk2: UnsafeRawBufferPointer) -> PacketOpener {
        let keys = sendingKeys(of: role == .client ? .server : .client)
        return PacketOpener(encryptionKey: UnsafeRawBufferPointer(rebasing: dk2[keys.lowerBound..<keys.lowerBound + 32]),
                            macKey: UnsafeRawBufferPointer(rebasing: dk2[keys.lowerBound + 32..<keys.upperBound]))
    }
}
