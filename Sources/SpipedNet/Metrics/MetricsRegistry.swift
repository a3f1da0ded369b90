// The daemon's counters for `--metrics`, and their page in the Prometheus
// text exposition format, version 0.0.4 (one family's samples together, after
// its `# HELP` and `# TYPE` lines; counters end in `_total`). Guarantees:
// - Every counter is one atomic, updated with relaxed ordering from any loop
//   thread and read by the metrics thread: no lock, nothing that can block or
//   slow the data path beyond an atomic add per event or per chunk.
// - Counts come from the connection events the engine already emits (the
//   event log hands each one here, whether or not --log-connections is on),
//   plus the accept count from the acceptor (every accept, not only logged
//   ones) and the plaintext bytes sealed and opened from the connections.
// - The page names are fixed (the list, plus the packet-authentication
//   and idle-timeout counts); `spiped_connections_active` is accepted minus closed.
import Synchronization

/// Counters of one daemon, rendered as a Prometheus text page.
public final class MetricsRegistry: Sendable {
    /// The `reason` label values of `spiped_handshake_failures_total`, in page order.
    public enum HandshakeFailureLabel: String, CaseIterable, Sendable {
        case badMAC = "bad_mac"
        case publicValueOutOfRange = "public_value_out_of_range"
        case peerNotUsingPFS = "peer_not_using_pfs"
        case timeout
        case closed
        /// Anything else (a socket error during the handshake, no randomness).
        case other

        /// The label for a logged handshake failure.
        init(_ reason: HandshakeFailureReason) {
            switch reason {
            case .badMAC: self = .badMAC
            case .publicValueOutOfRange: self = .publicValueOutOfRange
            case .peerNotUsingPFS: self = .peerNotUsingPFS
            case .timeout: self = .timeout
            case .closedByPeer: self = .closed
            case .other: self = .other
            }
        }
    }

    /// The Content-Type of the page.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private let accepted = Atomic<UInt64>(0)
    private let closed = Atomic<UInt64>(0)
    private let handshakeBadMAC = Atomic<UInt64>(0)
    private let handshakeOutOfRange = Atomic<UInt64>(0)
    private let handshakeNotPFS = Atomic<UInt64>(0)
    private let handshakeTimeout = Atomic<UInt64>(0)
    private let handshakeClosed = Atomic<UInt64>(0)
    private let handshakeOther = Atomic<UInt64>(0)
    private let targetConnectFailures = Atomic<UInt64>(0)
    private let connectionLimitReached = Atomic<UInt64>(0)
    private let packetAuthenticationFailures = Atomic<UInt64>(0)
    private let idleTimeouts = Atomic<UInt64>(0)
    private let bytesEncrypted = Atomic<UInt64>(0)
    private let bytesDecrypted = Atomic<UInt64>(0)

    /// The `version` label of `spiped_build_info`.
    public let version: String

    /// Creates a registry with every counter at 0, for a daemon reporting `version`.
    public init(version: String) {
        self.version = version
    }

    /// The counter behind one `reason` label.
    private func handshakeFailures(_ label: HandshakeFailureLabel) -> UInt64 {
        switch label {
        case .badMAC: return handshakeBadMAC.load(ordering: .relaxed)
        case .publicValueOutOfRange: return handshakeOutOfRange.load(ordering: .relaxed)
        case .peerNotUsingPFS: return handshakeNotPFS.load(ordering: .relaxed)
        case .timeout: return handshakeTimeout.load(ordering: .relaxed)
        case .closed: return handshakeClosed.load(ordering: .relaxed)
        case .other: return handshakeOther.load(ordering: .relaxed)
        }
    }

    // MARK: Feeding

    /// One connection accepted on the source socket (called for every accept).
    package func connectionAccepted() {
        accepted.add(1, ordering: .relaxed)
    }

    /// Plaintext bytes sealed into packets (`encrypted`).
    @inline(__always)
    package func addEncrypted(_ count: Int) {
        bytesEncrypted.add(UInt64(truncatingIfNeeded: count), ordering: .relaxed)
    }

