// The little HTTP/1.x the metrics endpoint speaks, as pure functions over
// bytes (the server in MetricsServer.swift does the I/O): a request is
// complete at its blank line (CRLF CRLF, or LF LF from a lax client); only
// `GET /metrics` (a query string is ignored) gets the page, any other request
// with a valid request line gets 404, a line that is not HTTP/1.x gets 400,
// and a request head larger than the cap gets 431. Every response closes the
// connection (`Connection: close`), so no request is ever read after another.

/// What to do with the bytes of a request read so far.
package enum MetricsRequest: Equatable {
    /// The head is not complete yet: read more.
    case incomplete
    /// `GET /metrics`: send the page.
    case metrics
    /// A well-formed request for anything else.
    case notFound
    /// Not an HTTP/1.x request line.
    case badRequest
    /// The head passed the size cap before it ended.
    case tooLarge

    /// The most bytes of request head accepted.
    package static let maximumHeadBytes = 8192

    /// Classifies the request head at the start of `bytes`.
    package init(_ bytes: [UInt8]) {
        guard let end = Self.headEnd(bytes) else {
            self = bytes.count > Self.maximumHeadBytes ? .tooLarge : .incomplete
            return
        }
        guard end <= Self.maximumHeadBytes else { self = .tooLarge; return }
        let lineEnd = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? end
        var line = bytes[..<lineEnd]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        let words = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard words.count == 3, words[2].starts(with: Array("HTTP/1.".utf8)), words[2].count == 8,
              let minor = words[2].last, minor >= UInt8(ascii: "0"), minor <= UInt8(ascii: "9"),
              !words[0].isEmpty, words[1].first == UInt8(ascii: "/") || words[1].starts(with: Array("http".utf8))
        else {
            self = .badRequest
            return
        }
        var path = Array(words[1])
        if let query = path.firstIndex(of: UInt8(ascii: "?")) { path = Array(path[..<query]) }
        self = Array(words[0]) == Array("GET".utf8) && path == Array("/metrics".utf8) ? .metrics : .notFound
    }

    /// The index just past the blank line ending the head, or nil.
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        var index = 0
        let newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
        while index < bytes.count {
            if bytes[index] == newline {
                let next = index + 1
                if next < bytes.count, bytes[next] == newline { return next + 1 }
                if next + 1 < bytes.count, bytes[next] == carriageReturn, bytes[next + 1] == newline { return next + 2 }
            }
            index += 1
        }
        return nil
    }

    /// The full response (status line, headers, body) to send; `page` renders the metrics.
    package func response(page: () -> String) -> [UInt8] {
        switch self {
        case .metrics:
            return Self.response(status: "200 OK", contentType: MetricsRegistry.contentType, body: page())
        case .notFound:
            return Self.response(status: "404 Not Found", contentType: "text/plain; charset=utf-8",
                                 body: "Only GET /metrics is served here.\n")
        case .badRequest, .incomplete:
            return Self.response(status: "400 Bad Request", contentType: "text/plain; charset=utf-8", body: "Bad request.\n")
        case .tooLarge:
            return Self.response(status: "431 Request Header Fields Too Large", contentType: "text/plain; charset=utf-8",
                                 body: "Request too large.\n")
        }
    }

    static func response(status: String, contentType: String, body: String) -> [UInt8] {
        let bodyBytes = Array(body.utf8)
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(bodyBytes.count)\r\n"
            + "Connection: close\r\n\r\n"
        return Array(head.utf8) + bodyBytes
    }
}
