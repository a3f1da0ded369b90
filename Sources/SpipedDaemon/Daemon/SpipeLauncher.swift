// spipe's start-up: parse the command line, resolve the target (and -b),
// read the key (`-k -` takes standard input, which then carries no data),
// and hand over to the engine's client, whose status is the exit status:
// 0 after a clean finish of both directions, non-zero with a message on a
// connect or handshake failure.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SpipedProtocol
import SpipedNet

/// Runs spipe with `arguments` (argv, program name first); returns the exit status.
public func runSpipe(_ arguments: [String]) -> Int32 {
    // Before anything can open a descriptor: 0-2 must not be free for a socket.
    guard StandardDescriptors.openMissing() else { return 1 }
    let options: SpipeOptions
    switch CommandLineStart(arguments, program: .spipe, parse: parseSpipeArguments, printVersion: \.printVersion) {
    case let .exit(status): return status
    case let .run(parsed): options = parsed
    }
    let log = EventLog(programName: "spipe", logsConnections: options.logConnections)
    signal(SIGPIPE, SIG_IGN)

    let targets: [SocketAddress]
    do throws(AddressError) {
        targets = try AddressResolver.resolve(options.target)
    } catch {
        LaunchFailure(address: options.target, error: error).report(to: log)
        return 1
    }
    var bindAddress: SocketAddress?
    if let text = options.bindAddress {
        let normalized = AddressResolver.bindAddressText(text)
        do throws(AddressError) {
            bindAddress = try AddressResolver.resolve(normalized, allowPortZero: true)[0]
        } catch {
            LaunchFailure(address: normalized, error: error).report(to: log)
            return 1
        }
    }
    let key: SpipedKey
    switch KeyLoading.load(options.keyFile, log: log) {
    case let .success(loaded): key = loaded
    case let .failure(failure):
        failure.report(to: log)
        return 1
    }
    let configuration = SpipeConfiguration(
        key: key,
        handshake: HandshakeOptions(fast: options.fastHandshake, requirePFS: options.requirePerfectForwardSecrecy),
        target: targets,
        targetText: options.target,
        bindAddress: bindAddress,
        keepAlive: !options.disableKeepAlive,
        timeout: options.timeout,
        log: log)
    return SpipeClient.run(configuration)
}
