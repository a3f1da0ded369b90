// Restarting on a Unix source path: a socket left by a killed daemon is
// reclaimed; a regular file, a directory, or the socket of a live daemon is
// refused with the reference's "Error binding socket: Address already in
// use" and exit 1, leaving the file untouched and the live daemon serving.
// The first suite checks the rule directly; the second through processes.
import Foundation
import Testing
import SpipedDaemon
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif

@Suite struct StaleUnixSocketRule {
    let scratch = Scratch()

    /// A Unix socket file nobody listens on (bound, then closed).
    func leftoverSocket(_ name: String) -> String {
        let path = scratch.path(name)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        _ = SocketAddress(unixPath: path)!.withSockAddr { bind(fd, $0, $1) }
        close(fd)
        return path
    }

    @Test func leftoverSocketIsStaleAndReclaimed() throws {
        let path = leftoverSocket("left.sock")
        #expect(StaleUnixSocket.isStale(path: path))
        let fd = try SourceListener.listen(on: SocketAddress(unixPath: path)!)
        #expect(fd >= 0)
        #expect(!StaleUnixSocket.isStale(path: path), "a listening socket must not count as stale")
        SourceListener.close(fd)
    }

    @Test func regularFileDirectoryAndSymlinkAreNeverStale() throws {
        let file = scratch.path("file")
        try "keep me".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(!StaleUnixSocket.isStale(path: file))
        #expect(throws: ListenerError.bindFailed(SystemError(EADDRINUSE))) {
            try SourceListener.listen(on: SocketAddress(unixPath: file)!)
        }
        #expect(scratch.text("file") == "keep me")
        let dir = scratch.path("dir")
        mkdir(dir, 0o755)
        #expect(!StaleUnixSocket.isStale(path: dir))
        let link = scratch.path("link")
        symlink(leftoverSocket("target.sock"), link)
        #expect(!StaleUnixSocket.isStale(path: link), "a symlink must not be followed")
        #expect(!StaleUnixSocket.isStale(path: scratch.path("missing")))
    }

    @Test func errorTextIsTheReferences() {
        #expect(ListenerError.bindFailed(SystemError(EADDRINUSE)).description == "Error binding socket: Address already in use")
    }
}

extension ProcessTests {
    @Suite struct StaleSocketRestart {
        let scratch = Scratch()

        @Test func socketLeftBySigkillIsReclaimed() throws {
            let path = scratch.path("s.sock")
            let source = (path, SocketAddress(unixPath: path)!)
            let first = try #require(RunningDaemon(.ours, mode: "-d", source: source, target: "[127.0.0.1]:9",
                                                   key: scratch.key, scratch: scratch))
            first.process.send(SIGKILL)
            first.process.wait(timeout: 5)
            var info = stat()
            #expect(lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK, "SIGKILL left no socket behind")
            let second = RunningDaemon(.ours, mode: "-d", source: source, target: "[127.0.0.1]:9", key: scratch.key, scratch: scratch)
            #expect(second != nil, "restart on a stale socket failed: \(second?.stderr ?? "")")
            #expect(second?.process.isRunning == true)
        }

        @Test func regularFileIsRefusedAndKept() throws {
            let path = scratch.path("f.sock")
            try "precious".write(toFile: path, atomically: true, encoding: .utf8)
            let result = try Captured.run(TestEnvironment.ourSpiped, ["-d", "-F", "-s", path, "-t", "[127.0.0.1]:9", "-k", scratch.key],
                                          in: scratch, timeout: 10)
            #expect(result.status == 1)
            #expect(result.stderr == "spiped: Error binding socket: Address already in use\n")
            #expect(scratch.text("f.sock") == "precious")
        }

        @Test func directoryIsRefused() throws {
            let path = scratch.path("d.sock")
            mkdir(path, 0o755)
            let result = try Captured.run(TestEnvironment.ourSpiped, ["-d", "-F", "-s", path, "-t", "[127.0.0.1]:9", "-k", scratch.key],
                                          in: scratch, timeout: 10)
            #expect(result.status == 1 && result.stderr == "spiped: Error binding socket: Address already in use\n")
            var info = stat()
            #expect(lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR)
        }

        @Test func liveDaemonKeepsItsSocket() throws {
            let echo = TestServer(.echo)
            defer { echo.stop() }
            let middle = TestSockets.loopback(TestSockets.freePort())
            let d = try #require(RunningDaemon(.ours, mode: "-d", source: middle, target: echo.text, key: scratch.key, scratch: scratch))
            let path = scratch.path("live.sock")
            let first = try #require(RunningDaemon(.ours, mode: "-e", source: (path, SocketAddress(unixPath: path)!),
                                                   target: middle.text, key: scratch.key, scratch: scratch))
            let second = try Captured.run(TestEnvironment.ourSpiped, ["-e", "-F", "-s", path, "-t", middle.text, "-k", scratch.key],
                                          in: scratch, timeout: 10)
            #expect(second.status == 1 && second.stderr == "spiped: Error binding socket: Address already in use\n")
            let reply = try #require(TestSockets.exchange(first.source, Array("still here".utf8)))
            #expect(reply.bytes == Array("still here".utf8), "the first daemon stopped serving")
            _ = d
        }

        @Test(needsReference) func referenceRefusesStaleSocket() throws {
            // The behaviour we improve on: the C daemon cannot restart on its own leftover.
            let path = scratch.path("ref.sock")
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            _ = SocketAddress(unixPath: path)!.withSockAddr { bind(fd, $0, $1) }
            close(fd)
            let result = try Captured.run(TestEnvironment.referenceSpiped, ["-d", "-F", "-s", path, "-t", "[127.0.0.1]:9", "-k", scratch.key],
                                          in: scratch, timeout: 10)
            #expect(result.status == 1 && result.stderr == "spiped: Error binding socket: Address already in use\n")
        }
    }
}
