// Streams a key file (or standard input) through SHA-256 with plain
// open/read, so a key file of any size is hashed in constant memory.
//
// Guarantees: one 64 KiB read buffer, allocated once, wiped and freed before
// returning (success or failure); the hasher's state (which holds the tail
// of the file) is wiped too. EINTR is retried. Errors map to KeyFileError:
// ENOENT/ENOTDIR -> notFound, EACCES/EPERM -> permissionDenied, a directory
// -> isDirectory, zero bytes -> empty, anything else -> readFailed(errno).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SpipedCrypto

enum KeyFileReader {
    /// What hashing a key file produced.
    struct Digest {
        /// K, the 32-byte SHA-256 of the whole file.
        var key: SecretBuffer
        /// How many bytes the file held.
        var byteCount: UInt64
    }

    private static let chunkByteCount = 64 * 1024

    /// Opens `path` read-only and hashes its contents.
    static func hash(path: String) throws(KeyFileError) -> Digest {
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw mapOpenError(errno, path) }
        defer { _ = close(fd) }
        return try hash(fileDescriptor: fd, name: path)
    }

    /// Hashes everything readable from `fd` until end of file; `name` is
    /// used in errors. The descriptor is not closed.
    static func hash(fileDescriptor fd: Int32, name: String) throws(KeyFileError) -> Digest {
        // open(2) succeeds on a directory with O_RDONLY; refuse it by type
        // rather than waiting for read(2) to fail with EISDIR.
        var info = stat()
        if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            throw .isDirectory(name)
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkByteCount, alignment: 16)
        var hasher = SHA256()
        defer {
            secureZero(buffer)
            buffer.deallocate()
            hasher.wipe()
        }
        var total: UInt64 = 0
        let base = buffer.baseAddress.unsafelyUnwrapped
        while true {
            let n = read(fd, base, chunkByteCount)
            if n > 0 {
                hasher.update(UnsafeRawBufferPointer(start: base, count: n))
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
        let key = SecretBuffer(count: SHA256.digestByteCount)
        hasher.finalize(into: key.bytes)
        return Digest(key: key, byteCount: total)
    }

    private static func mapOpenError(_ code: Int32, _ path: String) -> KeyFileError {
        switch code {
        case ENOENT, ENOTDIR: return .notFound(path)
        case EACCES, EPERM: return .permissionDenied(path)
        case EISDIR: return .isDirectory(path)
        default: return .readFailed(path, errno: code)
        }
    }
}
