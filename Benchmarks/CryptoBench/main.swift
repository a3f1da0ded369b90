// spiped-bench: primitive and protocol throughput, printed beside `openssl speed`
// figures measured in the same run. Build and run:
//   swift build -c release && .build/release/spiped-bench [hash|aes|dh|packets|all|backends|ratios [rounds]]
// `backends` prints the backend each primitive uses under the current
// environment (SPIPED_DISABLE, SPIPED_AES, ...), one `<primitive> <name>` line each.
import SpipedCrypto

let which = CommandLine.arguments.dropFirst().first ?? "all"
if which == "backends" {
    for line in CryptoBackends.current.summaryLines { print(line) }
    let unknown = CryptoBackends.current.unknownDisabledNames
    if !unknown.isEmpty { print("warning: SPIPED_DISABLE names no feature: \(unknown.joined(separator: ","))") }
}
if which != "backends" {
    print("backends: \(CryptoBackends.current.summaryLines.joined(separator: ", ")); CPU features used: \(CryptoBackends.current.features)")
}
if which == "all" || which == "hash" { runHashBenchmarks() }
if which == "all" || which == "aes" { runAESBenchmarks() }
if which == "all" || which == "dh" { runDHBenchmarks() }
if which == "all" || which == "packets" { runPacketBenchmarks() }
if which == "ratios" { runAlternatingRatios(rounds: CommandLine.arguments.dropFirst(2).first.flatMap { Int($0) } ?? 5) }
