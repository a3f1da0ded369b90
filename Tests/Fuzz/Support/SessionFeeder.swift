// Drives one SpipedSession with reads from its peer exactly as spiped and
// spipe do (SpipedSession's header, steps 1-2): every read is offered to
// `receive(_:into:)` until it is used up, and again while the state is
// `.verified` (then with the rest, possibly nothing); the peer output is
// taken after every call. Each call is reported to the fuzz target's checks.
//
// Guarantees (checked here for every call, a violation aborts):
// - consumed is within what was offered, produced within the buffer given;
// - the plaintext buffer is exact-size heap memory (ASan sees overruns);
// - a call that leaves input unconsumed, nothing produced and the state not
//   `.verified` is only allowed while the buffer has no room for a packet;
// - once ended, a call consumes, produces and sends nothing, and the state
//   (with its reason) stays; bytesOpened counts exactly what was delivered.
import SpipedProtocol

public final class SessionFeeder {
    /// One `receive` call as the checks see it.
    public struct Step {
        /// Peer bytes consumed by all calls before this one.
        public let positionBefore: Int
        /// Bytes offered to this call.
        public let offered: Int
        public let consumed: Int
        public let produced: Int
        /// `takePeerOutput()` right after the call.
        public let output: [UInt8]
        public let stateBefore: SpipedSession.State
        public let stateAfter: SpipedSession.State
        public var positionAfter: Int { positionBefore + consumed }
    }

    public let session: SpipedSession
    /// Everything handed over for the peer, in order.
    public private(set) var sent: [UInt8] = []
    /// Everything delivered to the application, in order.
    public private(set) var delivered: [UInt8] = []
    /// Peer bytes consumed so far.
    public private(set) var position = 0
    /// A plaintext buffer size to use instead of the I/O layers'
    /// `plaintextCapacity(forPeerByteCount:)`; one under 1024 bytes must stall
    /// the data path and is then dropped.
    public var bufferSize: Int?

    public init(_ session: SpipedSession) {
        self.session = session
        sent = session.takePeerOutput()
    }

    private var checkedDelivered = 0

    /// Whether everything delivered so far begins `expected` (only what is
    /// new since the last call is compared, so checking after every call
    /// stays linear).
    public func deliveredIsPrefix(of expected: [UInt8]) -> Bool {
        guard delivered.count <= expected.count, checkedDelivered <= delivered.count else { return false }
        defer { checkedDelivered = delivered.count }
        return delivered[checkedDelivered...] == expected[checkedDelivered..<delivered.count]
    }

    public var isEnded: Bool {
        if case .ended = session.state { return true }
        return false
    }

    /// Offers one read from the peer; `check` sees every call.
    public func feed(_ read: UnsafeRawBufferPointer, check: (Step) -> Void) {
        var offset = 0
        var calls = 0
        repeat {
            let rest = UnsafeRawBufferPointer(rebasing: read[offset...])
            let size = bufferSize ?? SpipedSession.plaintextCapacity(forPeerByteCount: rest.count)
            let out = ExactBuffer(count: size)
            let before = session.state
            let (consumed, produced) = session.receive(rest, into: out.pointer)
            let output = session.takePeerOutput()
            fuzzCheck(consumed >= 0 && consumed <= rest.count, "consumed \(consumed) of \(rest.count)")
            fuzzCheck(produced >= 0 && produced <= size, "produced \(produced) into \(size)")
            let step = Step(positionBefore: position, offered: rest.count, consumed: consumed, produced: produced,
                            output: output, stateBefore: before, stateAfter: session.state)
            if case .ended = before {
                fuzzCheck(consumed == 0 && produced == 0 && output.isEmpty, "an ended session took or gave bytes")
                fuzzCheck(session.state == before, "an ended session changed its state")
            }
            offset += consumed
            position += consumed
            delivered += out.bytes[0..<produced]
            sent += output
            fuzzCheck(session.bytesOpened == UInt64(delivered.count), "bytesOpened \(session.bytesOpened), delivered \(delivered.count)")
            check(step)
            if isEnded { return }
            if consumed == 0 && produced == 0 && session.state != .verified && offset < read.count {
                // No progress: only a buffer without room for one packet excuses it.
                fuzzCheck(session.state == .established && size < PacketModel.payloadCapacity,
                          "no progress with \(read.count - offset) bytes left, \(size) bytes of room, state \(session.state)")
                bufferSize = nil
            }
            calls += 1
            fuzzCheck(calls <= 4 + 2 * read.count, "receive loop does not end")
        } while offset < read.count || session.state == .verified
    }
}