    /// Plaintext bytes opened from packets (`decrypted`).
    @inline(__always)
    package func addDecrypted(_ count: Int) {
        bytesDecrypted.add(UInt64(truncatingIfNeeded: count), ordering: .relaxed)
    }

    /// Counts a connection event. `.accepted` is not counted here: the
    /// acceptor counts every accept through `connectionAccepted()`, logged or not.
    public func record(_ event: ConnectionEvent) {
        switch event {
        case .accepted:
            break
        case .targetConnectFailed:
            targetConnectFailures.add(1, ordering: .relaxed)
        case let .handshakeFailed(_, reason):
            switch HandshakeFailureLabel(reason) {
            case .badMAC: handshakeBadMAC.add(1, ordering: .relaxed)
            case .publicValueOutOfRange: handshakeOutOfRange.add(1, ordering: .relaxed)
            case .peerNotUsingPFS: handshakeNotPFS.add(1, ordering: .relaxed)
            case .timeout: handshakeTimeout.add(1, ordering: .relaxed)
            case .closed: handshakeClosed.add(1, ordering: .relaxed)
            case .other: handshakeOther.add(1, ordering: .relaxed)
            }
        case .packetAuthenticationFailed:
            packetAuthenticationFailures.add(1, ordering: .relaxed)
        case .idleTimeout:
            idleTimeouts.add(1, ordering: .relaxed)
        case .closed:
            closed.add(1, ordering: .relaxed)
        case .connectionLimitReached:
            connectionLimitReached.add(1, ordering: .relaxed)
        }
    }

    // MARK: The page

    /// The page in the text exposition format 0.0.4.
    public func render() -> String {
        let acceptedNow = accepted.load(ordering: .relaxed)
        let closedNow = closed.load(ordering: .relaxed)
        var page = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [([(String, String)], UInt64)]) {
            page += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in samples {
                page += name
                if !labels.isEmpty {
                    page += "{" + labels.map { "\($0.0)=\"\(Self.escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
                }
                page += " \(value)\n"
            }
        }
        family("spiped_connections_accepted_total", "counter",
               "Connections accepted on the source socket.", [([], acceptedNow)])
        family("spiped_connections_active", "gauge",
               "Connections accepted and not yet closed.", [([], acceptedNow &- min(closedNow, acceptedNow))])
        family("spiped_connections_closed_total", "counter",
               "Connections closed, for any reason.", [([], closedNow)])
        family("spiped_handshake_failures_total", "counter", "Handshakes that failed, by reason.",
               HandshakeFailureLabel.allCases.map { ([("reason", $0.rawValue)], handshakeFailures($0)) })
        family("spiped_target_connect_failures_total", "counter",
               "Connections dropped because the target could not be connected to.",
               [([], targetConnectFailures.load(ordering: .relaxed))])
        family("spiped_connection_limit_reached_total", "counter",
               "Times accepting paused at the -n connection limit.",
               [([], connectionLimitReached.load(ordering: .relaxed))])
        family("spiped_packet_authentication_failures_total", "counter",
               "Connections dropped because a data packet failed authentication.",
               [([], packetAuthenticationFailures.load(ordering: .relaxed))])
        family("spiped_idle_timeouts_total", "counter",
               "Connections closed by --idle-timeout.",
               [([], idleTimeouts.load(ordering: .relaxed))])
        family("spiped_bytes_total", "counter",
               "Plaintext bytes sealed into packets (encrypted) and opened from packets (decrypted).",
               [([("direction", "encrypted")], bytesEncrypted.load(ordering: .relaxed)),
                ([("direction", "decrypted")], bytesDecrypted.load(ordering: .relaxed))])
        family("spiped_build_info", "gauge", "The spiped version (value always 1).",
               [([("version", version)], 1)])
        return page
    }

    /// A label value as the format wants it: backslash, double quote and newline escaped.
    package static func escapeLabelValue(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }
}
