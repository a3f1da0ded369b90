// libFuzzer target: the key-file reader (SpipedNet/Files, and SpipedKey's
// in-memory init in SpipedProtocol/Key). The input,
// repeated 1 + byte0 % 40 times (so files cross the reader's 64 KiB chunks),
// is written to a scratch file and read back through every entry point:
// SpipedKey(contentsOfFile:), SpipedKey(readingStandardInput:) with the file
// on fd 0, and SpipedKey(keyFileBytes:).
//
// Invariants: all three give K = SHA-256(contents) (one-shot hash as the
// model) and isShort == (size < 32); an empty file is refused as .empty with
// the path given ("-" for standard input); missing files, directories and
// errors map to the documented cases (checked once per process).
#if canImport(Glibc)
import Glibc
#endif
import SpipedCrypto
import SpipedFuzzSupport
import SpipedNet
import SpipedProtocol

/// A per-process scratch file in $TMPDIR (run.sh points it at its scratch directory).
let scratchPath = (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp") + "/spiped-fuzz-key-\(getpid())"

func keyBytes(_ key: SpipedKey) -> [UInt8] { key.withUnsafeKeyBytes { Array($0) } }

/// Writes `bytes` to the scratch file (truncating it).
func writeScratch(_ bytes: [UInt8]) {
    let fd = open(scratchPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    fuzzCheck(fd >= 0, "cannot create \(scratchPath)")
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        fuzzCheck(n > 0, "write to \(scratchPath) failed")
        offset += n
    }
    close(fd)
}

/// Runs `body` with the scratch file as standard input.
func withScratchAsStandardInput<R>(_ body: () -> R) -> R {
    let saved = dup(0)
    let fd = open(scratchPath, O_RDONLY | O_CLOEXEC)
    fuzzCheck(saved >= 0 && fd >= 0, "cannot redirect standard input")
    dup2(fd, 0)
    close(fd)
    defer { dup2(saved, 0); close(saved) }
    return body()
}

/// The error cases that do not depend on contents, once per process.
let fixedCasesChecked: Bool = {
    do throws(KeyFileError) { _ = try SpipedKey(contentsOfFile: "/nonexistent/spiped-fuzz/key"); fuzzCheck(false, "missing file accepted") }
    catch { fuzzCheck(error == .notFound("/nonexistent/spiped-fuzz/key"), "missing file: \(error)") }
    do throws(KeyFileError) { _ = try SpipedKey(contentsOfFile: "/tmp"); fuzzCheck(false, "directory accepted") }
    catch { fuzzCheck(error == .isDirectory("/tmp"), "directory: \(error)") }
    for error in [KeyFileError.notFound("k"), .permissionDenied("-"), .isDirectory("k"), .empty("-"), .readFailed("k", errno: EIO)] {
        fuzzCheck(!error.description.isEmpty && (error.path == "k" || error.path == "-"), "error text for \(error)")
    }
    return true
}()

func runKeyFile(_ input: [UInt8]) {
    _ = fixedCasesChecked
    let repeats = 1 + Int(input.first ?? 0) % 40
    var contents: [UInt8] = []
    contents.reserveCapacity(input.count * repeats)
    for _ in 0..<repeats { contents += input }
    let expected = SHA256.hash(contents)

    let inMemory = SpipedKey(keyFileBytes: contents)
    fuzzCheck(keyBytes(inMemory) == expected, "keyFileBytes K differs from SHA-256")
    fuzzCheck(inMemory.isShort == (contents.count < 32), "keyFileBytes isShort")

    writeScratch(contents)
    do throws(KeyFileError) {
        let fromFile = try SpipedKey(contentsOfFile: scratchPath)
        fuzzCheck(!contents.isEmpty, "empty key file accepted")
        fuzzCheck(keyBytes(fromFile) == expected, "file K differs from SHA-256 (\(contents.count) bytes)")
        fuzzCheck(fromFile.isShort == (contents.count < 32), "file isShort")
    } catch {
        fuzzCheck(contents.isEmpty && error == .empty(scratchPath), "file refused: \(error)")
    }
    let fromStandardInput = withScratchAsStandardInput { Result { () throws(KeyFileError) in try SpipedKey(readingStandardInput: ()) } }
    switch fromStandardInput {
    case let .success(key):
        fuzzCheck(!contents.isEmpty && keyBytes(key) == expected, "standard input K differs from SHA-256")
        fuzzCheck(key.isShort == (contents.count < 32), "standard input isShort")
    case let .failure(error):
        fuzzCheck(contents.isEmpty && error == .empty("-"), "standard input refused: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKeyFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    runKeyFile(fuzzInput(data, size))
    return 0
}

/// The process entry point SwiftPM links as `main`.
@_cdecl("FuzzKeyFile_main")
public func FuzzKeyFileMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzKeyFile($0, $1) }
}
