// Prints one target's dudect result: per test (uncropped, then each crop)
// the sample counts per class, the mean TSC ticks per class and Welch's t,
// then the verdict on the largest |t|.
//
// Guarantees: output only; nothing here affects the measurements.

/// Prints the table and verdict for `result`.
func printResult(_ result: DudectResult) {
    emit("   classes: " + result.classes)
    emit("   " + "test".padding(26) + padded("n fixed", 10) + padded("n random", 10)
          + padded("mean fixed", 12) + padded("mean random", 12) + padded("t", 9))
    for crop in result.crops {
        let test = crop.test
        emit("   " + crop.label.padding(26) + padded("\(Int(test.count.0))", 10) + padded("\(Int(test.count.1))", 10)
              + padded(decimal(test.mean.0, places: 1), 12) + padded(decimal(test.mean.1, places: 1), 12)
              + padded(decimal(test.t, places: 2), 9))
    }
    let best = result.maxAbsT
    let verdict = best.value > 4.5 ? "LEAK" : "no leak detected"
    let expectation: String
    switch result.expectation {
    case .noLeak: expectation = "leak-free expected"
    case .leak: expectation = "control, leak expected"
    case .informational: expectation = "informational"
    }
    emit("   => \(result.name): max |t| = \(decimal(best.value, places: 2)) (\(best.label)) over \(result.measurements) measurements, "
          + "\(decimal(result.seconds, places: 1)) s: \(verdict) [\(expectation)]"
          + (result.expectation == .informational ? "" : (result.passed ? " PASS" : " FAIL")))
}
