// The receive loop every driver of a session runs over one read from the
// peer: offer the bytes again until they are used up, the session makes no
// progress or it has ended, handing on each run of plaintext and stopping at
// ``SpipedSession/State/verified`` for the caller to send the reply (the
// keys are derived on the next receive). One copy of these rules for the
// daemon's connections, spipe and the library's streams.
//
// Guarantees: no allocation; the plaintext views are of `scratch` and valid
// only during the callback; a callback answering `.stop` ends the loop at
// once (the caller has closed) and `receiveAll` then reports `stopped`.

extension SpipedSession {
    /// What a ``receiveAll(_:scratch:plaintext:verified:)`` callback tells the loop.
    package enum ReceiveControl: Sendable {
        case proceed
        case stop
    }

    /// How a ``receiveAll(_:scratch:plaintext:verified:)`` loop ended.
    package enum ReceiveOutcome: Sendable, Equatable {
        /// The input is used up, the session took no more, or it has ended
        /// (its ``state`` says which reason).
        case finished
        /// A callback answered `.stop`.
        case stopped
    }

    /// Feeds `input` to the session as far as it goes. Each run of opened
    /// plaintext goes to `plaintext` (a view of `scratch`, which should have
    /// ``plaintextCapacity(forPeerByteCount:)`` room); when the peer's
    /// handshake message has verified, `verified` runs (send the peer
    /// output then) and the loop goes on with the rest.
    package func receiveAll(_ input: UnsafeRawBufferPointer, scratch: UnsafeMutableRawBufferPointer,
                            plaintext: (UnsafeRawBufferPointer) -> ReceiveControl,
                            verified: () -> ReceiveControl) -> ReceiveOutcome {
        var offset = 0
        while true {
            let rest = UnsafeRawBufferPointer(start: input.baseAddress.map { $0 + offset }, count: input.count - offset)
            let step = receive(rest, into: scratch)
            offset += step.consumed
            if step.produced > 0,
               plaintext(UnsafeRawBufferPointer(start: scratch.baseAddress, count: step.produced)) == .stop {
                return .stopped
            }
            if state == .verified {
                if verified() == .stop { return .stopped }
                continue
            }
            if offset >= input.count || (step.consumed == 0 && step.produced == 0) { return .finished }
            if case .ended = state { return .finished }
        }
    }
}
