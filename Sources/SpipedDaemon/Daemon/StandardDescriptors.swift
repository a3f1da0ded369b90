// Makes sure descriptors 0, 1 and 2 are open before anything else is. A
// bare supervisor or a shell's `2>&-` can start us with some of them
// closed; the next socket would then take the number, and a warning written
// to "standard error" would go into a connection. Each closed one is opened
// on /dev/null (open(2) returns the lowest free number, so checking them in
// order fills exactly the gaps).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Descriptors 0-2 at start-up.
enum StandardDescriptors {
    /// Opens /dev/null on each of 0, 1 and 2 that is closed. Run first thing.
    /// Returns false if one could not be opened (then the program must not go on).
    @discardableResult
    static func openMissing() -> Bool {
        for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            var opened: Int32
            repeat { opened = open("/dev/null", O_RDWR) } while opened < 0 && errno == EINTR
            guard opened == fd else {
                if opened >= 0 { close(opened) }
                return false
            }
        }
        return true
    }
}
