// libFuzzer target: command-line address parsing (SpipedNet/Address):
// AddressText.parse, AddressResolver.bindAddressText, the DNS-free
// SocketAddress initializers and the description/port accessors. Host names
// are never resolved (no getaddrinfo: a fuzzer must not send DNS queries).
//
// Input layout: byte 0 bit0 = allowPortZero (as for -b); the rest is the
// address text (UTF-8, repaired).
//
// Invariants: parsing is deterministic; `.unix` only for absolute paths that
// fit sun_path, and the address prints back as the path; `.numeric` has a
// non-zero port unless allowed, prints as `[host]:port`, and that text parses
// back to the same address; `.host(name, service)` rejoins to the text; every
// error has a non-empty message; bindAddressText never loses a Unix path.
import SpipedFuzzSupport
import SpipedNet

func checkNumeric(_ address: SocketAddress, allowPortZero: Bool, context: String) {
    fuzzCheck(!address.isUnix && address.unixPath == nil, "numeric address is Unix: \(context)")
    guard let port = address.port else { return fuzzCheck(false, "numeric address without port: \(context)") }
    fuzzCheck(port != 0 || allowPortZero, "port 0 accepted: \(context)")
    let printed = address.description
    fuzzCheck(printed.hasPrefix("["), "description \(printed) of \(context)")
    do {
        let again = try AddressText.parse(printed, allowPortZero: allowPortZero)
        fuzzCheck(again == .numeric(address), "\(context) -> \(printed) -> \(again)")
    } catch {
        fuzzCheck(false, "\(context) printed as \(printed), which does not parse: \(error)")
    }
}

func check(_ text: String, allowPortZero: Bool) {
    let first = Result { () throws(AddressError) in try AddressText.parse(text, allowPortZero: allowPortZero) }
    let second = Result { () throws(AddressError) in try AddressText.parse(text, allowPortZero: allowPortZero) }
    fuzzCheck(first == second, "parse is not deterministic for \(text.debugDescription)")
    switch first {
    case let .failure(error):
        fuzzCheck(!error.description.isEmpty, "empty error text")
        fuzzCheck(!error.isLookupFailure, "parse reported a look-up failure")
    case let .success(.unix(path)):
        fuzzCheck(path == text && text.hasPrefix("/"), "unix path \(path.debugDescription) from \(text.debugDescription)")
        guard let address = SocketAddress(unixPath: path) else { return fuzzCheck(false, "unix path refused after parse") }
        fuzzCheck(address.isUnix && address.port == nil, "unix address accessors")
        fuzzCheck(address.unixPath == path, "unix address prints \(String(describing: address.unixPath)) for \(path.debugDescription)")
        let resolved = try? AddressResolver.resolve(text, allowPortZero: allowPortZero)
        fuzzCheck(resolved == [address], "resolve of a unix path")
    case let .success(.numeric(address)):
        checkNumeric(address, allowPortZero: allowPortZero, context: text.debugDescription)
        let resolved = try? AddressResolver.resolve(text, allowPortZero: allowPortZero)
        fuzzCheck(resolved == [address], "resolve of a numeric address")
    case let .success(.host(name, service)):
        fuzzCheck(name + ":" + service == text, "host split \(name.debugDescription) \(service.debugDescription) of \(text.debugDescription)")
        fuzzCheck(!name.hasPrefix("["), "bracketed host left to DNS")
    }
}

func runAddress(_ input: [UInt8]) {
    let allowPortZero = (input.first ?? 0) & 1 != 0
    let text = String(decoding: input.dropFirst(), as: UTF8.self)
    check(text, allowPortZero: allowPortZero)

    let bind = AddressResolver.bindAddressText(text)
    if text.hasPrefix("/") { fuzzCheck(bind == text, "bind text changed a unix path") }
    check(bind, allowPortZero: true)

    // The DNS-free initializers on the raw text.
    if let address = SocketAddress(numericHost: text, port: 1) {
        checkNumeric(address, allowPortZero: false, context: "numericHost \(text.debugDescription)")
    }
    if let address = SocketAddress(unixPath: text) {
        fuzzCheck(address.unixPath == text, "unixPath round trip for \(text.debugDescription)")
        fuzzCheck(address == address && address.bytes.count == Int(address.length), "equality/bytes")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAddress(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    runAddress(fuzzInput(data, size))
    return 0
}

/// The process entry point SwiftPM links as `main`.
@_cdecl("FuzzAddress_main")
public func FuzzAddressMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzAddress($0, $1) }
}
