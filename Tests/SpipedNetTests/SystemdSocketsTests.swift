// Reading systemd's socket hand-over (sd_listen_fds(3)) without a process:
// LISTEN_PID must be ours, LISTEN_FDS counts descriptors from 3, and
// LISTEN_FDNAMES names them; `-s systemd` needs exactly one, `-s
// systemd:NAME` exactly one of that name. Every other case is an error.
import Testing
import SpipedDaemon
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif

@Suite struct SystemdSocketsTests {
    let pid: pid_t = 4242

    func handOver(_ fds: String?, _ names: String? = nil, pid listenPID: String? = "4242") throws(SystemdSocketError) -> SystemdSockets.HandOver {
        try SystemdSockets.handOver(listenPID: listenPID, listenFDs: fds, listenFDNames: names, pid: pid)
    }

    @Test func oneSocketIsTakenWithOrWithoutItsName() throws {
        let one = try handOver("1", "web")
        #expect(one.descriptors == [3] && one.names == ["web"])
        #expect(try SystemdSockets.choose(nil, from: one) == 3)
        #expect(try SystemdSockets.choose("web", from: one) == 3)
        #expect(throws: SystemdSocketError.nameNotFound("ssh", names: ["web"])) { try SystemdSockets.choose("ssh", from: one) }
    }

    @Test func namesPickAmongSeveral() throws {
        let three = try handOver("3", "a:b:c")
        #expect(three.descriptors == [3, 4, 5])
        #expect(try SystemdSockets.choose("b", from: three) == 4)
        #expect(throws: SystemdSocketError.ambiguous(names: ["a", "b", "c"])) { try SystemdSockets.choose(nil, from: three) }
        let twins = try handOver("2", "x:x")
        #expect(throws: SystemdSocketError.nameAmbiguous("x")) { try SystemdSockets.choose("x", from: twins) }
    }

    @Test func unnamedSocketsAreUnknown() throws {
        #expect(try handOver("2").names == ["unknown", "unknown"])
        #expect(try handOver("2", "only-one").names == ["unknown", "unknown"])
    }

    @Test func foreignMissingOrBrokenHandOversAreRefused() {
        #expect(throws: SystemdSocketError.notActivated) { try handOver(nil) }
        #expect(throws: SystemdSocketError.notActivated) { try handOver("1", pid: nil) }
        #expect(throws: SystemdSocketError.notActivated) { try handOver("1", pid: "1") }
        #expect(throws: SystemdSocketError.noSockets) { try handOver("0") }
        #expect(throws: SystemdSocketError.malformed(variable: "LISTEN_FDS", value: "x")) { try handOver("x") }
        #expect(throws: SystemdSocketError.malformed(variable: "LISTEN_PID", value: "me")) { try handOver("1", pid: "me") }
        #expect(throws: SystemdSocketError.malformed(variable: "LISTEN_FDS", value: "-1")) { try handOver("-1") }
    }

    @Test func messagesSayWhatToDo() {
        #expect(SystemdSocketError.ambiguous(names: ["a", "b"]).description.contains("-s systemd:NAME"))
        #expect(SystemdSocketError.notActivated.description.contains("LISTEN_FDS"))
    }
}
