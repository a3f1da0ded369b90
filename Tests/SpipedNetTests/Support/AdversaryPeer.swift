// A misbehaving spiped peer for the adversarial tests. It holds the real key
// (or a wrong one) and builds every protocol message itself from the public
// crypto API (PBKDF2, HMAC-SHA256, AES-256-CTR, group-14 DH), so a test can
// send an honest handshake, one with a chosen y or a flipped byte, or a data
// packet with a valid MAC but any length field, packet number or direction
// key. It plays the client (against `spiped -d`) or, behind an
// `AdversaryListener`, the server (for `spiped -e` and `spipe`).
//
// Guarantees: every socket read has a timeout (a stuck daemon fails a test,
// never hangs it); `awaitDrop` tells an orderly EOF from a reset and from a
// connection that is still open when the bound runs out; sockets it accepts
// are close-on-exec from the start (accept4), so daemons that parallel tests
// spawn never inherit them. Test code: its keys are plain arrays, not wiped.
import Foundation
import SpipedCrypto
import SpipedTestSupport
import SpipedNet
import SpipedProtocol
#if canImport(Glibc)
import Glibc
#endif

/// Special 256-byte y values (big-endian), relative to the group-14 prime p.
enum PeerValue {
    static let byteCount = DiffieHellmanGroup14.publicValueByteCount
    static let zero = [UInt8](repeating: 0, count: byteCount)
    static let one = [UInt8](repeating: 0, count: byteCount - 1) + [1]
    static let prime = DiffieHellmanGroup14.primeBytes
    static let allOnes = [UInt8](repeating: 0xff, count: byteCount)
    /// p - 1 (p is odd, so only the last byte changes).
    static let primeMinusOne: [UInt8] = {
        var bytes = DiffieHellmanGroup14.primeBytes
        bytes[bytes.count - 1] -= 1
        return bytes
    }()
}

/// How a connection ended, as the attacker saw it.
struct DropReport: CustomStringConvertible {
    enum Outcome: String { case eof, reset, stillOpen }
    let outcome: Outcome
    /// Bytes the peer sent before it dropped the connection.
    let bytes: [UInt8]
    let seconds: Double
    var dropped: Bool { outcome != .stillOpen }
    var description: String { "\(outcome) after \(String(format: "%.2f", seconds)) s, \(bytes.count) bytes" }
}

/// One side of a spiped connection that does exactly what the test says.
final class AdversaryPeer: @unchecked Sendable {
    enum Role { case client, server }
    /// Which direction's session keys seal a packet.
    enum Direction { case own, peers }

    let fd: Int32
    let role: Role
    private let k: [UInt8]
    let ownNonce: [UInt8]
    private(set) var peerNonce: [UInt8] = []
    /// dhmac_C || dhmac_S.
    private var dk1: [UInt8] = []
    /// E_C || H_C || E_S || H_S.
    private var dk2: [UInt8] = []
    private var privateKey: DiffieHellmanGroup14.PrivateKey
    private var packetsSent: UInt64 = 0
    private var receiving: PacketOpener?
    /// Set once `reset()` closed the descriptor (no I/O may follow).
    private var closed = false

    /// Takes over `fd` (a connected blocking socket) with the key in `keyFile`.
    init?(fd: Int32, role: Role, keyFile: String) {
        guard let key = try? SpipedKey(contentsOfFile: keyFile) else { return nil }
        var rng = SystemRandom()
        guard let nonce = try? rng.bytes(count: 32),
              let x = try? DiffieHellmanGroup14.PrivateKey(using: &rng) else { return nil }
        self.fd = fd
        self.role = role
        k = key.withUnsafeKeyBytes { Array($0) }
        ownNonce = nonce
        privateKey = x
        TestSockets.setTimeouts(fd, 10)
    }

    /// Connects to a `-d` daemon as the protocol client.
    static func connect(to address: SocketAddress, keyFile: String) -> AdversaryPeer? {
        let fd = TestSockets.connect(address, timeout: 10)
        guard fd >= 0 else { return nil }
        guard let peer = AdversaryPeer(fd: fd, role: .client, keyFile: keyFile) else { close(fd); return nil }
        return peer
    }

    deinit { if !closed { close(fd) } }

    // MARK: Raw I/O

    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool { TestSockets.writeAll(fd, bytes) }

    /// shutdown(SHUT_WR): "then close", while still seeing how the peer reacts.
    func halfClose() { shutdown(fd, Int32(SHUT_WR)) }

    func read(_ count: Int) -> [UInt8]? { TestSockets.readExactly(fd, count) }

    /// Reads until the peer drops the connection or `timeout` runs out.
    func awaitDrop(timeout: Double) -> DropReport { AdversaryPeer.awaitDrop(fd, timeout: timeout) }

