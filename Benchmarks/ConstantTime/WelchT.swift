// Welch's t-test between two classes of timing measurements, with the mean
// and variance of each class kept online (Welford's algorithm), so millions
// of measurements need no storage and no second pass.
//
// This is the statistic of dudect (Reparaz, Balasch, Verbauwhede, "Dude, is
// my code constant time?", DATE 2017): if the timing distributions of the
// two input classes differ in their means, |t| grows like sqrt(n); the usual
// threshold for "leak" is |t| > 4.5 (p about 1e-5 for one test under H0).
// Written here from the textbook formulas (Welford 1962; Welch 1947).
//
// Guarantees: numerically stable for long runs (no sum of squares of raw
// cycle counts); a class with fewer than two samples gives t = 0.

/// Online two-class Welch t-test.
struct WelchTTest {
    /// Samples per class.
    private(set) var count: (Double, Double) = (0, 0)
    /// Running mean per class.
    private(set) var mean: (Double, Double) = (0, 0)
    /// Running sum of squared deviations from the mean per class (Welford's M2).
    private var m2: (Double, Double) = (0, 0)

    /// Adds one measurement `x` of class 0 (fixed) or 1 (random).
    mutating func add(_ x: Double, toClass isRandomClass: Bool) {
        // Welford: the update of M2 uses the deviation from the old and the
        // new mean, which keeps the variance accurate without large sums.
        if isRandomClass {
            count.1 += 1
            let delta = x - mean.1
            mean.1 += delta / count.1
            m2.1 += delta * (x - mean.1)
        } else {
            count.0 += 1
            let delta = x - mean.0
            mean.0 += delta / count.0
            m2.0 += delta * (x - mean.0)
        }
    }

    /// Sample variances (n - 1 denominator).
    var variance: (Double, Double) {
        (count.0 > 1 ? m2.0 / (count.0 - 1) : 0, count.1 > 1 ? m2.1 / (count.1 - 1) : 0)
    }

    /// Welch's t = (mean0 - mean1) / sqrt(var0/n0 + var1/n1); 0 when undefined.
    var t: Double {
        guard count.0 > 1, count.1 > 1 else { return 0 }
        let (v0, v1) = variance
        let denominator = (v0 / count.0 + v1 / count.1).squareRoot()
        guard denominator > 0 else { return 0 }
        return (mean.0 - mean.1) / denominator
    }

    /// Total samples in both classes.
    var total: Int { Int(count.0 + count.1) }
}
