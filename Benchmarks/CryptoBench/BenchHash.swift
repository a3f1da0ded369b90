// Placeholder until the Hash benchmarks land.
func runHashBenchmarks() {}
