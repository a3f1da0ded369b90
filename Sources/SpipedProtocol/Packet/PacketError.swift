// Why a PacketOpener refused its input. Any of these ends the connection.

/// A data packet that must not be accepted.
public enum PacketError: Error, Equatable, Sendable {
    /// The packet's MAC does not verify (tampered, reordered, wrong key).
    case badMAC
    /// The MAC verified but the decrypted length is 0 or more than 1024.
    case badLength
    /// An earlier call already failed; the opener refuses all further input.
    case failedEarlier
    /// Packet 2^64 - 1 was the last this direction can number: the counter
    /// (the CTR nonce and MAC input) would wrap, so the stream ends instead.
    case packetLimitReached
}
