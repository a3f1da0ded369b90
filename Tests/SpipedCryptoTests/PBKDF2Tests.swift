// PBKDF2-HMAC-SHA256 known answers: RFC 7914 section 11 and ~200 records
// generated with Python hashlib (Vectors/PBKDF2/generate_pbkdf2.py).
import SpipedTestSupport
import Testing
import SpipedCrypto

@Suite struct PBKDF2Tests {
    func checkFile(_ file: String, expectedRecords: Int) throws {
        let records = try loadVectorFile(file)
        #expect(records.count == expectedRecords)
        for record in records {
            let expected = record.bytes("DK")
            #expect(expected.count == record.int("DKLen"), "line \(record.line)")
            let derived = PBKDF2.hmacSHA256(password: record.bytes("Password"), salt: record.bytes("Salt"),
                                            iterations: record.int("Iterations"),
                                            derivedKeyByteCount: record.int("DKLen"))
            #expect(hex(derived) == hex(expected), "line \(record.line)")
        }
    }

    @Test("RFC 7914 section 11, both records")
    func rfc7914() throws {
        try checkFile("PBKDF2/rfc7914-pbkdf2-sha256.txt", expectedRecords: 2)
    }

    @Test("hashlib-generated records, every one")
    func hashlib() throws {
        try checkFile("PBKDF2/pbkdf2-sha256-hashlib.txt", expectedRecords: 200)
    }

    @Test("Zero-length output and prefix property")
    func lengths() {
        let password = Array("password".utf8), salt = Array("salt".utf8)
        #expect(PBKDF2.hmacSHA256(password: password, salt: salt, iterations: 2, derivedKeyByteCount: 0).isEmpty)
        let long = PBKDF2.hmacSHA256(password: password, salt: salt, iterations: 3, derivedKeyByteCount: 100)
        for length in [1, 31, 32, 33, 64, 99] {
            let short = PBKDF2.hmacSHA256(password: password, salt: salt, iterations: 3, derivedKeyByteCount: length)
            #expect(short[...] == long[..<length])
        }
    }
}
