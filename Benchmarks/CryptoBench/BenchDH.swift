// Placeholder until the DH benchmarks land.
func runDHBenchmarks() {}
