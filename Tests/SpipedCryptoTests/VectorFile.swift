// Reads the known-answer files in Vectors/: NIST CAVP .rsp files and the
// cryptography-vectors .txt files share one shape ("NAME = VALUE" lines,
// records separated by blank lines, "[SECTION]" headers, "#" comments).
import Foundation

/// One record of a vector file: its fields plus the section it sits in.
struct VectorRecord {
    var section: String
    var fields: [String: String]
    var line: Int

    /// A field's raw text; records missing a field are a broken file, so the test fails loudly.
    func text(_ name: String) -> String {
        guard let value = fields[name] else { Issue.recordMissing(name, line); return "" }
        return value
    }

    /// A hex field as bytes.
    func bytes(_ name: String) -> [UInt8] { hexBytes(text(name)) }

    /// A decimal field.
    func int(_ name: String) -> Int { Int(text(name)) ?? -1 }
}

import SpipedTestSupport
import Testing
extension Issue {
    static func recordMissing(_ name: String, _ line: Int) {
        Issue.record("vector record at line \(line) has no field \(name)")
    }
}

/// Parses a vector file under Vectors/ (path relative to it) into records.
/// Header lines "[ENCRYPT]" set the section; section headers with "=" in them
/// (such as "[L = 32]") are kept as the section text too.
func loadVectorFile(_ relativePath: String) throws -> [VectorRecord] {
    let text = try String(contentsOfFile: vectorsDirectory + "/" + relativePath, encoding: .utf8)
    var records: [VectorRecord] = []
    var section = ""
    var current: [String: String] = [:]
    var startLine = 0
    func flush() {
        if !current.isEmpty { records.append(VectorRecord(section: section, fields: current, line: startLine)) }
        current = [:]
    }
    // Split on any line break: the CAVP SHA-256 files use CRLF, and Swift
    // treats "\r\n" as one Character, so splitting on "\n" alone misses it.
    for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
        let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
        if line.isEmpty { flush(); continue }
        if line.hasPrefix("#") { continue }
        if line.hasPrefix("[") && line.hasSuffix("]") {
            flush()
            section = String(line.dropFirst().dropLast())
            continue
        }
        guard let eq = line.firstIndex(of: "=") else { continue }
        let name = line[..<eq].trimmingCharacters(in: .whitespaces)
        let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        if current.isEmpty { startLine = index + 1 }
        if current[name] != nil { flush(); startLine = index + 1 }  // a repeated field starts a new record
        current[name] = value
    }
    flush()
    return records
}