    /// Reads `fd` until its peer drops the connection or `timeout` runs out.
    static func awaitDrop(_ fd: Int32, timeout: Double) -> DropReport {
        let started = Date()
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let left = timeout - Date().timeIntervalSince(started)
            if left <= 0 { return DropReport(outcome: .stillOpen, bytes: bytes, seconds: timeout) }
            TestSockets.setTimeouts(fd, max(left, 0.01))
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { bytes += buffer[0..<n]; continue }
            let code = errno
            if n < 0 && code == EINTR { continue }
            let seconds = Date().timeIntervalSince(started)
            if n == 0 { return DropReport(outcome: .eof, bytes: bytes, seconds: seconds) }
            if code == EAGAIN || code == EWOULDBLOCK { continue }   // the loop re-checks the deadline
            return DropReport(outcome: .reset, bytes: bytes, seconds: seconds)
        }
    }

    /// Sends `bytes` one at a time, `interval` seconds apart (a slow-loris
    /// peer that keeps making progress), until the peer drops the connection
    /// or `timeout` runs out; what the peer sent meanwhile is collected.
    func trickle(_ bytes: [UInt8], interval: Double, timeout: Double) -> DropReport {
        let started = Date()
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var next = 0
        while Date().timeIntervalSince(started) < timeout {
            if next < bytes.count {
                let byte = bytes[next]
                next += 1
                if !send([byte]) { return DropReport(outcome: .reset, bytes: received, seconds: Date().timeIntervalSince(started)) }
            }
            usleep(UInt32(interval * 1e6))
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if n > 0 { received += buffer[0..<n]; continue }
                let code = errno
                if n < 0 && (code == EAGAIN || code == EWOULDBLOCK || code == EINTR) { break }
                return DropReport(outcome: n == 0 ? .eof : .reset, bytes: received, seconds: Date().timeIntervalSince(started))
            }
        }
        return DropReport(outcome: .stillOpen, bytes: received, seconds: timeout)
    }

    /// Closes with SO_LINGER 0: the peer gets a reset instead of an EOF.
    func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(fd)
        closed = true
    }

    // MARK: Handshake pieces

    /// Sends this side's nonce.
    @discardableResult
    func sendNonce() -> Bool { send(ownNonce) }

    /// Reads the peer's nonce and derives dk1 = PBKDF2(K, nonce_C || nonce_S, 1, 64).
    func receiveNonce() -> Bool {
        guard let nonce = read(32) else { return false }
        peerNonce = nonce
        let salt = role == .client ? ownNonce + nonce : nonce + ownNonce
        dk1 = PBKDF2.hmacSHA256(password: k, salt: salt, iterations: 1, derivedKeyByteCount: 64)
        return true
    }

    /// Both nonces: send ours, read theirs.
    func exchangeNonces() -> Bool { sendNonce() && receiveNonce() }

    /// This side's honest y = 2^(2^258+x) mod p.
    lazy var honestY: [UInt8] = privateKey.publicValue()

    /// y || HMAC(dhmac_own, y) for any y (call after the nonces).
    func message(y: [UInt8]) -> [UInt8] {
        let ownKey = role == .client ? dk1[0..<32] : dk1[32..<64]
        return y + HMACSHA256.authenticationCode(for: y, key: ownKey)
    }

    /// Reads the peer's y || h and checks h; returns y, or nil.
    func receiveMessage() -> [UInt8]? {
        guard let message = read(288) else { return nil }
        let y = Array(message[0..<256])
        let peerKey = role == .client ? dk1[32..<64] : dk1[0..<32]
        guard HMACSHA256.authenticationCode(for: y, key: peerKey) == Array(message[256...]) else { return nil }
        return y
    }

    /// dk2 from the nonces and y_SC (1 when either y is 1, else y_peer^x).
    func deriveSession(ownY: [UInt8], peerY: [UInt8]) -> Bool {
        let shared: [UInt8]
        if ownY == PeerValue.one || peerY == PeerValue.one {
            shared = PeerValue.one
        } else {
            guard let value = try? privateKey.sharedValue(peerPublicValue: peerY) else { return false }
            shared = value
        }
        let nonces = role == .client ? ownNonce + peerNonce : peerNonce + ownNonce
        dk2 = PBKDF2.hmacSHA256(password: k, salt: nonces + shared, iterations: 1, derivedKeyByteCount: 128)
        let receive = role == .client ? 64 : 0
        receiving = PacketOpener(encryptionKey: dk2[receive..<receive + 32], macKey: dk2[receive + 32..<receive + 64])
        return true
    }

    /// A complete, honest handshake for this role; `ownY` lets a test send
    /// y = 1 (fast mode) with a valid MAC.
    func handshake(ownY: [UInt8]? = nil) -> Bool {
        let y = ownY ?? honestY
        guard exchangeNonces() else { return false }
        switch role {
        case .client:
            guard send(message(y: y)), let peerY = receiveMessage() else { return false }
            return deriveSession(ownY: y, peerY: peerY)
        case .server:
            guard let peerY = receiveMessage(), send(message(y: y)) else { return false }
            return deriveSession(ownY: y, peerY: peerY)
        }
    }

    /// The server's part of a handshake up to its own message: nonces, then
    /// the client's y || h (whatever it is). False if the client misbehaved.
    func serverPrelude() -> Bool {
        exchangeNonces() && receiveMessage() != nil
    }

    // MARK: Packets

    /// A packet with a valid MAC: `payload` padded to 1024 bytes, then
    /// be32(`lengthField`, default the payload's length), encrypted and
    /// MACed with `direction`'s keys as packet `number` (default: the next).
    func packet(_ payload: [UInt8], lengthField: UInt32? = nil, number: UInt64? = nil,
                direction: Direction = .own) -> [UInt8] {
        let sendsFirstKeys = (role == .client) == (direction == .own)
        let offset = sendsFirstKeys ? 0 : 64
        let n = number ?? packetsSent
        if number == nil { packetsSent += 1 }
        var padded = Array(payload.prefix(1024)) + [UInt8](repeating: 0, count: 1024 - min(payload.count, 1024))
        let length = lengthField ?? UInt32(payload.count)
        padded += withUnsafeBytes(of: length.bigEndian) { Array($0) }
        var ctr = AES256CTR(cipher: AES256(key: dk2[offset..<offset + 32]), nonce: n)
        ctr.apply(&padded)
        let counter = withUnsafeBytes(of: n.bigEndian) { Array($0) }
        let mac = HMACSHA256.authenticationCode(for: padded + counter, key: dk2[offset + 32..<offset + 64])
        return padded + mac
    }

    /// Opens packets from the peer (after the handshake); nil on a bad packet.
    func openReceived(_ bytes: [UInt8]) -> [UInt8]? {
        guard let receiving else { return nil }
        return try? receiving.open(bytes)
    }

    /// Reads and opens exactly `count` plaintext bytes, or nil.
    func receivePlaintext(_ count: Int) -> [UInt8]? {
        var plain: [UInt8] = []
        while plain.count < count {
            guard let packet = read(SpipedSession.packetByteCount), let opened = openReceived(packet) else { return nil }
            plain += opened
        }
        return plain
    }

    /// After an honest server handshake: echoes every byte back, sealed,
    /// half-closes at the end of the input, then waits for the peer's close.
    func serveEcho() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            guard let plain = openReceived(Array(buffer[0..<n])) else { return }
            var offset = 0
            while offset < plain.count {
                let chunk = Array(plain[offset..<min(offset + 1024, plain.count)])
                guard send(packet(chunk)) else { return }
                offset += chunk.count
            }
        }
        halfClose()
    }
}

