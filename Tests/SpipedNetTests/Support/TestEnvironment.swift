// Where the programs under test are: our spiped/spipe next to the test binary
// (.build/<config>/, the directory of /proc/self/exe), Debian's reference in
// /usr/bin. Tests needing the reference are enabled only when it exists; in
// CI (CI=true) its absence is a failure instead (see ReferenceTests).
// Also: temporary directories and random key files.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

enum TestEnvironment {
    /// The directory holding the test binary and the built executables.
    static let buildDirectory: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (exe as NSString).deletingLastPathComponent
    }()

    /// Our spiped.
    static var ourSpiped: String { buildDirectory + "/spiped" }
    /// Our spipe.
    static var ourSpipe: String { buildDirectory + "/spipe" }

    /// Debian's spiped 1.6.2 (`apt-get install spiped`).
    static let referenceSpiped = "/usr/bin/spiped"
    /// Debian's spipe.
    static let referenceSpipe = "/usr/bin/spipe"

    /// Whether the reference pair is installed.
    static let referenceAvailable: Bool =
        FileManager.default.isExecutableFile(atPath: referenceSpiped)
        && FileManager.default.isExecutableFile(atPath: referenceSpipe)

    /// Whether our executables were built (swift test builds them).
    static let oursAvailable: Bool =
        FileManager.default.isExecutableFile(atPath: ourSpiped) && FileManager.default.isExecutableFile(atPath: ourSpipe)

    /// True when running in CI, where nothing may be skipped.
    static let inCI: Bool = ProcessInfo.processInfo.environment["CI"] == "true"

    /// The skip message for reference tests.
    static let referenceSkipMessage: Comment =
        "Debian's C spiped is not installed (apt-get install spiped); interop tests skipped"

    /// A fresh private directory, short enough for Unix socket paths.
    static func makeTemporaryDirectory() -> String {
        var template = Array("/tmp/spt-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            return mkdtemp(base) != nil
        }
        guard made else { return "/tmp" }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Writes `count` random bytes to `path` (a key file).
    static func writeRandomKey(_ path: String, count: Int = 32) {
        var bytes = [UInt8](repeating: 0, count: count)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    }

    /// Random payload bytes.
    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: count)
        var i = 0
        while i < count {
            var word = generator.next()
            for _ in 0..<8 where i < count {
                bytes[i] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                i += 1
            }
        }
        return bytes
    }
}

/// A temporary directory with a key, removed when the scenario ends.
final class Scratch: @unchecked Sendable {
    let directory: String
    /// A random 32-byte key.
    let key: String
    /// A different random key (for wrong-key tests).
    let otherKey: String

    init() {
        directory = TestEnvironment.makeTemporaryDirectory()
        key = directory + "/key"
        otherKey = directory + "/otherkey"
        TestEnvironment.writeRandomKey(key)
        TestEnvironment.writeRandomKey(otherKey)
    }

    /// A path inside the directory.
    func path(_ name: String) -> String { directory + "/" + name }

    /// Contents of a file in the directory as text ("" if missing).
    func text(_ name: String) -> String {
        FileContents.text(path(name)) ?? ""
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }
}
