// spiped's start-up, in the reference's order, ending in the engine's event
// loop: parse the command line; with -D detach first; resolve the bind,
// source and target addresses (with -D, retrying look-ups); read the key;
// bind the source; detach unless -F (the parent exits 0 only when the child
// is ready, 1 if the child fails first); --syslog; drop privileges (-u);
// create the engine; tell the parent and systemd ($NOTIFY_SOCKET) we are
// ready; run until SIGTERM has drained every connection. Each failure prints
// `spiped: <reason>` and gives status 1. No thread may exist before the fork:
// nothing here starts one, and the engine is created after it.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SpipedProtocol
import SpipedNet

/// Runs spiped with `arguments` (argv, program name first); returns the exit status.
public func runSpiped(_ arguments: [String]) -> Int32 {
    let options: SpipedOptions
    switch CommandLineStart(arguments, program: .spiped, parse: parseSpipedArguments, printVersion: \.printVersion) {
    case let .exit(status): return status
    case let .run(parsed): options = parsed
    }
    let log = EventLog(programName: "spiped", logsConnections: options.logConnections)
    do throws(LaunchFailure) {
        return try SpipedLauncher(options: options, log: log).run()
    } catch {
        error.report(to: log)
        return 1
    }
}

/// One spiped start-up.
struct SpipedLauncher {
    let options: SpipedOptions
    let log: EventLog

    func run() throws(LaunchFailure) -> Int32 {
        // Writes to a peer that went away must fail with EPIPE, not kill us.
        signal(SIGPIPE, SIG_IGN)
        if getpid() == 1 {
            // As init (in a container) default signal actions do not apply:
            // make SIGINT a hard stop, as the reference does.
            signal(SIGINT) { _ in _exit(0) }
        }

        let detachEarly = options.waitForDNS && !options.foreground
        var readiness: DaemonReadiness?
        if detachEarly {
            readiness = try detach()
            // -D promises only that we have detached; the parent may go now.
            readiness?.signalReady()
        }

        let retry = options.waitForDNS
        let bindAddress = try options.bindAddress.map { text throws(LaunchFailure) in
            try resolve(AddressResolver.bindAddressText(text), allowPortZero: true, retry: retry)[0]
        }
        let sources = try resolve(options.source, retry: retry)
        _ = try resolve(options.target, retry: retry)
        let key = try KeyLoading.load(options.keyFile, log: log).get()

        if sources.count > 1 {
            log.warning("Listening on first of multiple addresses found for \(options.source)")
        }
        // Connected before privileges are dropped, used once we are ready.
        let notifier: ReadinessNotifier?
        do throws(NotifyError) { notifier = try ReadinessNotifier.fromEnvironment() } catch {
            log.warning(error.message)
            notifier = nil
        }

        let listener: Int32
        do throws(ListenerError) {
            listener = try SourceListener.listen(on: sources[0])
        } catch {
            throw LaunchFailure(lines: [error.description])
        }

        if !options.foreground && !detachEarly {
            readiness = try detach()
        }
        if let user = options.user {
            do throws(PrivilegeError) { try Privileges.drop(to: user) } catch {
                throw LaunchFailure(lines: error.lines)
            }
        }

        let target = options.target
        let configuration = ProxyConfiguration(
            role: options.mode == .encrypt ? .client : .server,
            key: key,
            handshake: HandshakeOptions(fast: options.fastHandshake, requirePFS: options.requirePerfectForwardSecrecy),
            target: target,
            resolveTarget: { try AddressResolver.resolve(target) },
            resolveInterval: options.effectiveResolveInterval,
            bindAddress: bindAddress,
            keepAlive: !options.disableKeepAlive,
            maxConnections: options.maxConnections,
            timeout: options.timeout,
            log: log,
            targetConnect: options.targetConnect,
            idleTimeout: options.idleTimeout)
        let engine: ProxyEngine
        do {
            engine = try ProxyEngine(listener: listener, configuration: configuration)
        } catch {
            throw LaunchFailure(lines: ["Failed to initialize connection acceptor: \(error)"])
        }
        // Ready means accepting with SIGTERM handled: the engine says when.
        let parentWaiting = readiness
        engine.onReady = {
            parentWaiting?.signalReady()
            do throws(NotifyError) { try notifier?.notifyReady() } catch { log.warning(error.message) }
        }
        return engine.run()
    }

    /// Forks into the background (pidfile written), then switches to syslog if asked.
    private func detach() throws(LaunchFailure) -> DaemonReadiness {
        let readiness: DaemonReadiness
        do throws(DaemonError) {
            readiness = try Daemonizer.detach(pidfile: options.pidfilePath)
        } catch {
            throw LaunchFailure(lines: error.lines)
        }
        if options.useSyslog { log.switchToSyslog() }
        return readiness
    }

    /// Resolves one address, retrying look-ups with -D.
    private func resolve(_ text: String, allowPortZero: Bool = false, retry: Bool) throws(LaunchFailure) -> [SocketAddress] {
        do throws(AddressError) {
            return try AddressResolver.resolve(text, allowPortZero: allowPortZero, retrying: retry) { first in
                log.warning("\(first.description); retrying until it resolves")
            }
        } catch {
            throw LaunchFailure(address: text, error: error)
        }
    }
}
