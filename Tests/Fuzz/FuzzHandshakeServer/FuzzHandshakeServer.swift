// libFuzzer entry point: the server (spiped -d) side of the handshake fed a
// client's byte stream. Layout and invariants: Support/HandshakeFuzz.swift.
import SpipedFuzzSupport
import SpipedProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHandshakeServer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    HandshakeFuzz.run(role: .server, input: fuzzInput(data, size))
    return 0
}

/// The process entry point SwiftPM links as `main`.
@_cdecl("FuzzHandshakeServer_main")
public func FuzzHandshakeServerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzHandshakeServer($0, $1) }
}
