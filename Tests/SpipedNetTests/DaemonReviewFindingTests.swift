// The code review's daemon findings, one test (or two) each (issue #17 part 3):
// 1. reclaiming a stale Unix socket must not delete a socket another of our
//    daemons has just bound (lock file held across check, unlink, bind and
//    listen), also when two daemons start on one leftover path at once;
// 2. the reclaim probe must not hang on a live daemon whose backlog is full;
// 3. the pidfile is never written through a symlink or into a non-regular
//    file (clear error, exit 1, the link's target untouched, no hang on a FIFO);
// 4. started with 0-2 closed, the daemon puts /dev/null there, so no socket
//    takes fd 2 and no warning goes into a connection;
// 5. `-u <number>` without a passwd entry is refused unless a group is
//    given (root would keep gid 0 and its groups); a setgroups EPERM warns.
import Foundation
import Testing
import SpipedDaemon
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif
import SpipedTestSupport

@Suite struct DaemonReviewFindings {
    let scratch = Scratch()

    /// A Unix socket bound at `path`, listening or not (the caller closes it).
    func boundSocket(_ path: String, listening: Bool, backlog: Int32 = 16) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        _ = SocketAddress(unixPath: path)!.withSockAddr { bind(fd, $0, $1) }
        if listening { _ = listen(fd, backlog) }
        return fd
    }

    func inode(_ path: String) -> UInt64? {
        var info = stat()
        return lstat(path, &info) == 0 ? UInt64(info.st_ino) : nil
    }

    @Test func finding1SocketBetweenAnotherDaemonsBindAndListenIsNotReclaimed() throws {
        let path = scratch.path("racing.sock")
        // Another daemon of ours, caught between bind and listen: it holds the lock.
        let lock = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        try #require(lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0)
        defer { close(lock) }
        let theirs = boundSocket(path, listening: false)
        defer { close(theirs) }
        let before = try #require(inode(path))
        #expect(throws: ListenerError.bindFailed(SystemError(EADDRINUSE))) {
            let fd = try SourceListener.listen(on: SocketAddress(unixPath: path)!)
            SourceListener.close(fd)
        }
        #expect(inode(path) == before, "the other daemon's socket was unlinked")
    }

    @Test func finding2ProbeOfALiveSocketWithAFullBacklogDoesNotHang() throws {
        let path = scratch.path("busy.sock")
        let listener = boundSocket(path, listening: true, backlog: 0)
        var fillers: [Int32] = []
        defer { for fd in fillers { close(fd) } }
        for _ in 0..<8 {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            fillers.append(fd)
            if SocketAddress(unixPath: path)!.withSockAddr({ connect(fd, $0, $1) }) != 0 && errno == EAGAIN { break }
        }
        let answered = DispatchSemaphore(value: 0)
        let verdict = LockedFlag()
        let probe = Thread.detachedJoinable {
            verdict.set(StaleUnixSocket.isStale(path: path))
            answered.signal()
        }
        let inTime = answered.wait(timeout: .now() + 3) == .success
        close(listener)   // frees a probe stuck in connect(2)
        probe.join()
        #expect(inTime, "the stale-socket probe hung on a live socket with a full backlog")
        #expect(!verdict.value, "a live socket was judged stale")
    }

    /// Runs our spiped in the background (no -F) with `-p pidfile`.
    func startWithPidfile(_ pidfile: String) throws -> Captured {
        try Captured.run(TestEnvironment.ourSpiped,
                         ["-d", "-s", TestSockets.loopback(TestSockets.freePort()).text, "-t", "[127.0.0.1]:9",
                          "-k", scratch.key, "-p", pidfile], in: scratch, timeout: 5)
    }

    @Test func finding3PidfileSymlinkAndFifoAreRefused() throws {
        let victim = scratch.path("victim")
        try "keep me".write(toFile: victim, atomically: true, encoding: .utf8)
        let link = scratch.path("link.pid")
        symlink(victim, link)
        let viaLink = try startWithPidfile(link)
        #expect(viaLink.status == 1, "started with a symlinked pidfile")
        #expect(viaLink.stderr.contains("spiped: Refusing pidfile \(link): it is a symbolic link"), "stderr: \(viaLink.stderr)")
        #expect(scratch.text("victim") == "keep me", "written through the symlink")
        if let pid = Int32(scratch.text("victim")) { kill(pid, SIGKILL) }   // a daemon that followed the link

        let fifo = scratch.path("fifo.pid")
        mkfifo(fifo, 0o644)
        let viaFifo = try startWithPidfile(fifo)
        #expect(viaFifo.status == 1, "a FIFO pidfile: status \(String(describing: viaFifo.status))")
        #expect(viaFifo.stderr.contains("spiped: Refusing pidfile \(fifo): not a regular file"), "stderr: \(viaFifo.stderr)")
        if viaFifo.status == nil {
            // A daemon stuck opening the FIFO: let it through, then end it.
            let reader = open(fifo, O_RDONLY | O_NONBLOCK)
            usleep(200_000)
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = read(reader, &buffer, buffer.count)
            if n > 0, let pid = Int32(String(decoding: buffer[0..<n], as: UTF8.self)) { kill(pid, SIGKILL) }
            close(reader)
        }

        // A regular file still works (and is replaced).
        let plain = scratch.path("plain.pid")
        try "stale text that is longer".write(toFile: plain, atomically: true, encoding: .utf8)
        let ok = try startWithPidfile(plain)
        #expect(ok.status == 0, "stderr: \(ok.stderr)")
        let pid = Int32(scratch.text("plain.pid"))
        #expect(pid != nil, "pidfile holds '\(scratch.text("plain.pid"))'")
        if let pid { kill(pid, SIGTERM) }
    }
}

