// spiped's start-up, in the reference's order, ending in the engine's event
// loop: parse the command line; with -F --syslog switch to syslog at once;
// with -D detach first; resolve the bind, source, target and --metrics
// addresses (with -D, retrying look-ups); read the key; bind the source (or
// take the socket systemd passed, -s systemd) and the metrics listener;
// detach unless -F (the parent exits 0 only when the child is ready, 1 if
// the child fails first); --syslog; drop privileges (-u); create the engine;
// start the metrics thread; tell the parent and systemd ($NOTIFY_SOCKET) we
// are ready; run until SIGTERM has drained every connection (SIGHUP re-reads
// the keys meanwhile). Each failure
// prints `spiped: <reason>` and gives status 1. No thread may exist before
// the fork: nothing here starts one before it, and the engine and the
// metrics thread are created after it.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SpipedProtocol
import SpipedNet

/// Runs spiped with `arguments` (argv, program name first); returns the exit status.
public func runSpiped(_ arguments: [String]) -> Int32 {
    // Before anything can open a descriptor: 0-2 must not be free for a socket.
    guard StandardDescriptors.openMissing() else { return 1 }
    let options: SpipedOptions
    switch CommandLineStart(arguments, program: .spiped, parse: parseSpipedArguments, printVersion: \.printVersion) {
    case let .exit(status): return status
    case let .run(parsed): options = parsed
    }
    let log = EventLog(programName: "spiped", logsConnections: options.logConnections,
                       metrics: options.metricsAddress == nil ? nil : MetricsRegistry(version: spipedVersion))
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

        // Under a supervisor (-F) --syslog applies from the first message
        // (the reference only switches after daemonizing).
        if options.foreground && options.useSyslog { log.switchToSyslog() }

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
        let listenSource = options.listenSource
        var sources: [SocketAddress] = []
        if case let .address(text) = listenSource { sources = try resolve(text, retry: retry) }
        _ = try resolve(options.target, retry: retry)
        let metricsAddress = try options.metricsAddress.map { text throws(LaunchFailure) in
            try resolve(text, retry: retry)[0]
        }
        // SIGHUP from now on means "re-read the keys" (the engine does it), not
        // "exit": installed before the first read, so a rewrite racing the
        // start-up is read again.
        _ = HangupSignal.install()
        let keys = try KeyLoading.loadAll(keyFile: options.keyFile, acceptKeyFiles: options.acceptKeyFiles, log: log).get()

        if sources.count > 1 {
            log.warning("Listening on first of multiple addresses found for \(options.source)")
        }
        // Connected before privileges are dropped, used once we are ready.
        let notifier: ReadinessNotifier?
        do throws(NotifyError) { notifier = try ReadinessNotifier.fromEnvironment() } catch {
            log.warning(error.message)
            notifier = nil
        }

        let listener = try takeListener(listenSource, sources: sources)
        let metricsListener = try metricsAddress.map { address throws(LaunchFailure) in
            do throws(ListenerError) { return try SourceListener.listen(on: address) } catch {
                throw LaunchFailure(lines: ["--metrics \(options.metricsAddress ?? ""): \(error.description)"])
            }
        }

        if !options.foreground && !detachEarly {
            readiness = try detach()
        }
        if let user = options.user {
            try Privileges.drop(to: user, warn: log.warning)
        }

        let target = options.target
        // SIGHUP re-reads the files, as whatever user -u made us (they must be readable by it).
        let (keyFile, acceptKeyFiles) = (options.keyFile, options.acceptKeyFiles)
        let standardInputKey = keyFile == "-" ? keys[0] : nil
        var configuration = ProxyConfiguration(
            role: options.mode == .encrypt ? .client : .server,
            key: keys[0],
            acceptKeys: Array(keys.dropFirst()),
            reloadKeys: {
                KeyLoading.reload(keyFile: keyFile, standardInputKey: standardInputKey,
                                  acceptKeyFiles: acceptKeyFiles, log: log)
            },
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
        if case .systemd = listenSource { configuration.listenerOwnership = .shared }
        configuration.proxyProtocol = options.proxyProtocol
        let engine: ProxyEngine
        do {
            engine = try ProxyEngine(listener: listener, configuration: configuration)
        } catch {
            throw LaunchFailure(lines: ["Failed to initialize connection acceptor: \(error)"])
        }
        var metricsServer: MetricsServer?
        if let metricsListener, let registry = log.metrics {
            guard let server = MetricsServer(listener: metricsListener, registry: registry), server.start() else {
                throw LaunchFailure(lines: ["--metrics: cannot start the metrics thread: \(SystemError(errno))"])
            }
            metricsServer = server
        }
        // Ready means accepting with SIGTERM handled: the engine says when.
        let parentWaiting = readiness
        engine.onReady = {
            parentWaiting?.signalReady()
            do throws(NotifyError) { try notifier?.notifyReady() } catch { log.warning(error.message) }
        }
        let status = engine.run()
        metricsServer?.stop()
        return status
    }

    /// The listening socket: bound on the source address, or passed by systemd.
    private func takeListener(_ source: ListenSource, sources: [SocketAddress]) throws(LaunchFailure) -> Int32 {
        switch source {
        case .address:
            do throws(ListenerError) {
                return try SourceListener.listen(on: sources[0])
            } catch {
                throw LaunchFailure(lines: [error.description])
            }
        case let .systemd(name):
            do throws(SystemdSocketError) {
                return try SystemdSockets.take(name)
            } catch {
                throw LaunchFailure(lines: [error.description])
            }
        }
    }

    /// Forks into the background (pidfile written), then switches to syslog if asked.
    private func detach() throws(LaunchFailure) -> DaemonReadiness {
        let readiness: DaemonReadiness
        readiness = try Daemonizer.detach(pidfile: options.pidfilePath)
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
