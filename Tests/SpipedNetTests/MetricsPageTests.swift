// The metrics page and its HTTP handling without a process: the exact names,
// types and label values the issue lists, connection events feeding the
// counters (handshake reasons to labels, closed/accepted to the gauge), label
// escaping, and the request classification (only GET /metrics gets the page;
// other requests 404, a non-HTTP line 400, an oversized head 431).
import Testing
import SpipedDaemon
import SpipedNet

@Suite struct MetricsPageTests {
    /// The value of the sample line `name{labels}` (exact text before the value).
    static func value(_ page: String, _ series: String) -> String? {
        for line in page.split(separator: "\n") where line.hasPrefix(series + " ") {
            return String(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test func freshPageHasEveryFamilyAtZero() {
        let page = MetricsRegistry(version: spipedVersion).render()
        for (name, type) in [("spiped_connections_accepted_total", "counter"), ("spiped_connections_active", "gauge"),
                             ("spiped_connections_closed_total", "counter"), ("spiped_handshake_failures_total", "counter"),
                             ("spiped_target_connect_failures_total", "counter"),
                             ("spiped_connection_limit_reached_total", "counter"), ("spiped_bytes_total", "counter"),
                             ("spiped_build_info", "gauge")] {
            #expect(page.contains("# HELP \(name) "), "\(name) has no HELP")
            #expect(page.contains("# TYPE \(name) \(type)\n"), "\(name) is not a \(type)")
        }
        for reason in ["bad_mac", "public_value_out_of_range", "peer_not_using_pfs", "timeout", "closed"] {
            #expect(Self.value(page, "spiped_handshake_failures_total{reason=\"\(reason)\"}") == "0")
        }
        #expect(Self.value(page, "spiped_bytes_total{direction=\"encrypted\"}") == "0")
        #expect(Self.value(page, "spiped_bytes_total{direction=\"decrypted\"}") == "0")
        #expect(Self.value(page, "spiped_build_info{version=\"\(spipedVersion)\"}") == "1")
        #expect(page.hasSuffix("\n"))
    }

    @Test func eventsFeedTheCounters() {
        let registry = MetricsRegistry(version: spipedVersion)
        let log = EventLog(programName: "spiped", logsConnections: false, metrics: registry)
        for _ in 0..<3 { registry.connectionAccepted() }
        log.connection(.accepted(id: 1, peer: "x"))   // counted by the acceptor, not twice here
        log.connection(.handshakeFailed(id: 1, reason: .badMAC))
        log.connection(.handshakeFailed(id: 2, reason: .closedByPeer))
        log.connection(.handshakeFailed(id: 3, reason: .timeout))
        log.connection(.handshakeFailed(id: 3, reason: .other("socket error")))
        log.connection(.targetConnectFailed(id: 4, target: "t", reason: "refused"))
        log.connection(.connectionLimitReached(limit: 2))
        log.connection(.idleTimeout(id: 5, seconds: 1))
        log.connection(.closed(id: 1, bytesFromSource: 0, bytesFromTarget: 0, seconds: 0))
        registry.addEncrypted(1000)
        registry.addDecrypted(24)
        let page = registry.render()
        #expect(Self.value(page, "spiped_connections_accepted_total") == "3")
        #expect(Self.value(page, "spiped_connections_closed_total") == "1")
        #expect(Self.value(page, "spiped_connections_active") == "2")
        #expect(Self.value(page, "spiped_handshake_failures_total{reason=\"bad_mac\"}") == "1")
        #expect(Self.value(page, "spiped_handshake_failures_total{reason=\"closed\"}") == "1")
        #expect(Self.value(page, "spiped_handshake_failures_total{reason=\"timeout\"}") == "1")
        #expect(Self.value(page, "spiped_handshake_failures_total{reason=\"other\"}") == "1")
        #expect(Self.value(page, "spiped_target_connect_failures_total") == "1")
        #expect(Self.value(page, "spiped_connection_limit_reached_total") == "1")
        #expect(Self.value(page, "spiped_idle_timeouts_total") == "1")
        #expect(Self.value(page, "spiped_bytes_total{direction=\"encrypted\"}") == "1000")
        #expect(Self.value(page, "spiped_bytes_total{direction=\"decrypted\"}") == "24")
    }

    @Test func labelValuesAreEscaped() {
        #expect(MetricsRegistry.escapeLabelValue("a\\b\"c\nd") == "a\\\\b\\\"c\\nd")
    }

    static func request(_ text: String) -> MetricsRequest { MetricsRequest(Array(text.utf8)) }

    @Test func onlyGetMetricsGetsThePage() {
        #expect(Self.request("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n") == .metrics)
        #expect(Self.request("GET /metrics?x=1 HTTP/1.0\r\n\r\n") == .metrics)
        #expect(Self.request("GET /metrics HTTP/1.1\n\n") == .metrics)
        #expect(Self.request("GET / HTTP/1.1\r\n\r\n") == .notFound)
        #expect(Self.request("GET /metricsx HTTP/1.1\r\n\r\n") == .notFound)
        #expect(Self.request("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n") == .notFound)
        #expect(Self.request("HEAD /metrics HTTP/1.1\r\n\r\n") == .notFound)
        #expect(Self.request("GET /metrics HTTP/1.1\r\nHost: x\r\n") == .incomplete)
        #expect(Self.request("hello\r\n\r\n") == .badRequest)
        #expect(Self.request("GET /metrics HTTP/2.0\r\n\r\n") == .badRequest)
        #expect(Self.request("GET /metrics SPDY/1.1\r\n\r\n") == .badRequest)
        let huge = "GET /metrics HTTP/1.1\r\nX: " + String(repeating: "a", count: MetricsRequest.maximumHeadBytes) + "\r\n\r\n"
        #expect(Self.request(huge) == .tooLarge)
        #expect(Self.request(String(repeating: "a", count: MetricsRequest.maximumHeadBytes + 1)) == .tooLarge)
    }

    @Test func responsesCloseAndCarryTheirLength() {
        let page = "x 1\n"
        let ok = String(decoding: MetricsRequest.metrics.response { page }, as: UTF8.self)
        #expect(ok.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(ok.contains("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
        #expect(ok.contains("\r\nContent-Length: 4\r\n") && ok.contains("\r\nConnection: close\r\n"))
        #expect(ok.hasSuffix("\r\n\r\nx 1\n"))
        #expect(String(decoding: MetricsRequest.notFound.response { page }, as: UTF8.self).hasPrefix("HTTP/1.1 404 "))
        #expect(String(decoding: MetricsRequest.tooLarge.response { page }, as: UTF8.self).hasPrefix("HTTP/1.1 431 "))
    }
}