extension ProcessTests {
    @Suite struct ReviewFindingProcesses {
        let scratch = Scratch()

        @Test func finding1TwoDaemonsStartingOnOneLeftoverPathLeaveOneServing() throws {
            for round in 0..<6 {
                let path = scratch.path("both-\(round).sock")
                let leftover = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                _ = SocketAddress(unixPath: path)!.withSockAddr { bind(leftover, $0, $1) }
                close(leftover)
                let arguments = ["-d", "-F", "-s", path, "-t", "[127.0.0.1]:9", "-k", scratch.key]
                let first = try ChildProcess(TestEnvironment.ourSpiped, arguments, stderr: .file(scratch.path("a-\(round).err")))
                let second = try ChildProcess(TestEnvironment.ourSpiped, arguments, stderr: .file(scratch.path("b-\(round).err")))
                #expect(TestSockets.waitUntilListening(SocketAddress(unixPath: path)!, timeout: 10))
                usleep(200_000)
                let running = [first, second].filter(\.isRunning)
                #expect(running.count == 1, "round \(round): \(running.count) daemons running on one path")
                let loser = first.isRunning ? "b" : "a"
                #expect(scratch.text("\(loser)-\(round).err").contains("Address already in use"),
                        "round \(round): \(scratch.text("\(loser)-\(round).err"))")
                let fd = TestSockets.connect(SocketAddress(unixPath: path)!, timeout: 2)
                #expect(fd >= 0, "round \(round): the path does not lead to the running daemon")
                if fd >= 0 { close(fd) }
                first.killAndReap()
                second.killAndReap()
            }
        }

        @Test func finding1DaemonLeavesASocketInAnotherDaemonsBindListenWindow() throws {
            let path = scratch.path("window.sock")
            // Another daemon of ours between bind and listen: lock held, socket bound, not listening.
            let lock = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            try #require(lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0)
            defer { close(lock) }
            let theirs = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            _ = SocketAddress(unixPath: path)!.withSockAddr { bind(theirs, $0, $1) }
            defer { close(theirs) }
            var before = stat()
            try #require(lstat(path, &before) == 0)
            let run = try Captured.run(TestEnvironment.ourSpiped, ["-d", "-F", "-s", path, "-t", "[127.0.0.1]:9", "-k", scratch.key],
                                       in: scratch, timeout: 2)
            var after = stat()
            #expect(lstat(path, &after) == 0 && after.st_ino == before.st_ino, "the other daemon's socket was replaced")
            #expect(run.status == 1, "status \(String(describing: run.status))")
            #expect(run.stderr.contains("spiped: Error binding socket: Address already in use"), "stderr: \(run.stderr)")
        }

        @Test func finding2DaemonOnALiveSocketWithAFullBacklogExitsPromptly() throws {
            let path = scratch.path("full.sock")
            let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            _ = SocketAddress(unixPath: path)!.withSockAddr { bind(listener, $0, $1) }
            _ = listen(listener, 0)
            defer { close(listener) }
            var fillers: [Int32] = []
            defer { for fd in fillers { close(fd) } }
            for _ in 0..<8 {
                let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
                fillers.append(fd)
                if SocketAddress(unixPath: path)!.withSockAddr({ connect(fd, $0, $1) }) != 0 && errno == EAGAIN { break }
            }
            let started = Date()
            let run = try Captured.run(TestEnvironment.ourSpiped, ["-d", "-F", "-s", path, "-t", "[127.0.0.1]:9", "-k", scratch.key],
                                       in: scratch, timeout: 4)
            #expect(run.status == 1, "status \(String(describing: run.status)) after \(Date().timeIntervalSince(started)) s")
            #expect(run.stderr.contains("spiped: Error binding socket: Address already in use"), "stderr: \(run.stderr)")
        }

