// Known-answer and cross-check tests for the AES-256 block ciphers: every
// record of the NIST CAVP ECB files (encrypt and decrypt) through every
// variant that can run here, via the dispatcher and via the concrete types;
// plus table and constant-time agreeing on thousands of random keys and
// blocks, and the dispatcher's bookkeeping.
import SpipedTestSupport
import Testing
import SpipedCrypto

/// Every way of making an AES-256 cipher the tests exercise.
enum AESCipherKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case dispatchHardware, dispatchConstantTime, dispatchTable
    case table, constantTime, hardware

    var description: String { rawValue }

    /// The dispatcher implementation behind this kind (nil for concrete types).
    var implementation: AES256.Implementation? {
        switch self {
        case .dispatchHardware: return .hardware
        case .dispatchConstantTime: return .constantTime
        case .dispatchTable: return .table
        case .table, .constantTime, .hardware: return nil
        }
    }

    var isAvailable: Bool {
        switch self {
        case .hardware: return AES256Hardware.isSupported
        case .table, .constantTime: return true
        default: return implementation.map(AES256.isAvailable) ?? false
        }
    }

    /// The kinds that can run on this machine.
    static var available: [AESCipherKind] { allCases.filter(\.isAvailable) }

    func make(key: [UInt8]) -> any AES256BlockCipher {
        if let implementation { return AES256(key: key, implementation: implementation) }
        switch self {
        case .table: return AES256Table(key: key)
        case .constantTime: return AES256ConstantTime(key: key)
        default: return AES256Hardware(key: key)
        }
    }
}

/// Encrypts or decrypts each 16-byte block of `input` independently (ECB).
func ecb(_ cipher: some AES256BlockCipher, _ input: [UInt8], decrypt: Bool) -> [UInt8] {
    var output = [UInt8](repeating: 0, count: input.count)
    input.withUnsafeBytes { inp in
        output.withUnsafeMutableBytes { out in
            var offset = 0
            while offset + 16 <= inp.count {
                if decrypt {
                    cipher.decryptBlock(inp.baseAddress! + offset, out.baseAddress! + offset)
                } else {
                    cipher.encryptBlock(inp.baseAddress! + offset, out.baseAddress! + offset)
                }
                offset += 16
            }
        }
    }
    return output
}

@Suite("AES-256 block cipher")
struct AESTests {
    static let ecbFiles = ["ECBGFSbox256.rsp", "ECBKeySbox256.rsp", "ECBVarKey256.rsp", "ECBVarTxt256.rsp", "ECBMMT256.rsp"]

    @Test("NIST ECB known answers, every record, every variant",
          arguments: AESCipherKind.available, AESTests.ecbFiles)
    func ecbKnownAnswers(kind: AESCipherKind, file: String) throws {
        let records = try loadVectorFile("AES/" + file)
        var encrypts = 0, decrypts = 0
        for record in records {
            let cipher = kind.make(key: record.bytes("KEY"))
            let plaintext = record.bytes("PLAINTEXT"), ciphertext = record.bytes("CIPHERTEXT")
            #expect(plaintext.count == ciphertext.count && plaintext.count % 16 == 0 && !plaintext.isEmpty,
                    "\(file) line \(record.line): bad record")
            switch record.section {
            case "ENCRYPT":
                let got = ecb(cipher, plaintext, decrypt: false)
                #expect(got == ciphertext, "\(kind) \(file) line \(record.line): got \(hex(got))")
                encrypts += 1
            case "DECRYPT":
                let got = ecb(cipher, ciphertext, decrypt: true)
                #expect(got == plaintext, "\(kind) \(file) line \(record.line): got \(hex(got))")
                decrypts += 1
            default:
                Issue.record("\(file) line \(record.line): unknown section \(record.section)")
            }
        }
        #expect(encrypts > 0 && decrypts > 0 && encrypts + decrypts == records.count)
    }

    @Test("Encrypt and decrypt in place")
    func inPlace() {
        let key = [UInt8](repeating: 0x5a, count: 32)
        for kind in AESCipherKind.available {
            let cipher = kind.make(key: key)
            var block: [UInt8] = Array(0..<16)
            let expected = ecb(cipher, block, decrypt: false)
            block.withUnsafeMutableBytes { cipher.encryptBlock(UnsafeRawPointer($0.baseAddress!), $0.baseAddress!) }
            #expect(block == expected, "\(kind)")
            block.withUnsafeMutableBytes { cipher.decryptBlock(UnsafeRawPointer($0.baseAddress!), $0.baseAddress!) }
            #expect(block == Array(0..<16), "\(kind)")
        }
    }

    @Test("Table and constant-time (and hardware) agree on random keys and blocks")
    func variantsAgree() {
        var rng = SeededGenerator(seed: 0x5EED_AE5)
        let hardware = AES256.isAvailable(.hardware)
        for i in 0..<3000 {
            let key = rng.bytes(32)
            let blocks = rng.bytes(32)
            let table = AES256Table(key: key), ct = AES256ConstantTime(key: key)
            let encT = ecb(table, blocks, decrypt: false), encC = ecb(ct, blocks, decrypt: false)
            let decT = ecb(table, blocks, decrypt: true), decC = ecb(ct, blocks, decrypt: true)
            #expect(encT == encC, "encrypt, case \(i), key \(hex(key))")
            #expect(decT == decC, "decrypt, case \(i), key \(hex(key))")
            #expect(ecb(ct, encC, decrypt: true) == blocks, "round trip, case \(i)")
            if hardware {
                let hw = AES256Hardware(key: key)
                #expect(ecb(hw, blocks, decrypt: false) == encT, "hardware encrypt, case \(i)")
                #expect(ecb(hw, blocks, decrypt: true) == decT, "hardware decrypt, case \(i)")
            }
        }
    }

    @Test("Dispatcher reports and honours its implementation")
    func dispatcher() {
        let key = [UInt8](repeating: 1, count: 32)
        for implementation in AES256.Implementation.allCases {
            let aes = AES256(key: key, implementation: implementation)
            if AES256.isAvailable(implementation) {
                #expect(aes.implementation == implementation)
            } else {
                #expect(aes.implementation == .constantTime)
            }
        }
        #expect(AES256.isAvailable(.constantTime) && AES256.isAvailable(.table))
        #expect(AES256.isAvailable(.hardware) == AES256Hardware.isSupported)
        #expect(AES256.isAvailable(AES256.preferredImplementation))
        #expect(AES256(key: key).implementation == AES256.preferredImplementation)
    }

    @Test("wipe() destroys the expanded key", arguments: AESCipherKind.available)
    func wipeChangesOutput(kind: AESCipherKind) {
        let key = (0..<32).map { UInt8($0) }
        var cipher = kind.make(key: key)
        let block = [UInt8](repeating: 0, count: 16)
        let before = ecb(cipher, block, decrypt: false)
        cipher.wipe()
        #expect(ecb(cipher, block, decrypt: false) != before, "\(kind)")
    }
}
