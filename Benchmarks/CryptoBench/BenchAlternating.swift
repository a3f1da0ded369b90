// spiped-bench ratios [rounds]: the issue-19 rows (SHA-256 of 1 MiB without
// SHA-NI, HMAC-SHA256 of 64 x 1036-byte packets in lanes, constant-time
// AES-256-CTR of 1028-byte packets without AES-NI) as same-run
// ratios against `openssl speed` masked with OPENSSL_ia32cap, with ours and
// openssl's measurement alternated `rounds` times (1 CPU second each) and
// the median ratio printed per row, with the ratio of each side's best
// round beside it. Why: on a shared machine the speed
// of either side drifts by tens of percent within a minute; a ratio of
// adjacent measurements, taken many times, drifts far less than one ratio
// of figures taken seconds apart.
import SpipedCrypto

/// The masks: without SHA (leaf 7 EBX bit 29), OpenSSL runs its AVX2+BMI2
/// code; also without SSSE3, AVX (leaf 1 ECX bits 9, 28), AVX2, BMI1, BMI2
/// (leaf 7 EBX bits 5, 3, 8), its plain integer code.
private let maskWithoutSHANI = ["OPENSSL_ia32cap": ":~0x20000000"]
private let maskIntegerOnly = ["OPENSSL_ia32cap": "~0x1000020000000000:~0x20000128"]

private struct AlternatingRow {
    let label: String
    let ours: () -> Double
    let openssl: () -> Double?
    var ratios: [Double] = []
    var bestOurs = 0.0, bestOpenssl = 0.0
}

