// README's "Swift API" example, compiled and run here so it cannot rot, and
// compared with the README's text so the two cannot drift apart. Only
// `import Spiped` is needed, as the README promises.
import Foundation
import Testing

// --- README Swift API example begins ---
import Spiped

/// Sends `request` to a spiped server and returns everything it answers.
func ask(_ request: String, server: String, keyFile: String) async throws -> [UInt8] {
    let key = try SpipedKey(contentsOfFile: keyFile)
    let connection = try await SpipedConnection.connect(to: server, key: key)
    defer { connection.close() }
    try await connection.write(request.utf8)
    try await connection.shutdownWrite()              // our FIN: the request is complete
    var reply: [UInt8] = []
    while let chunk = try await connection.read() {   // nil once the server has finished
        reply += chunk
    }
    return reply
}

/// Answers every connection with what it sent, upper-cased.
func serveUppercase(_ listener: SpipedListener) async throws {
    for try await connection in listener.connections {   // handshakes already done
        Task {
            var request: [UInt8] = []
            while let chunk = try await connection.read() { request += chunk }
            try await connection.write(request.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 })
            try await connection.shutdownWrite()
            connection.close()
        }
    }
}
// --- README Swift API example ends ---

extension SpipedAPITests {
    @Suite("README Swift API example")
    struct ReadmeSwiftAPITests {
        @Test("the README's client and server talk through the library")
        func example() async throws {
            let scratch = LibraryScratch()
            let listener = try await SpipedListener.bind(to: "[127.0.0.1]:0", key: try SpipedKey(contentsOfFile: scratch.keyPath))
            let server = Task { try await serveUppercase(listener) }
            let reply = try await ask("ping over spiped", server: listener.address, keyFile: scratch.keyPath)
            #expect(reply == Array("PING OVER SPIPED".utf8))
            listener.close()
            try await server.value
        }

        @Test("the README shows exactly this example")
        func readmeMatches() throws {
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
            let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
            let begin = "// --- README Swift API example begins ---\n", end = "// --- README Swift API example ends ---"
            guard let b = source.range(of: begin), let e = source.range(of: end, range: b.upperBound..<source.endIndex) else {
                Issue.record("markers missing")
                return
            }
            let example = String(source[b.upperBound..<e.lowerBound])
            #expect(readme.contains("```swift\n" + example + "```"), "README's Swift API block differs from the tested example")
        }
    }
}
