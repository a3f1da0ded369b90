// spiped-bench hash: SHA-256 over 1 MiB per implementation, and
// HMAC-SHA256 over 1036-byte messages with a cloned keyed state per message
// (spiped's per-packet MAC: 1028 bytes of ciphertext + 8-byte counter),
// each beside `openssl speed` for the same operation; and the packet
// layer's form, two packets' MACs at once with interleaved compressions.
import SpipedCrypto

/// OPENSSL_ia32cap mask that hides the SHA extensions (CPUID leaf 7 EBX
/// bit 29) from OpenSSL, giving its best non-SHA-NI code as the reference
/// for our portable implementation.
private let opensslWithoutSHANI = ["OPENSSL_ia32cap": ":~0x20000000"]
/// The same with SSSE3 and AVX (leaf 1 ECX bits 9 and 28) and AVX2, BMI1,
/// BMI2 (leaf 7 EBX bits 5, 3, 8) hidden too: OpenSSL's plain integer code,
/// the reference for our portable code, which uses none of them.
private let opensslIntegerOnly = ["OPENSSL_ia32cap": "~0x1000020000000000:~0x20000128"]

func runHashBenchmarks() {
    print("== SHA-256 / HMAC-SHA256 (MB/s per CPU second; openssl speed in the same run) ==")
    let implementations = SHA256.Implementation.allCases.filter(SHA256.isAvailable)
    let preferred = SHA256.preferredImplementation
    print("available: \(implementations.map { "\($0)" }.joined(separator: ", ")); preferred: \(preferred)")

    let mebibyte = 1 << 20
    let opensslSHA = opensslSpeed(["-seconds", "1", "-bytes", "\(mebibyte)", "sha256"], blockSize: mebibyte)
    let opensslSHAPortable = opensslSpeed(["-seconds", "1", "-bytes", "\(mebibyte)", "sha256"],
                                          blockSize: mebibyte, environment: opensslWithoutSHANI)
    let opensslSHAInteger = opensslSpeed(["-seconds", "1", "-bytes", "\(mebibyte)", "sha256"],
                                         blockSize: mebibyte, environment: opensslIntegerOnly)
    let message = [UInt8](repeating: 0x5a, count: mebibyte)
    var digest = [UInt8](repeating: 0, count: 32)
    for implementation in implementations {
        let speed = message.withUnsafeBytes { input in
            digest.withUnsafeMutableBytes { out in
                measureMBps(bytesPerIteration: mebibyte) {
                    var hasher = SHA256(implementation: implementation)
                    hasher.update(input)
                    hasher.finalize(into: out)
                }
            }
        }
        let reference = implementation == .hardware ? opensslSHA : opensslSHAPortable
        let referenceName = implementation == .hardware ? "" : ", openssl w/o SHA-NI"
        printComparison("SHA-256 1 MiB, \(implementation)\(referenceName)", ours: speed,
                        openssl: reference.map { $0 / 1e6 }, unit: "MB/s")
        if implementation == .portable {
            printComparison("SHA-256 1 MiB, portable, openssl integer-only", ours: speed,
                            openssl: opensslSHAInteger.map { $0 / 1e6 }, unit: "MB/s")
        }
    }
    print("openssl sha256 1 MiB (default CPU features): \(formatFigure(opensslSHA.map { $0 / 1e6 })) MB/s")

    let packet = 1036
    let opensslHMAC = opensslSpeed(["-seconds", "1", "-bytes", "\(packet)", "-hmac", "sha256"], blockSize: packet)
    let opensslHMACPortable = opensslSpeed(["-seconds", "1", "-bytes", "\(packet)", "-hmac", "sha256"],
                                           blockSize: packet, environment: opensslWithoutSHANI)
    let packetBytes = [UInt8](repeating: 0xa5, count: packet)
    let key = [UInt8](repeating: 0x42, count: 32)
    for implementation in implementations {
        let keyed = HMACSHA256(key: key, implementation: implementation)
        let speed = packetBytes.withUnsafeBytes { input in
            digest.withUnsafeMutableBytes { out in
                measureMBps(bytesPerIteration: packet) {
                    var mac = keyed                  // the per-packet clone
                    mac.update(input)
                    mac.finalize(into: out)
                }
            }
        }
        let reference = implementation == .hardware ? opensslHMAC : opensslHMACPortable
        let referenceName = implementation == .hardware ? "" : ", openssl w/o SHA-NI"
        let packetsPerSecond = speed * 1e6 / Double(packet)
        printComparison("HMAC 1036 B clone/packet, \(implementation)\(referenceName)",
                        ours: speed, openssl: reference.map { $0 / 1e6 }, unit: "MB/s")
        print("    (\(formatFigure(packetsPerSecond / 1e3)) k packets/s)")
        // What the packet layer does: two packets' MACs at once (1028-byte
        // body + 8-byte counter each), compressions interleaved.
        let body = packet - 8
        let counter = [UInt8](repeating: 0, count: 8)
        var second = digest
        let pairSpeed = packetBytes.withUnsafeBytes { input in
            counter.withUnsafeBytes { suffix in
                digest.withUnsafeMutableBytes { outA in
                    second.withUnsafeMutableBytes { outB in
                        let message = UnsafeRawBufferPointer(rebasing: input[0..<body])
                        return measureMBps(bytesPerIteration: 2 * packet) {
                            keyed.authenticationCodes(body: message, suffix: suffix, body: message, suffix: suffix,
                                                      into: outA.baseAddress!, outB.baseAddress!)
                        }
                    }
                }
            }
        }
        printComparison("HMAC 1036 B pairs, \(implementation)\(referenceName)",
                        ours: pairSpeed, openssl: reference.map { $0 / 1e6 }, unit: "MB/s")
        print("    (\(formatFigure(pairSpeed * 1e6 / Double(packet) / 1e3)) k packets/s)")
        benchSink(second)
    }
    print("openssl hmac(sha256) 1036 B (default CPU features): \(formatFigure(opensslHMAC.map { $0 / 1e6 })) MB/s")
    benchSink(digest)
    runLaneBenchmarks(key: key, opensslHMAC: opensslHMAC, opensslHMACPortable: opensslHMACPortable)
}