func runAlternatingRatios(rounds: Int) {
    let mebibyte = 1 << 20
    let message = [UInt8](repeating: 0x5a, count: mebibyte)
    var digest = [UInt8](repeating: 0, count: 32)
    func opensslSHA(_ mask: [String: String]) -> () -> Double? {
        { opensslSpeed(["-seconds", "1", "-bytes", "\(mebibyte)", "sha256"], blockSize: mebibyte, environment: mask)
            .map { $0 / 1e6 } }
    }
    func oursSHA(_ implementation: SHA256.Implementation) -> () -> Double {
        {
            message.withUnsafeBytes { input in
                digest.withUnsafeMutableBytes { out in
                    measureMBps(bytesPerIteration: mebibyte, minSeconds: 1.0) {
                        var hasher = SHA256(implementation: implementation)
                        hasher.update(input)
                        hasher.finalize(into: out)
                    }
                }
            }
        }
    }
    var rows: [AlternatingRow] = []
    for implementation in SHA256.Implementation.allCases where implementation != .hardware && SHA256.isAvailable(implementation) {
        rows.append(AlternatingRow(label: "SHA-256 1 MiB, \(implementation.backendName), openssl w/o SHA-NI",
                                   ours: oursSHA(implementation), openssl: opensslSHA(maskWithoutSHANI)))
    }
    rows.append(AlternatingRow(label: "SHA-256 1 MiB, portable, openssl integer-only",
                               ours: oursSHA(.portable), openssl: opensslSHA(maskIntegerOnly)))

    let packets = 64, body = 1028, suffix = 8, packet = body + suffix
    let bodies = [UInt8](repeating: 0xa5, count: packets * body)
    let counters = [UInt8](repeating: 0, count: packets * suffix)
    var codes = [UInt8](repeating: 0, count: packets * 32)
    let keyed = HMACSHA256(key: [UInt8](repeating: 0x42, count: 32))
    let opensslHMAC: () -> Double? = {
        opensslSpeed(["-seconds", "1", "-bytes", "\(packet)", "-hmac", "sha256"], blockSize: packet,
                     environment: maskWithoutSHANI).map { $0 / 1e6 }
    }
    for lanes in HMACSHA256.Lanes.allCases where lanes != .shaniPairs && lanes.isAvailable {
        let ours: () -> Double = {
            bodies.withUnsafeBytes { b in
                counters.withUnsafeBytes { c in
                    codes.withUnsafeMutableBytes { out in
                        let bodyTable = (0..<packets).map { UnsafeRawPointer(b.baseAddress!) + $0 * body }
                        let suffixTable = (0..<packets).map { UnsafeRawPointer(c.baseAddress!) + $0 * suffix }
                        let codeTable = (0..<packets).map { out.baseAddress! + $0 * 32 }
                        return measureMBps(bytesPerIteration: packets * packet, minSeconds: 1.0) {
                            keyed.authenticationCodes(count: packets, bodies: bodyTable, bodyByteCount: body,
                                                      suffixes: suffixTable, suffixByteCount: suffix,
                                                      codes: codeTable, lanes: lanes)
                        }
                    }
                }
            }
        }
        rows.append(AlternatingRow(label: "HMAC 1036 B x64, \(lanes.backendName), openssl w/o SHA-NI",
                                   ours: ours, openssl: opensslHMAC))
        if lanes == .simd4 {
            // The SSE2 lanes use no extension, so the matched reference is
            // openssl with every extension its SHA-256 code could use hidden.
            rows.append(AlternatingRow(label: "HMAC 1036 B x64, \(lanes.backendName), openssl integer-only", ours: ours,
                                       openssl: { opensslSpeed(["-seconds", "1", "-bytes", "\(packet)", "-hmac", "sha256"],
                                                               blockSize: packet, environment: maskIntegerOnly).map { $0 / 1e6 } }))
        }
    }

    let key = [UInt8](repeating: 0x42, count: 32)
    var packetBody = [UInt8](repeating: 0xa5, count: body)
    for kernel in AES256ConstantTime.CTRKernel.allCases where kernel.isAvailable {
        let aes = AES256ConstantTime(key: key, kernel: kernel)
        var nonce: UInt64 = 0
        let ours: () -> Double = {
            packetBody.withUnsafeMutableBytes { buffer in
                measureMBps(bytesPerIteration: body, minSeconds: 1.0) {
                    aes.xorKeystream(nonce: nonce, firstBlock: 0, buffer)   // a fresh nonce per packet
                    nonce &+= 1
                }
            }
        }
        rows.append(AlternatingRow(label: "AES-256-CTR 1028 B, ct-\(kernel.backendName), openssl w/o AES-NI", ours: ours,
                                   openssl: { opensslSpeed(["-seconds", "1", "-bytes", "\(body)", "-evp", "aes-256-ctr"],
                                                           blockSize: body, environment: opensslWithoutAESNI).map { $0 / 1e6 } }))
    }

    print("== same-run ratios, ours and openssl alternated \(rounds) times (median, range) ==")
    for round in 0..<rounds {
        for i in rows.indices {
            guard let reference = rows[i].openssl() else { continue }
            let speed = rows[i].ours()
            rows[i].ratios.append(speed / reference)
            rows[i].bestOurs = max(rows[i].bestOurs, speed)
            rows[i].bestOpenssl = max(rows[i].bestOpenssl, reference)
            print("  round \(round + 1): \(rows[i].label): ours \(formatFigure(speed)) MB/s, openssl \(formatFigure(reference)) MB/s")
        }
    }
    for row in rows where !row.ratios.isEmpty {
        let sorted = row.ratios.sorted()
        let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        print("\(row.label.padding(toLength: 58, withPad: " ", startingAt: 0)) ratio median \(formatFigure(median, decimals: 2))"
              + "  range \(formatFigure(sorted.first, decimals: 2))-\(formatFigure(sorted.last, decimals: 2))"
              + "  best/best \(formatFigure(row.bestOurs / row.bestOpenssl, decimals: 2))"
              + " (\(formatFigure(row.bestOurs)) vs \(formatFigure(row.bestOpenssl)) MB/s)")
    }
    benchSink(digest)
    benchSink(codes)
    benchSink(packetBody)
}
