// Per-loop memory for the data path. One loop handles one event at a time, so
// its connections share four scratch buffers (read plaintext, sealed output,
// read ciphertext, opened output) instead of owning them: an idle connection
// holds no data buffer at all. Only when a send is partial does a connection
// borrow a block from the loop's pool to keep the unsent tail; the block goes
// back as soon as it drains, so memory follows back-pressure, not connection
// count. Confined to the loop thread.
import SpipedProtocol

/// Scratch buffers and a pool of pending-output blocks for one event loop.
final class LoopBuffers {
    /// Plaintext bytes taken from a socket per recv (64 packets' worth).
    static let plainChunk = 64 * SpipedSession.maxPayloadByteCount
    /// Ciphertext bytes taken from a socket per recv (64 whole packets).
    static let cipherChunk = 64 * SpipedSession.packetByteCount
    /// Room for sealing a full plaintext chunk.
    static let sealedCapacity = SpipedSession.sealedByteCount(forPlaintextByteCount: plainChunk)
    /// Room for opening a full ciphertext chunk plus a packet buffered from before.
    static let openedCapacity = SpipedSession.plaintextCapacity(forPeerByteCount: cipherChunk)
    /// Pool block size: holds the unsent tail of either direction's output.
    static let blockSize = max(sealedCapacity, openedCapacity)
    /// Blocks kept for reuse; beyond this they are freed.
    static let poolLimit = 8

    /// Plaintext read from the plaintext side.
    let plain: UnsafeMutableRawPointer
    /// Sealed packets about to be sent to the ciphertext side.
    let sealed: UnsafeMutableRawPointer
    /// Ciphertext read from the ciphertext side.
    let cipher: UnsafeMutableRawPointer
    /// Opened plaintext about to be sent to the plaintext side.
    let opened: UnsafeMutableRawPointer

    private var pool: [UnsafeMutableRawPointer] = []

    init() {
        plain = .allocate(byteCount: Self.plainChunk, alignment: 64)
        sealed = .allocate(byteCount: Self.sealedCapacity, alignment: 64)
        cipher = .allocate(byteCount: Self.cipherChunk, alignment: 64)
        opened = .allocate(byteCount: Self.openedCapacity, alignment: 64)
    }

    deinit {
        plain.deallocate()
        sealed.deallocate()
        cipher.deallocate()
        opened.deallocate()
        for block in pool { block.deallocate() }
    }

    /// A block of `blockSize` bytes.
    func takeBlock() -> UnsafeMutableRawPointer {
        pool.popLast() ?? .allocate(byteCount: Self.blockSize, alignment: 64)
    }

    /// Returns a block taken with `takeBlock`.
    func giveBack(_ block: UnsafeMutableRawPointer) {
        if pool.count < Self.poolLimit { pool.append(block) } else { block.deallocate() }
    }
}