/// A listener for `spiped -e` / `spipe` to connect to: connection
/// number i is handed, as a server-role `AdversaryPeer`, to `script(peer, i)`
/// on its own thread; each script's result is kept for the test.
final class AdversaryListener: @unchecked Sendable {
    let address: SocketAddress
    let text: String
    private let listener: Int32
    private let lock = NSLock()
    private var results: [Int: DropReport?] = [:]
    private var accepted = 0
    private var acceptThread: JoinableThread?

    /// Listens on the Unix socket `unixPath` (unique per test directory, so
    /// tests running in parallel cannot race for a port). `keyFile(i)` is the
    /// key connection i uses; `script` returns what it saw of the end of the
    /// connection (nil: not applicable).
    init(unixPath: String, keyFile: @escaping @Sendable (Int) -> String,
         script: @escaping @Sendable (AdversaryPeer, Int) -> DropReport?) {
        text = unixPath
        address = SocketAddress(unixPath: unixPath)!
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        _ = address.withSockAddr { bind(listener, $0, $1) }
        _ = listen(listener, 128)
        acceptThread = JoinableThread { [self] in
            while true {
                // accept4 with SOCK_CLOEXEC: a daemon spawned meanwhile by a
                // parallel test must not inherit this connection.
                let fd = AdversaryListener.acceptCloseOnExec(listener)
                if fd < 0 {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    return
                }
                let index = lock.withLock { accepted += 1; return accepted - 1 }
                _ = JoinableThread { [self] in
                    guard let peer = AdversaryPeer(fd: fd, role: .server, keyFile: keyFile(index)) else { close(fd); return }
                    let report = script(peer, index)
                    lock.withLock { results[index] = .some(report) }
                }
            }
        }
    }

    private typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32
    /// glibc hides accept4 from Swift's Glibc module (it needs _GNU_SOURCE).
    private static let accept4: Accept4? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "accept4")
        .map { unsafeBitCast($0, to: Accept4.self) }

    private static func acceptCloseOnExec(_ listener: Int32) -> Int32 {
        if let accept4 { return accept4(listener, nil, nil, Int32(SOCK_CLOEXEC.rawValue)) }
        let fd = accept(listener, nil, nil)
        if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return fd
    }

    /// Connection `index`'s script result once it finished (waits up to `timeout`);
    /// `.none` if it did not finish (or never connected).
    func result(_ index: Int, timeout: Double = 15) -> DropReport?? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let done = lock.withLock({ results[index] }) { return .some(done) }
            usleep(10_000)
        }
        return .none
    }

    /// Connections accepted so far.
    var connections: Int { lock.withLock { accepted } }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        acceptThread?.join()
        acceptThread = nil
        unlink(text)
    }

    deinit { if acceptThread != nil { stop() } }
}
