// Bytes accepted for a socket but not yet sent (the tail of a partial send,
// or handshake output). Empty costs nothing: storage is borrowed from the
// loop's pool on first use and returned when drained. Normally it holds at
// most one chunk, because the engine stops reading the opposite socket while
// it is non-empty; an oversized append still works (private allocation).
#if canImport(Glibc)
import Glibc
#endif

/// FIFO of unsent bytes for one socket.
struct PendingOutput {
    private var base: UnsafeMutableRawPointer?
    private var capacity = 0
    private var pooled = false
    private var head = 0
    private var tail = 0

    /// Whether nothing is waiting.
    var isEmpty: Bool { head == tail }

    /// Bytes waiting.
    var count: Int { tail - head }

    /// Appends `count` bytes.
    mutating func append(_ bytes: UnsafeRawPointer, _ count: Int, buffers: LoopBuffers) {
        guard count > 0 else { return }
        if base == nil {
            if count <= LoopBuffers.blockSize {
                base = buffers.takeBlock()
                capacity = LoopBuffers.blockSize
                pooled = true
            } else {
                base = .allocate(byteCount: count, alignment: 64)
                capacity = count
                pooled = false
            }
            head = 0
            tail = 0
        } else if capacity - tail < count, let old = base {
            let live = tail - head
            if capacity - live >= count {
                old.copyMemory(from: old + head, byteCount: live)   // memmove semantics
            } else {
                let bigger = UnsafeMutableRawPointer.allocate(byteCount: live + count, alignment: 64)
                bigger.copyMemory(from: old + head, byteCount: live)
                if pooled { buffers.giveBack(old) } else { old.deallocate() }
                base = bigger
                capacity = live + count
                pooled = false
            }
            head = 0
            tail = live
        }
        guard let storage = base else { return }
        (storage + tail).copyMemory(from: bytes, byteCount: count)
        tail += count
    }

    /// Sends as much as the socket takes. Returns nil when all went out or the
    /// socket is full, or the errno of a real failure.
    mutating func flush(to fd: Int32, buffers: LoopBuffers) -> Int32? {
        while let storage = base, head < tail {
            switch SocketCalls.send(fd, storage + head, tail - head) {
            case .done(let sent):
                head += sent
            case .wouldBlock:
                return nil
            case .failed(let code):
                return code
            }
        }
        release(buffers)
        return nil
    }

    /// Gives the storage back (connection closing or drained).
    mutating func release(_ buffers: LoopBuffers) {
        if let storage = base {
            if pooled { buffers.giveBack(storage) } else { storage.deallocate() }
        }
        base = nil
        capacity = 0
        head = 0
        tail = 0
    }
}
