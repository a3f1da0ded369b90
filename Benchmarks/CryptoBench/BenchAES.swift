// spiped-bench aes: AES-256-CTR over 1028-byte packets (spiped's padded
// packet body), a fresh nonce per packet and block index from 0, exactly as
// the packet sealer uses it, for each AES variant this machine can run,
// beside `openssl speed -evp aes-256-ctr -bytes 1028` measured in the same run.
import SpipedCrypto

/// OPENSSL_ia32cap mask that hides AES-NI (CPUID leaf 1 ECX bit 25, which is
/// bit 57 of the first capability word) from OpenSSL, giving its best
/// non-AES-NI code (vector-permute AES) as the reference for portable code.
let opensslWithoutAESNI = ["OPENSSL_ia32cap": "~0x200000000000000"]

func runAESBenchmarks() {
    print("== AES-256-CTR, 1028-byte packets (MB/s per CPU second; openssl speed in the same run) ==")
    let implementations = AES256.Implementation.allCases.filter(AES256.isAvailable)
    print("available: \(implementations.map { "\($0)" }.joined(separator: ", ")); preferred: \(AES256.preferredImplementation)")

    let packet = 1028
    let arguments = ["-seconds", "1", "-bytes", "\(packet)", "-evp", "aes-256-ctr"]
    let opensslDefault = opensslSpeed(arguments, blockSize: packet)
    let opensslPortable = opensslSpeed(arguments, blockSize: packet, environment: opensslWithoutAESNI)

    let key = [UInt8](repeating: 0x42, count: 32)
    var buffer = [UInt8](repeating: 0xa5, count: packet)
    for implementation in implementations {
        let aes = AES256(key: key, implementation: implementation)
        var nonce: UInt64 = 0
        let speed = buffer.withUnsafeMutableBytes { body in
            measureMBps(bytesPerIteration: packet) {
                var stream = AES256CTR(cipher: aes, nonce: nonce)   // a fresh nonce per packet
                stream.apply(body)
                nonce &+= 1
            }
        }
        let reference = implementation == .hardware ? opensslDefault : opensslPortable
        let referenceName = implementation == .hardware ? "" : ", openssl w/o AES-NI"
        printComparison("AES-256-CTR 1028 B, \(implementation)\(referenceName)", ours: speed,
                        openssl: reference.map { $0 / 1e6 }, unit: "MB/s")
    }
    // The constant-time variant with every CTR kernel this process may run.
    for width in AES256ConstantTime.CTRKernel.allCases where width.isAvailable {
        let aes = AES256ConstantTime(key: key, kernel: width)
        var nonce: UInt64 = 0
        let speed = buffer.withUnsafeMutableBytes { body in
            measureMBps(bytesPerIteration: packet) {
                aes.xorKeystream(nonce: nonce, firstBlock: 0, body)
                nonce &+= 1
            }
        }
        printComparison("AES-256-CTR 1028 B, ct-\(width.backendName), openssl w/o AES-NI", ours: speed,
                        openssl: opensslPortable.map { $0 / 1e6 }, unit: "MB/s")
    }
    print("openssl aes-256-ctr 1028 B (default CPU features): \(formatFigure(opensslDefault.map { $0 / 1e6 })) MB/s")
    benchSink(buffer)
}
