// The start shared by spiped and spipe: parse argv and answer -v. Usage
// errors print the reference's text and give its status; -v prints the
// version line and gives 0. Anything else goes on to the program's launcher.
import SpipedNet

/// What the shared start decided: run with these options, or exit now.
enum CommandLineStart<Options> {
    /// Parsed options; the program goes on to start.
    case run(Options)
    /// Exit at once with this status (usage error or -v, already printed).
    case exit(Int32)

    /// Parses `arguments` (argv, program name first) with `parse`.
    init(_ arguments: [String], program: Program,
         parse: ([String]) -> Result<Options, UsageError>,
         printVersion: (Options) -> Bool) {
        switch parse(Array(arguments.dropFirst())) {
        case let .failure(usage):
            writeToStandardError(usage.description)
            self = .exit(usage.exitStatus)
        case let .success(options):
            if printVersion(options) {
                writeToStandardError(program.versionLine)
                self = .exit(0)
            } else {
                self = .run(options)
            }
        }
    }
}
