// Real PROXY protocol receivers for the -P tests, each private to a scratch
// directory and a free loopback port: nginx (`listen ... proxy_protocol`, a
// log_format with $proxy_protocol_addr and $proxy_protocol_port, no daemon,
// no master process, every path inside the scratch directory) and haproxy
// (`bind ... accept-proxy`, which takes both versions, logging %ci:%cp to
// stdout in the foreground with -db). Both answer every HTTP request with
// the client they were told about, `client=<addr>:<port>`, and log it.
import Foundation
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif
import SpipedTestSupport

/// A running PROXY protocol receiver.
protocol ProxyReceiver: AnyObject {
    /// Where it listens (expects a PROXY header first).
    var address: (text: String, address: SocketAddress) { get }
    /// The `client=<addr>:<port>` lines it logged, oldest first.
    var loggedClients: [String] { get }
}

/// nginx with an http server block behind `proxy_protocol`.
final class NginxReceiver: ProxyReceiver, @unchecked Sendable {
    let address: (text: String, address: SocketAddress)
    let process: ChildProcess
    private let scratch: Scratch

    init(scratch: Scratch, kit: ExternalKit = .nginx) throws {
        self.scratch = scratch
        address = TestSockets.loopback(TestSockets.freePort())
        let d = scratch.path("nginx")
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        try """
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(d)/nginx.pid;
            error_log \(d)/error.log info;
            events { worker_connections 64; }
            http {
                client_body_temp_path \(d)/body;
                proxy_temp_path \(d)/proxy;
                fastcgi_temp_path \(d)/fastcgi;
                uwsgi_temp_path \(d)/uwsgi;
                scgi_temp_path \(d)/scgi;
                log_format pp 'client=$proxy_protocol_addr:$proxy_protocol_port real=$remote_addr:$remote_port';
                access_log \(d)/access.log pp;
                server {
                    listen \(address.text.replacingOccurrences(of: "[", with: "").replacingOccurrences(of: "]", with: "")) proxy_protocol;
                    location / { return 200 "client=$proxy_protocol_addr:$proxy_protocol_port\\n"; }
                }
            }

            """.write(toFile: d + "/nginx.conf", atomically: true, encoding: .utf8)
        process = try ChildProcess(kit.path("nginx"), ["-p", d, "-e", d + "/error.log", "-c", d + "/nginx.conf"],
                                   stderr: .file(d + "/stderr.log"))
        guard TestSockets.waitUntilListening(address.address, timeout: 10) else {
            process.killAndReap()
            throw RealServerError(description: "nginx did not listen: \(scratch.text("nginx/stderr.log")) \(scratch.text("nginx/error.log"))")
        }
    }

    var loggedClients: [String] {
        scratch.text("nginx/access.log").split(separator: "\n").compactMap { line in
            line.split(separator: " ").first.map(String.init)
        }
    }

    /// nginx's own error log (PROXY header problems are reported there).
    var errorLog: String { scratch.text("nginx/error.log") }

    deinit { process.killAndReap() }
}

/// haproxy in HTTP mode behind `accept-proxy`.
final class HAProxyReceiver: ProxyReceiver, @unchecked Sendable {
    let address: (text: String, address: SocketAddress)
    let process: ChildProcess
    private let scratch: Scratch

    init(scratch: Scratch, kit: ExternalKit = .haproxy) throws {
        self.scratch = scratch
        address = TestSockets.loopback(TestSockets.freePort())
        let config = scratch.path("haproxy.cfg")
        try """
            global
                log stdout format raw daemon
            defaults
                mode http
                log global
                timeout connect 5s
                timeout client 5s
                timeout server 5s
            frontend fe
                bind 127.0.0.1:\(address.address.port ?? 0) accept-proxy
                log-format "client=%ci:%cp"
                http-request return status 200 content-type text/plain lf-string "client=%[src]:%[src_port]\\n"

            """.write(toFile: config, atomically: true, encoding: .utf8)
        process = try ChildProcess(kit.path("haproxy"), ["-f", config, "-db"],
                                   stdout: .file(scratch.path("haproxy.log")), stderr: .file(scratch.path("haproxy.err")))
        guard TestSockets.waitUntilListening(address.address, timeout: 10) else {
            process.killAndReap()
            throw RealServerError(description: "haproxy did not listen: \(scratch.text("haproxy.err"))")
        }
    }

    var loggedClients: [String] {
        scratch.text("haproxy.log").split(separator: "\n").filter { $0.hasPrefix("client=") }.map(String.init)
    }

    /// What haproxy printed on stderr (warnings, header errors).
    var errors: String { scratch.text("haproxy.err") }

    deinit { process.killAndReap() }
}
