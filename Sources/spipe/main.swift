// The spipe executable: all behaviour lives in SpipedNet (runSpipe); this
// file only passes the command line in and the exit status out.
import SpipedDaemon
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

exit(runSpipe(CommandLine.arguments))
