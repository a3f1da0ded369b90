// The randomness interface the rest of the program draws keys and nonces
// from, and the system (kernel) implementation of it.
//
// Guarantees: `SystemRandom` only ever returns bytes from the kernel's CSPRNG
// (getrandom(2), or /dev/urandom when the kernel lacks that system call); it
// fills the whole buffer or throws, and never falls back to a weaker source.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A source of cryptographically secure random bytes.
///
/// Tests can supply a deterministic conformer; production code uses ``SystemRandom``.
public protocol RandomSource {
    /// Fills every byte of `buffer` with random data, or throws.
    mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) throws
}

extension RandomSource {
    /// Returns `count` random bytes drawn with ``fill(_:)``.
    public mutating func bytes(count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        try out.withUnsafeMutableBytes { try fill($0) }
        return out
    }
}

/// Why ``SystemRandom`` could not produce bytes.
public enum RandomnessError: Error, Equatable, Sendable {
    /// getrandom(2) failed with this errno (other than ENOSYS/EINTR).
    case getrandomFailed(errno: Int32)
    /// The kernel lacks getrandom(2) and /dev/urandom could not be opened.
    case urandomOpenFailed(errno: Int32)
    /// Reading /dev/urandom failed with this errno.
    case urandomReadFailed(errno: Int32)
    /// /dev/urandom reported end of file (it is not the kernel device).
    case urandomEndOfFile
}

/// The kernel's random number generator.
///
/// Uses getrandom(2) through the C library's `getentropy` (on glibc >= 2.25
/// and musl that function is a thin wrapper over the getrandom system call
/// with flags 0: it waits until the kernel pool is initialised, then never
/// blocks). Only if the kernel reports ENOSYS (older than Linux 3.17) does it
/// read /dev/urandom instead, which is the same kernel generator. Any other
/// failure throws ``RandomnessError``.
public struct SystemRandom: RandomSource, Sendable {
    /// One unused byte. Why: a value with no storage has no address of its
    /// own, and the compiler passes any pointer for it to `mutating` calls;
    /// ThreadSanitizer's exclusivity checks then saw two threads' separate
    /// `SystemRandom()` values as one variable modified concurrently (a
    /// report on memory nobody touches, but a report). Storage makes each
    /// value distinct.
    private var distinctStorage: UInt8 = 0

    /// Creates a handle on the kernel generator (it holds no state).
    public init() {}

    /// getentropy accepts at most 256 bytes per call (POSIX limit).
    private static let maxChunk = 256

    /// Fills `buffer` entirely with kernel randomness or throws.
    public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) throws {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        var offset = 0
        while offset < buffer.count {
            let chunk = min(SystemRandom.maxChunk, buffer.count - offset)
            if getentropy(base + offset, chunk) == 0 {
                offset += chunk
                continue
            }
            let error = errno
            if error == EINTR { continue }
            if error == ENOSYS {
                try SystemRandom.readURandom(UnsafeMutableRawBufferPointer(rebasing: buffer[offset...]))
                return
            }
            throw RandomnessError.getrandomFailed(errno: error)
        }
    }

    /// Fallback for kernels without getrandom(2): read /dev/urandom until the
    /// buffer is full, retrying short reads and EINTR.
    private static func readURandom(_ buffer: UnsafeMutableRawBufferPointer) throws {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        var fd: Int32
        repeat { fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw RandomnessError.urandomOpenFailed(errno: errno) }
        defer { _ = close(fd) }
        var offset = 0
        while offset < buffer.count {
            let n = read(fd, base + offset, buffer.count - offset)
            if n > 0 { offset += n; continue }
            if n == 0 { throw RandomnessError.urandomEndOfFile }
            let error = errno
            if error == EINTR { continue }
            throw RandomnessError.urandomReadFailed(errno: error)
        }
    }
}
