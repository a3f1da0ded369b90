// Key files: K = SHA-256 of the whole file (streamed, any size), distinct
// errors for each unusable file, the short-key flag, and `-k -` (stdin).
import Foundation
import SpipedCrypto
import SpipedNet
import SpipedProtocol
import SpipedTestSupport
import Testing

@Suite("Key files", .serialized)
struct KeyFileTests {
    /// A fresh temporary directory for one test.
    func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "spiped-key-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func keyBytes(_ key: SpipedKey) -> [UInt8] { key.withUnsafeKeyBytes { Array($0) } }

    @Test("K is SHA-256 of the file; short files are flagged", arguments: [1, 31, 32, 100, 65_536, 1_000_003])
    func hashOfFile(size: Int) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SeededGenerator(seed: UInt64(size))
        let contents = rng.bytes(size)
        let path = dir + "/key"
        try Data(contents).write(to: URL(fileURLWithPath: path))
        let key = try SpipedKey(contentsOfFile: path)
        #expect(keyBytes(key) == SHA256.hash(contents))
        #expect(key.isShort == (size < 32))
        #expect(keyBytes(SpipedKey(keyFileBytes: contents)) == SHA256.hash(contents))
    }

    @Test("a missing file, or a path through a regular file, is notFound")
    func notFound() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: KeyFileError.notFound(dir + "/absent")) { try SpipedKey(contentsOfFile: dir + "/absent") }
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/file"))
        #expect(throws: KeyFileError.notFound(dir + "/file/child")) { try SpipedKey(contentsOfFile: dir + "/file/child") }
    }

    @Test("a directory is isDirectory, an empty file is empty")
    func directoryAndEmpty() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: KeyFileError.isDirectory(dir)) { try SpipedKey(contentsOfFile: dir) }
        _ = FileManager.default.createFile(atPath: dir + "/empty", contents: Data())
        #expect(throws: KeyFileError.empty(dir + "/empty")) { try SpipedKey(contentsOfFile: dir + "/empty") }
    }

    @Test("an unreadable file is permissionDenied (skipped when running as root)")
    func permissionDenied() throws {
        guard getuid() != 0 else { return }   // root bypasses file permissions
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/secret"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        chmod(path, 0)
        #expect(throws: KeyFileError.permissionDenied(path)) { try SpipedKey(contentsOfFile: path) }
    }

    @Test("reading from a non-regular file that fails mid-read gives readFailed with errno")
    func readFailed() throws {
        // /proc/self/mem cannot be read at offset 0 (nothing is mapped there): EIO.
        guard FileManager.default.fileExists(atPath: "/proc/self/mem") else { return }
        #expect(throws: KeyFileError.readFailed("/proc/self/mem", errno: EIO)) {
            try SpipedKey(contentsOfFile: "/proc/self/mem")
        }
    }

    @Test("error messages are the reference's first line, naming the file and the cause")
    func messages() {
        #expect(KeyFileError.notFound("/k").description == "Cannot open file: /k: No such file or directory")
        #expect(KeyFileError.permissionDenied("/k").description == "Cannot open file: /k: Permission denied")
        #expect(KeyFileError.empty("-").description == "Error reading file: -: key file is empty")
        #expect(KeyFileError.readFailed("/k", errno: EIO).description == "Error reading file: /k: Input/output error")
        #expect(KeyFileError.isDirectory("/k").path == "/k")
    }

    @Test("-k -: the key is read from standard input")
    func standardInput() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let contents = Array("a key on standard input\n".utf8)
        try Data(contents).write(to: URL(fileURLWithPath: dir + "/key"))
        _ = FileManager.default.createFile(atPath: dir + "/empty", contents: Data())
        let key = try withStandardInput(from: dir + "/key") { try SpipedKey(readingStandardInput: ()) }
        #expect(keyBytes(key) == SHA256.hash(contents))
        #expect(key.isShort)
        #expect(throws: KeyFileError.empty("-")) {
            try withStandardInput(from: dir + "/empty") { try SpipedKey(readingStandardInput: ()) }
        }
    }

    /// Runs `body` with file descriptor 0 reading `path`, then restores it.
    func withStandardInput<R>(from path: String, _ body: () throws -> R) throws -> R {
        let saved = dup(0)
        let fd = open(path, O_RDONLY)
        #expect(saved >= 0 && fd >= 0)
        dup2(fd, 0)
        close(fd)
        defer {
            dup2(saved, 0)
            close(saved)
        }
        return try body()
    }
}