        @Test func finding4ClosedStandardDescriptorsGetDevNull() throws {
            let sink = TestServer(.sink)
            defer { sink.stop() }
            let source = TestSockets.loopback(TestSockets.freePort())
            let daemon = try ChildProcess(TestEnvironment.ourSpiped,
                                          ["-d", "-F", "--log-connections", "-s", source.text, "-t", sink.text, "-k", scratch.key],
                                          stdin: .closed, stdout: .closed, stderr: .closed)
            try #require(TestSockets.waitUntilListening(source.address, timeout: 10))
            for fd in 0...2 {
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(daemon.pid)/fd/\(fd)")) ?? "closed"
                #expect(target == "/dev/null", "fd \(fd) of the daemon is \(target)")
            }
            // Connection log lines must not reach a client: only the 32-byte nonce arrives.
            for _ in 0..<3 {
                let client = TestSockets.connect(source.address)
                try #require(client >= 0)
                TestSockets.setTimeouts(client, 0.5)
                let received = TestSockets.readAll(client, limit: 4096).bytes
                #expect(received.count == 32, "the client got \(received.count) bytes before sending anything")
                close(client)
            }
            #expect(sink.bytesReceived == 0)
            #expect(daemon.isRunning)
        }

        static let noEntryUID: UInt32? = (54321..<54400).first { uid in
            var entry = passwd(), result: UnsafeMutablePointer<passwd>?
            var buffer = [CChar](repeating: 0, count: 16384)
            return getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0 && result == nil
        }

        @Test(.enabled(if: geteuid() == 0, "needs root: -u only switches users as root"))
        func finding5NumericUserWithoutEntryNeedsAGroup() throws {
            let uid = try #require(Self.noEntryUID)
            let source = TestSockets.loopback(TestSockets.freePort())
            let bare = try Captured.run(TestEnvironment.ourSpiped,
                                        ["-d", "-F", "-s", source.text, "-t", "[127.0.0.1]:9", "-k", scratch.key, "-u", "\(uid)"],
                                        in: scratch, timeout: 5)
            #expect(bare.status == 1, "-u \(uid) without a passwd entry ran (status \(String(describing: bare.status)))")
            #expect(bare.stderr.contains("spiped: No such user: \(uid) (a numeric user without a passwd entry needs a group"),
                    "stderr: \(bare.stderr)")
            // With a group it runs as exactly that uid and gid, with no other groups.
            let daemon = try ChildProcess(TestEnvironment.ourSpiped,
                                          ["-d", "-F", "-s", source.text, "-t", "[127.0.0.1]:9", "-k", scratch.key,
                                           "-u", "\(uid):\(uid)"], stderr: .file(scratch.path("u.err")))
            try #require(TestSockets.waitUntilListening(source.address, timeout: 10), "stderr: \(scratch.text("u.err"))")
            let status = readProcFile("/proc/\(daemon.pid)/status")
            let field = { (name: String) in
                status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                    .map { $0.dropFirst(name.count + 1).split(whereSeparator: \.isWhitespace).map(String.init) } ?? []
            }
            #expect(field("Uid") == Array(repeating: "\(uid)", count: 4))
            #expect(field("Gid") == Array(repeating: "\(uid)", count: 4))
            #expect(field("Groups") == ["\(uid)"])
        }

        @Test(.enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
                       "needs root and setpriv(1) to start the daemon unprivileged"))
        func finding5SetgroupsRefusedIsAWarning() throws {
            let uid = try #require(Self.noEntryUID)
            let source = TestSockets.loopback(TestSockets.freePort())
            // Already unprivileged: setgroups fails with EPERM, setgid/setuid to ourselves succeed.
            let daemon = try ChildProcess("/usr/bin/setpriv",
                                          ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", TestEnvironment.ourSpiped,
                                           "-d", "-F", "-s", source.text, "-t", "[127.0.0.1]:9", "-k", "-", "-u", "\(uid):\(uid)"],
                                          stdin: .file(scratch.key), stderr: .file(scratch.path("eperm.err")))
            try #require(TestSockets.waitUntilListening(source.address, timeout: 10), "stderr: \(scratch.text("eperm.err"))")
            #expect(scratch.text("eperm.err").contains("spiped: WARNING: could not set supplementary groups (Operation not permitted)"),
                    "stderr: \(scratch.text("eperm.err"))")
            #expect(daemon.isRunning)
        }
    }
}
