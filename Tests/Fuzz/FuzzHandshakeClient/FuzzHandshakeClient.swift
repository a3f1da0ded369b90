// libFuzzer entry point: the client (spiped -e, spipe) side of the handshake
// fed a server's byte stream. Layout and invariants: Support/HandshakeFuzz.swift.
import SpipedFuzzSupport
import SpipedProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHandshakeClient(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    HandshakeFuzz.run(role: .client, input: fuzzInput(data, size))
    return 0
}

/// The process entry point SwiftPM links as `main`.
@_cdecl("FuzzHandshakeClient_main")
public func FuzzHandshakeClientMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzHandshakeClient($0, $1) }
}
