// Linux system calls the Swift Glibc module does not import: its module map
// leaves out <sys/epoll.h> and <sys/eventfd.h>, and accept4 is hidden behind
// _GNU_SOURCE. The project has no C targets, so they are looked up once with
// dlsym and called through `@convention(c)` function pointers: the real C
// calling convention, no shims. The constants and the epoll_event layout are
// the Linux ABI (stable; listed in the kernel's uapi headers).
#if canImport(Glibc)
import Glibc
#endif

/// epoll, eventfd and accept4 through dlsym.
enum LinuxCalls {
    typealias EpollCreate1 = @convention(c) (Int32) -> Int32
    typealias EpollCtl = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    typealias EpollWait = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
    typealias EventFD = @convention(c) (UInt32, Int32) -> Int32
    typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32

    // <sys/epoll.h> (uapi/linux/eventpoll.h)
    static let epollIn: UInt32 = 0x001
    static let epollOut: UInt32 = 0x004
    static let epollErr: UInt32 = 0x008
    static let epollHup: UInt32 = 0x010
    static let epollET: UInt32 = 1 << 31
    static let ctlAdd: Int32 = 1
    static let ctlDel: Int32 = 2
    static let ctlMod: Int32 = 3
    /// EPOLL_CLOEXEC and EFD_CLOEXEC equal O_CLOEXEC; EFD_NONBLOCK equals O_NONBLOCK.
    static let closeOnExec: Int32 = O_CLOEXEC
    static let nonBlocking: Int32 = O_NONBLOCK

    /// struct epoll_event: { uint32 events; uint64 data } — packed (12 bytes) on
    /// x86_64, naturally aligned (16 bytes) elsewhere.
    #if arch(x86_64)
    static let eventSize = 12
    static let eventDataOffset = 4
    #else
    static let eventSize = 16
    static let eventDataOffset = 8
    #endif

    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, name) else { return nil }
        return unsafeBitCast(address, to: type)
    }

    static let epollCreate1Function = symbol("epoll_create1", as: EpollCreate1.self)
    static let epollCtlFunction = symbol("epoll_ctl", as: EpollCtl.self)
    static let epollWaitFunction = symbol("epoll_wait", as: EpollWait.self)
    static let eventFDFunction = symbol("eventfd", as: EventFD.self)
    static let accept4Function = symbol("accept4", as: Accept4.self)

    /// epoll_create1(EPOLL_CLOEXEC); -1 with errno ENOSYS if unavailable.
    static func epollCreate() -> Int32 {
        guard let call = epollCreate1Function else { errno = ENOSYS; return -1 }
        return call(closeOnExec)
    }

    /// epoll_ctl with one event built from `events` and the 64-bit `cookie`.
    static func epollControl(_ epfd: Int32, _ op: Int32, _ fd: Int32, events: UInt32, cookie: UInt64) -> Int32 {
        guard let call = epollCtlFunction else { errno = ENOSYS; return -1 }
        var raw: (UInt64, UInt64) = (0, 0)   // 16 bytes, enough for either layout
        return withUnsafeMutableBytes(of: &raw) { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            base.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
            base.storeBytes(of: cookie, toByteOffset: eventDataOffset, as: UInt64.self)
            return call(epfd, op, fd, op == ctlDel ? nil : base)
        }
    }

    /// epoll_wait into `events` (room for `capacity` events of `eventSize` bytes).
    @inline(__always)
    static func epollWait(_ epfd: Int32, _ events: UnsafeMutableRawPointer, _ capacity: Int32, _ timeout: Int32) -> Int32 {
        guard let call = epollWaitFunction else { errno = ENOSYS; return -1 }
        return call(epfd, events, capacity, timeout)
    }

    /// The mask and cookie of event `index` in an epoll_wait result.
    @inline(__always)
    static func event(_ events: UnsafeMutableRawPointer, _ index: Int) -> (mask: UInt32, cookie: UInt64) {
        let base = events + index * eventSize
        return (base.loadUnaligned(as: UInt32.self), base.loadUnaligned(fromByteOffset: eventDataOffset, as: UInt64.self))
    }

    /// A non-blocking, close-on-exec eventfd; -1 on failure.
    static func makeEventFD() -> Int32 {
        guard let call = eventFDFunction else { errno = ENOSYS; return -1 }
        return call(0, closeOnExec | nonBlocking)
    }

    /// accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC); falls back to
    /// accept + fcntl if accept4 cannot be found.
    static func acceptNonBlocking(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: UnsafeMutablePointer<socklen_t>) -> Int32 {
        if let call = accept4Function {
            return call(fd, address, length, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
        }
        let accepted = accept(fd, address, length)
        if accepted >= 0 {
            _ = fcntl(accepted, F_SETFD, FD_CLOEXEC)
            SocketCalls.setNonBlocking(accepted, true)
        }
        return accepted
    }
}
