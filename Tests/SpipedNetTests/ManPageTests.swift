// The man pages beside the executables' sources (Sources/spiped/spiped.1,
// Sources/spipe/spipe.1): every option the program's own usage message lists
// has an entry of its own in the page (so an option added to the parser but
// not documented fails here), the pages have the sections operators look
// for, and, where man(1) is installed, they render with no warning
// (`man --warnings -l`, what the issue asks of them).
import Foundation
import Testing

@Suite struct ManPageTests {
    struct Page: Sendable, CustomTestStringConvertible {
        let program: String
        let source: String
        var testDescription: String { program }

        /// The page's roff text.
        var text: String { FileContents.text(source) ?? "" }
    }

    static let repository: String = {
        // Tests/SpipedNetTests/ManPageTests.swift -> the repository root.
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let pages = [
        Page(program: "spiped", source: repository + "/Sources/spiped/spiped.1"),
        Page(program: "spipe", source: repository + "/Sources/spipe/spipe.1"),
    ]

    /// Options named in a usage message: "--word" as is, "-DFj" as -D, -F, -j.
    static func options(inUsage usage: String) -> Set<String> {
        var found = Set<String>()
        var token = ""
        func flush() {
            defer { token = "" }
            if token.hasPrefix("--"), token.count > 2 {
                found.insert(token)
            } else if token.hasPrefix("-"), token.count > 1 {
                for letter in token.dropFirst() { found.insert("-" + String(letter)) }
            }
        }
        for character in usage {
            if character.isLetter || character.isNumber || character == "-" {
                token.append(character)
            } else {
                flush()
            }
        }
        flush()
        return found
    }

    /// Whether the roff text has a line that starts an entry for `option`
    /// (`.B \-k`, `.BI \-k " key file"`, `.BR \-f`), hyphens escaped as roff wants.
    static func hasEntry(for option: String, in roff: String) -> Bool {
        let escaped = option.replacingOccurrences(of: "-", with: "\\-")
        for line in roff.split(separator: "\n", omittingEmptySubsequences: true) {
            for macro in [".B ", ".BI ", ".BR "] where line.hasPrefix(macro) {
                let rest = line.dropFirst(macro.count)
                if rest == escaped || rest.hasPrefix(escaped + " ") { return true }
            }
        }
        return false
    }

    @Test(arguments: pages) func everyUsageOptionHasAnEntry(page: Page) throws {
        let scratch = Scratch()
        let executable = TestEnvironment.buildDirectory + "/" + page.program
        let run = try Captured.run(executable, [], in: scratch)
        #expect(run.status == 1, "\(page.program) with no arguments prints usage and exits 1")
        let options = Self.options(inUsage: run.stderr)
        #expect(options.contains("-k") && options.contains("-t") && options.contains("--log-connections"),
                "usage message parsed: \(options.sorted())")
        let roff = page.text
        #expect(!roff.isEmpty, "\(page.source) is readable")
        for option in options.sorted() {
            let documented = Self.hasEntry(for: option, in: roff)
            #expect(documented, "\(page.source) has no entry for \(option)")
        }
    }

    @Test(arguments: pages) func hasTheOperatorSections(page: Page) {
        let roff = page.text
        for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "SECURITY"] {
            let found = roff.split(separator: "\n").contains { $0.hasPrefix(".SH") && $0.contains(section) }
            #expect(found, "\(page.source) lacks a .SH \(section) section")
        }
    }

    static let man = ExternalPrograms.find("man")

    @Test(.enabled(if: man != nil, "man(1) is not installed (apt-get install man-db); rendering check skipped"),
          arguments: pages)
    func rendersWithoutWarnings(page: Page) throws {
        let scratch = Scratch()
        let environment = ["PATH": "/usr/bin:/bin", "MANWIDTH": "80", "LC_ALL": "C.UTF-8", "HOME": scratch.directory]
        let run = try Captured.run(try #require(Self.man), ["--warnings", "-l", page.source], in: scratch,
                                   environment: environment, timeout: 30)
        #expect(run.status == 0, "man -l \(page.source) failed: \(run.stderr)")
        #expect(run.stderr.isEmpty, "man --warnings -l \(page.source) warned:\n\(run.stderr)")
        #expect(run.stdout.contains(page.program), "rendered page mentions \(page.program)")
    }
}
