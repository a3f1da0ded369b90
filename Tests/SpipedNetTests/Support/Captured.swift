// Runs a program with captured stdout and stderr, through files in a test's
// scratch directory (ChildProcess, in SpipedTestSupport, does the spawning).
import Foundation
import SpipedTestSupport

/// Runs a program with captured stderr (and stdout) through files in `scratch`.
struct Captured {
    let status: Int32?
    let stdout: String
    let stderr: String

    static func run(_ executable: String, _ arguments: [String], in scratch: Scratch, stdin: ChildProcess.Input = .null,
                    environment: [String: String]? = nil, timeout: Double = 20) throws -> Captured {
        let tag = UUID().uuidString
        let out = scratch.path("out-\(tag)"), err = scratch.path("err-\(tag)")
        let status = try ChildProcess.run(executable, arguments, environment: environment, stdin: stdin,
                                          stdout: .file(out), stderr: .file(err), timeout: timeout)
        return Captured(status: status,
                        stdout: FileContents.text(out) ?? "",
                        stderr: FileContents.text(err) ?? "")
    }
}
