// spiped-bench: primitive and protocol throughput, printed beside `openssl speed`
// figures measured in the same run. Build and run:
//   swift build -c release && .build/release/spiped-bench [hash|aes|dh|all]
let which = CommandLine.arguments.dropFirst().first ?? "all"
if which == "all" || which == "hash" { runHashBenchmarks() }
if which == "all" || which == "aes" { runAESBenchmarks() }
if which == "all" || which == "dh" { runDHBenchmarks() }
