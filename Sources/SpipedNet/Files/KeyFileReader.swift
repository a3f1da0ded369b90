// Reading a key file (or standard input) into a SpipedKey: plain open/read,
// streamed through SHA-256 inside the protocol module's SpipedKey, so a key
// file of any size is hashed in constant memory. The protocol module does no
// file I/O; this is where it happens.
//
// Guarantees: one 64 KiB read buffer, allocated once, wiped and freed before
// returning (success or failure). EINTR is retried. Errors map to
// KeyFileError: ENOENT/ENOTDIR -> notFound, EACCES/EPERM -> permissionDenied,
// a directory -> isDirectory, zero bytes -> empty, anything else ->
// readFailed(errno).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SpipedCrypto
import SpipedProtocol

extension SpipedKey {
    /// Reads and hashes the file at `path`, streaming (any file size).
    ///
    /// - Throws: ``KeyFileError`` naming the cause: missing, not readable,
    ///   a directory, empty, or another read error with its `errno`.
    public init(contentsOfFile path: String) throws(KeyFileError) {
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw KeyFileReader.openError(errno, path) }
        defer { _ = close(fd) }
        try self.init(fileDescriptor: fd, name: path)
    }

    /// Reads standard input to its end and hashes it (`-k -`). Errors carry
    /// the path `"-"`.
    public init(readingStandardInput: ()) throws(KeyFileError) {
        try self.init(fileDescriptor: 0, name: "-")
    }

    /// Reads `fd` to its end and hashes it; errors name `name`.
    init(fileDescriptor fd: Int32, name: String) throws(KeyFileError) {
        // open(2) succeeds on a directory with O_RDONLY; refuse it by type
        // rather than waiting for read(2) to fail with EISDIR.
        var info = stat()
        if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            throw .isDirectory(name)
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: KeyFileReader.chunkByteCount, alignment: 16)
        defer {
            secureZero(buffer)
            buffer.deallocate()
        }
        try self.init(streaming: { (update) throws(KeyFileError) -> UInt64 in
            try KeyFileReader.readAll(fd, name: name, buffer: buffer, update)
        })
    }
}

/// The read loop behind the key-file initializers.
enum KeyFileReader {
    static let chunkByteCount = 64 * 1024

    /// Reads `fd` to its end through `buffer`, handing each piece to `update`;
    /// returns the byte count (an empty file throws `.empty`).
    static func readAll(_ fd: Int32, name: String, buffer: UnsafeMutableRawBufferPointer,
                        _ update: (UnsafeRawBufferPointer) -> Void) throws(KeyFileError) -> UInt64 {
        var total: UInt64 = 0
        let base = buffer.baseAddress.unsafelyUnwrapped
        while true {
            let n = read(fd, base, buffer.count)
            if n > 0 {
                update(UnsafeRawBufferPointer(start: base, count: n))
                total += UInt64(n)
                continue
            }
            if n == 0 { break }
            let code = errno
            if code == EINTR { continue }
            if code == EISDIR { throw .isDirectory(name) }
            throw .readFailed(name, errno: code)
        }
        guard total > 0 else { throw .empty(name) }
        return total
    }

    static func openError(_ code: Int32, _ path: String) -> KeyFileError {
        switch code {
        case ENOENT, ENOTDIR: return .notFound(path)
        case EACCES, EPERM: return .permissionDenied(path)
        case EISDIR: return .isDirectory(path)
        default: return .readFailed(path, errno: code)
        }
    }
}
