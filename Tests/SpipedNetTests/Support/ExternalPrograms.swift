// Programs from outside this package that some process tests drive: real
// clients and servers (OpenSSH, Redis) and the static build of our own
// executables. Each group says whether it is present; tests needing a group
// are enabled only when it is, with a message naming the packages to install.
// In CI (CI=true) nothing may be skipped: a missing group is a failure,
// reported by the suites' `...InCI` tests, as for the C reference.
import Foundation
import Testing

/// Finds programs the way a shell would, plus the sbin directories
/// (sshd lives in /usr/sbin, which is not on every user's PATH).
enum ExternalPrograms {
    static let searchPath: [String] = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").map(String.init) + ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"]
    }()

    /// Absolute path of `name`, or nil when it is not installed.
    static func find(_ name: String) -> String? {
        for directory in searchPath where !directory.isEmpty {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// A set of external programs that tests use together.
struct ExternalKit: Sendable {
    /// What it is, for messages ("OpenSSH").
    let name: String
    /// The Debian packages that provide it.
    let packages: String
    /// Program name -> absolute path, for those found.
    let found: [String: String]
    /// Programs not found.
    let missing: [String]

    init(name: String, packages: String, programs: [String]) {
        self.name = name
        self.packages = packages
        var found: [String: String] = [:]
        var missing: [String] = []
        for program in programs {
            if let path = ExternalPrograms.find(program) { found[program] = path } else { missing.append(program) }
        }
        self.found = found
        self.missing = missing
    }

    /// Whether every program is installed.
    var isAvailable: Bool { missing.isEmpty }

    /// Absolute path of one of the kit's programs (the bare name if missing).
    func path(_ program: String) -> String { found[program] ?? program }

    /// Why tests using the kit are skipped.
    var skipMessage: Comment {
        Comment(rawValue: "\(name) is not installed (missing \(missing.joined(separator: ", ")); "
                + "apt-get install \(packages)); its end-to-end tests skipped")
    }

    /// Enables a test only when the kit is installed (in CI its absence is a
    /// failure reported separately, so the test itself may still skip).
    var required: ConditionTrait { .enabled(if: isAvailable, skipMessage) }

    /// OpenSSH server and client, for ssh/scp through spipe.
    static let openSSH = ExternalKit(name: "OpenSSH", packages: "openssh-server openssh-client",
                                     programs: ["sshd", "ssh", "scp", "ssh-keygen"])
    /// Redis server and its command-line tools.
    static let redis = ExternalKit(name: "Redis", packages: "redis-server redis-tools",
                                   programs: ["redis-server", "redis-cli", "redis-benchmark"])
    /// nginx, a PROXY protocol receiver (`listen ... proxy_protocol`).
    static let nginx = ExternalKit(name: "nginx", packages: "nginx", programs: ["nginx"])
    /// HAProxy, a PROXY protocol receiver (`bind ... accept-proxy`).
    static let haproxy = ExternalKit(name: "HAProxy", packages: "haproxy", programs: ["haproxy"])
    /// The Prometheus server and promtool, for the metrics page.
    static let prometheus = ExternalKit(name: "Prometheus", packages: "prometheus", programs: ["prometheus", "promtool"])
    /// systemd's command-line socket activator.
    static let socketActivate = ExternalKit(name: "systemd-socket-activate", packages: "systemd",
                                            programs: ["systemd-socket-activate"])
    /// The operator kits (PROXY receivers, Prometheus, socket activation).
    static let operatorKits: [ExternalKit] = [.nginx, .haproxy, .prometheus, .socketActivate]
}

/// Where .ci/run put the static (`--static-swift-stdlib`) build of spiped and spipe.
enum StaticBuild {
    /// The environment variable naming the directory that holds both executables.
    static let variable = "SPIPED_STATIC_BIN_DIR"

    /// The directory, when set and holding both executables.
    static let directory: String? = {
        guard let directory = ProcessInfo.processInfo.environment[variable], !directory.isEmpty else { return nil }
        let fm = FileManager.default
        guard fm.isExecutableFile(atPath: directory + "/spiped"), fm.isExecutableFile(atPath: directory + "/spipe") else {
            return nil
        }
        return directory
    }()

    /// Why the static-binary tests are skipped.
    static let skipMessage: Comment = Comment(rawValue:
        "\(variable) does not name a directory with the static spiped and spipe (.ci/run builds them: "
        + "swift build -c release --static-swift-stdlib ...); static-binary tests skipped")

    /// Enables a test only when the static build is there.
    static let required = ConditionTrait.enabled(if: directory != nil, skipMessage)
}
