// Spawns the programs under test with posix_spawn: stdin/stdout/stderr from
// or to files (never pipes: a daemon keeps its stderr, and a pipe reader
// would wait for it), default signal dispositions and an empty signal mask,
// an environment without NOTIFY_SOCKET unless given. Waiting has a timeout so
// a hung child fails a test instead of hanging the suite; every child is
// killed when its handle goes away.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class ChildProcess: @unchecked Sendable {
    /// `.closed`: the child starts with that descriptor closed (a bare supervisor, `2>&-`).
    public enum Input { case null, file(String), closed }
    public enum Output { case null, file(String), closed }

    public let pid: pid_t
    private var status: Int32?

    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
         stdin: Input = .null, stdout: Output = .null, stderr: Output = .null) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        switch stdin {
        case .null: posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        case let .file(path): posix_spawn_file_actions_addopen(&actions, 0, path, O_RDONLY, 0)
        case .closed: posix_spawn_file_actions_addclose(&actions, 0)
        }
        for (fd, output) in [(Int32(1), stdout), (Int32(2), stderr)] {
            switch output {
            case .null: posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_WRONLY, 0)
            case let .file(path): posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            case .closed: posix_spawn_file_actions_addclose(&actions, fd)
            }
        }
        // The child gets only 0-2: without this, sockets and files other tests
        // hold open at the moment of the spawn (not all close-on-exec) leak into
        // the daemon, and its descriptor counts would not be its own. glibc 2.34+
        // has it; Swift's Glibc module does not import it, so it is looked up.
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
            _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, 3)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let env = environment ?? ProcessInfo.processInfo.environment.filter { $0.key != "NOTIFY_SOCKET" }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
        pid = child
    }

    /// Exit status (or 128 + signal) once the child ended within `timeout`, else nil.
    @discardableResult
    public func wait(timeout: Double) -> Int32? {
        if let status { return status }
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            var raw: Int32 = 0
            let rc = waitpid(pid, &raw, WNOHANG)
            if rc == pid {
                let signal = raw & 0x7f
                status = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
                return status
            }
            if rc < 0 { status = -1; return status }
            usleep(5_000)
        } while Date() < deadline
        return nil
    }

    /// Whether the child is still running.
    public var isRunning: Bool { wait(timeout: 0) == nil }

    /// Sends `signal`.
    public func send(_ signal: Int32) { if status == nil { kill(pid, signal) } }

    /// SIGKILL and reap.
    public func killAndReap() {
        guard status == nil else { return }
        kill(pid, SIGKILL)
        wait(timeout: 5)
    }

    deinit { killAndReap() }

    /// Runs to completion (killed after `timeout`) and returns the status.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                    stdin: Input = .null, stdout: Output = .null, stderr: Output = .null,
                    timeout: Double = 20) throws -> Int32? {
        let child = try ChildProcess(executable, arguments, environment: environment, stdin: stdin, stdout: stdout, stderr: stderr)
        let status = child.wait(timeout: timeout)
        if status == nil { child.killAndReap() }
        return status
    }

    /// Whether a process that is not our child (a daemon that detached) is
    /// gone. A zombie counts as gone: its exit is done, and who reaps an
    /// orphan is the container's init, which here polls every two seconds.
    public static func hasExited(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return true }
        let stat = readProcFile("/proc/\(pid)/stat")
        // The state follows the parenthesised command name.
        guard let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    /// Polls `hasExited` until it holds or `timeout` seconds pass.
    public static func waitForExit(_ pid: pid_t, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !hasExited(pid) && Date() < deadline { usleep(10_000) }
        return hasExited(pid)
    }
}

/// A /proc file as text; invalid UTF-8 (binary abstract socket names of
/// other processes) is replaced rather than making the whole read fail.
public func readProcFile(_ path: String) -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return "" }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        bytes.append(contentsOf: buffer[0..<n])
    }
    return String(decoding: bytes, as: UTF8.self)
}
