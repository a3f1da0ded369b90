// The dudect procedure (Reparaz, Balasch, Verbauwhede, "Dude, is my code
// constant time?", DATE 2017), written here for Swift targets:
//
// 1. Per measurement, a fresh random bit picks the input class: 0 = a fixed
//    input, 1 = a random input. Inputs and class bits for a chunk are made
//    before its timing loop, so the loop itself does the same work for both
//    classes and the two classes are interleaved in time (drift, frequency
//    changes and other processes hit both alike).
// 2. Each measurement is the TSC difference around one call (or a fixed
//    batch of calls on the same input, for operations near the counter's
//    resolution).
// 3. Post-processing as in the paper: the measurements are also cropped at
//    several percentiles of the pooled distribution (the upper tail is mostly
//    interrupts and cache noise, and removing it sharpens a small difference),
//    and a Welch t-test is kept for the uncropped data and for every crop.
//    The thresholds are the percentiles of each chunk's own pooled timings
//    (robust to slow drift of the machine); a first warm-up chunk is
//    discarded. The reported figure is the largest |t| of all these tests.
//
// Guarantees: the timing loop branches only on the loop counter; the class
// bit is read only after the measurement, when the cycle count is filed.

/// Something whose running time is tested for independence from its input.
protocol TimingTarget {
    /// Name used on the command line and in the report.
    var name: String { get }
    /// What the two classes are, for the report.
    var classDescription: String { get }
    /// What the run should show: no leak (code under test), a leak (positive
    /// control), or either (an informational variant).
    var expectation: Expectation { get }
    /// Makes the inputs for the next chunk: slot i gets the fixed input when
    /// `randomClass[i]` is false, a fresh random one when it is true.
    mutating func prepare(randomClass: [Bool]) throws
    /// Work done before each measurement, outside the timed region and the
    /// same for both classes (e.g. evicting caches). Default: nothing.
    mutating func beforeMeasurement()
    /// The timed operation on slot `index`; returns a value derived from the
    /// result so the optimizer keeps the work.
    func run(_ index: Int) -> UInt64
}

extension TimingTarget {
    mutating func beforeMeasurement() {}
}

/// What a target's run should show.
enum Expectation {
    case noLeak, leak, informational
}

/// Quantiles of each chunk's pooled timings used as crop thresholds:
/// 10% and 25% (only the fastest measurements), then 1 - 2^-k for k = 1...10
/// (50% ... 99.9%), a spread like the paper's.
let cropPercentiles: [Double] = [0.10, 0.25] + (1...10).map { 1 - 1 / Double(1 << $0) }

/// One t-test of a run: the uncropped data or one crop.
struct CropResult {
    var label: String
    var test: WelchTTest
}

/// The outcome of testing one target.
struct DudectResult {
    var name: String
    var classes: String
    var measurements: Int
    var crops: [CropResult]
    var seconds: Double
    var expectation: Expectation

    /// The largest |t| over the uncropped test and all crops, and where.
    var maxAbsT: (value: Double, label: String) {
        var best = (value: 0.0, label: "-")
        for crop in crops where abs(crop.test.t) > best.value { best = (abs(crop.test.t), crop.label) }
        return best
    }

    /// Pass: no leak (|t| < 4.5) for a real target, a leak for a control;
    /// an informational run always passes.
    var passed: Bool {
        switch expectation {
        case .noLeak: return maxAbsT.value < 4.5
        case .leak: return maxAbsT.value > 4.5
        case .informational: return true
        }
    }
}

/// Times `chunk` measurements into `times`; the loop does identical work
/// whatever the classes are.
@inline(never)
func measureChunk<T: TimingTarget>(_ target: inout T, count: Int, into times: UnsafeMutablePointer<UInt64>) -> UInt64 {
    var sink: UInt64 = 0
    for i in 0..<count {
        target.beforeMeasurement()
        let start = readCycleCounter()
        sink &+= target.run(i)
        let end = readCycleCounter()
        times[i] = end &- start
    }
    return sink
}

/// Runs the dudect procedure on `target` for `measurements` counted
/// measurements (plus one discarded warm-up chunk), `chunkSize` at a time.
func runDudect<T: TimingTarget>(_ target: inout T, measurements: Int, chunkSize: Int) throws -> DudectResult {
    var rng = SplitMix64(seed: try freshSeed())
    let times = UnsafeMutablePointer<UInt64>.allocate(capacity: chunkSize)
    defer { times.deallocate() }
    var classes = [Bool](repeating: false, count: chunkSize)
    var sink: UInt64 = 0
    let started = monotonicSeconds()

    // Warm-up chunk (caches, lazy set-up): measured and thrown away.
    for i in 0..<chunkSize { classes[i] = rng.next() & 1 == 1 }
    try target.prepare(randomClass: classes)
    sink &+= measureChunk(&target, count: chunkSize, into: times)

    var uncropped = WelchTTest()
    var cropped = [WelchTTest](repeating: WelchTTest(), count: cropPercentiles.count)
    var thresholdSums = [Double](repeating: 0, count: cropPercentiles.count)
    var chunks = 0
    var thresholds = [Double](repeating: 0, count: cropPercentiles.count)
    var done = 0
    while done < measurements {
        let count = min(chunkSize, measurements - done)
        for i in 0..<count { classes[i] = rng.next() & 1 == 1 }
        try target.prepare(randomClass: classes)
        sink &+= measureChunk(&target, count: count, into: times)
        // Crop thresholds from this chunk's own pooled distribution, so a
        // slow drift of the machine over a long run (frequency, load) does
        // not leave the low crops empty; the classes are mixed in every
        // chunk, so the thresholds do not depend on the class.
        let sorted = UnsafeBufferPointer(start: times, count: count).sorted()
        for c in 0..<cropPercentiles.count {
            thresholds[c] = Double(sorted[min(count - 1, Int(cropPercentiles[c] * Double(count)))])
            thresholdSums[c] += thresholds[c]
        }
        chunks += 1
        for i in 0..<count {
            let x = Double(times[i])
            uncropped.add(x, toClass: classes[i])
            for c in 0..<thresholds.count where x < thresholds[c] {
                cropped[c].add(x, toClass: classes[i])
            }
        }
        done += count
    }
    keepAlive(sink)
    var crops = [CropResult(label: "uncropped", test: uncropped)]
    var firstName = ""   // lowest percentile merged into the last crop
    for c in 0..<cropPercentiles.count {
        let name = "p" + decimal(cropPercentiles[c] * 100, places: 1)
        let meanThreshold = " (~\(Int((thresholdSums[c] / Double(max(1, chunks))).rounded())))"
        // Percentiles that fall on the same counter value (the TSC counts in
        // steps here) give the same crop: report it once, naming the range.
        if c > 0, let last = crops.last, last.test.count == cropped[c].count, last.test.mean == cropped[c].mean {
            crops[crops.count - 1].label = "< " + firstName + "-" + name + meanThreshold
        } else {
            firstName = name
            crops.append(CropResult(label: "< " + name + meanThreshold, test: cropped[c]))
        }
    }
    return DudectResult(name: target.name, classes: target.classDescription, measurements: measurements, crops: crops,
                        seconds: monotonicSeconds() - started, expectation: target.expectation)
}

/// Keeps a value alive so the optimizer cannot drop the work producing it.
@inline(never)
func keepAlive(_ value: UInt64) { withExtendedLifetime(value) {} }
