// The root of every test that starts processes (our daemons, the reference's,
// servers): one serialized suite, so scenarios never compete for the two
// cores and their timeouts stay meaningful. Nested suites extend it. Also the
// CI guard: in CI the reference must be installed (nothing may be skipped).
import Testing

@Suite(.serialized) struct ProcessTests {
    @Test func referenceIsInstalledInCI() {
        if TestEnvironment.inCI {
            #expect(TestEnvironment.referenceAvailable,
                    "CI=true but Debian's spiped is missing: run apt-get install spiped (.ci/run does)")
        }
    }

    @Test func ourExecutablesWereBuilt() {
        #expect(TestEnvironment.oursAvailable, "spiped/spipe not found in \(TestEnvironment.buildDirectory)")
    }
}

/// Enables a test only when the reference is installed; in CI a missing
/// reference is not a skip but a failure (reported by referenceIsInstalledInCI).
let needsReference = Testing.ConditionTrait.enabled(if: TestEnvironment.referenceAvailable,
                                                    TestEnvironment.referenceSkipMessage)