/// The packet layer's batch form: 64 packets' MACs (a full read) in one
/// `authenticationCodes(count:...)` call, per lane kind available here.
private func runLaneBenchmarks(key: [UInt8], opensslHMAC: Double?, opensslHMACPortable: Double?) {
    let packets = 64, body = 1028, suffix = 8
    let bodies = [UInt8](repeating: 0xa5, count: packets * body)
    let counters = [UInt8](repeating: 0, count: packets * suffix)
    var codes = [UInt8](repeating: 0, count: packets * 32)
    let keyed = HMACSHA256(key: key)
    for lanes in HMACSHA256.Lanes.allCases where lanes.isAvailable {
        let speed = bodies.withUnsafeBytes { b in
            counters.withUnsafeBytes { c in
                codes.withUnsafeMutableBytes { out in
                    let bodyTable = (0..<packets).map { UnsafeRawPointer(b.baseAddress!) + $0 * body }
                    let suffixTable = (0..<packets).map { UnsafeRawPointer(c.baseAddress!) + $0 * suffix }
                    let codeTable = (0..<packets).map { out.baseAddress! + $0 * 32 }
                    return measureMBps(bytesPerIteration: packets * (body + suffix)) {
                        keyed.authenticationCodes(count: packets, bodies: bodyTable, bodyByteCount: body,
                                                  suffixes: suffixTable, suffixByteCount: suffix,
                                                  codes: codeTable, lanes: lanes)
                    }
                }
            }
        }
        let reference = lanes == .shaniPairs ? opensslHMAC : opensslHMACPortable
        let referenceName = lanes == .shaniPairs ? "" : ", openssl w/o SHA-NI"
        printComparison("HMAC 1036 B x64, \(lanes.backendName)\(referenceName)",
                        ours: speed, openssl: reference.map { $0 / 1e6 }, unit: "MB/s")
    }
    benchSink(codes)
}
