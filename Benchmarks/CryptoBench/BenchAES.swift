// Placeholder until the AES benchmarks land.
func runAESBenchmarks() {}
