// The backend selection rules of CryptoBackendSelection, checked as a pure
// function of (detected features, environment): SPIPED_DISABLE parsing and
// its implications, the per-primitive overrides, and that nothing absent is
// ever chosen. Plus: the process-wide selection only uses what it detected.
import Testing
import SpipedCrypto

@Suite struct CryptoBackendTests {
    let everything: CPUFeatureSet = [.ssse3, .aesni, .shani, .avx2, .avx512, .ifma]

    func select(_ detected: CPUFeatureSet, _ environment: [String: String] = [:]) -> CryptoBackendSelection {
        CryptoBackendSelection(detected: detected) { environment[$0] }
    }

    @Test("All features: AES-NI, SHA-NI pairs and single, IFMA")
    func defaults() {
        let s = select(everything)
        #expect(s.summaryLines == ["aes aesni", "sha256 shani-x2", "sha256-single shani", "modexp ifma"])
        #expect(s.features == everything && s.unknownDisabledNames.isEmpty)
    }

    @Test("SPIPED_DISABLE hides features, with the CPU's implications")
    func disable() {
        #expect(select(everything, ["SPIPED_DISABLE": "shani,ifma"]).summaryLines
                == ["aes aesni", "sha256 avx512-x16", "sha256-single avx2-bmi2", "modexp portable"])
        #expect(select(everything, ["SPIPED_DISABLE": "shani,avx512"]).macLanes == .avx2)
        #expect(select(everything, ["SPIPED_DISABLE": "shani,avx512"]).sha256 == .avx2)
        #expect(select(everything, ["SPIPED_DISABLE": "shani,avx2"]).sha256 == .portable)
        #expect(select(everything, ["SPIPED_DISABLE": "aesni"]).summaryLines[0] == "aes ct-vperm-avx2-x8")
        #expect(select(everything, ["SPIPED_DISABLE": "aesni,avx512"]).constantTimeAESKernel == .vpermAVX2)
        #expect(select(everything, ["SPIPED_AES": "ct", "SPIPED_DISABLE": "avx2"]).summaryLines[0] == "aes ct-bitsliced-ssse3-x8")
        #expect(select(everything, ["SPIPED_DISABLE": "avx512"]).features == [.ssse3, .aesni, .shani, .avx2])
        #expect(select(everything, ["SPIPED_DISABLE": "avx2"]).features == [.ssse3, .aesni, .shani])
        let none = select(everything, ["SPIPED_DISABLE": " aesni, shani,avx2,avx512,ifma ,"])
        #expect(none.features == [.ssse3] && none.unknownDisabledNames.isEmpty)
        #expect(none.summaryLines == ["aes ct-bitsliced-ssse3-x8", "sha256 \(HMACSHA256.Lanes.simd4.backendName)",
                                      "sha256-single portable", "modexp portable"])
        // A CPU without SSSE3 has none of the later extensions either.
        let old = select(everything, ["SPIPED_DISABLE": "ssse3"])
        #expect(old.features == [] && old.constantTimeAESKernel == .simd2)
        #expect(old.summaryLines[0] == "aes ct-\(AES256ConstantTime.CTRKernel.simd2.backendName)")
        #expect(select([.aesni, .shani, .avx2], [:]).constantTimeAESKernel == .vpermAVX2)
        #expect(select([.aesni, .shani], ["SPIPED_AES": "ct"]).constantTimeAESKernel == .simd2)
        let odd = select(everything, ["SPIPED_DISABLE": "aesni,sse9,AVX2"])
        #expect(odd.features == [.ssse3, .shani, .avx2, .avx512, .ifma] && odd.unknownDisabledNames == ["sse9", "AVX2"])
    }

    @Test("Per-primitive overrides, and requests for absent hardware")
    func overrides() {
        #expect(select(everything, ["SPIPED_AES": "ct"]).aes == .constantTime)
        #expect(select(everything, ["SPIPED_AES": "table"]).aes == .table)
        #expect(select(everything, ["SPIPED_AES": "hw"]).aes == .hardware)
        #expect(select([], ["SPIPED_AES": "hw"]).aes == .constantTime)
        #expect(select(everything, ["SPIPED_AES": "bogus"]).aes == .hardware)
        let portableSHA = select(everything, ["SPIPED_SHA256": "portable"])
        #expect(portableSHA.sha256 == .portable && portableSHA.macLanes == .avx512)
        #expect(select([.avx2], ["SPIPED_SHA256": "hw"]).sha256 == .avx2)
        #expect(select([.avx2], ["SPIPED_SHA256": "portable"]).sha256 == .portable)
        #expect(select([], ["SPIPED_SHA256": "hw"]).sha256 == .portable)
        #expect(select(everything, ["SPIPED_MODEXP": "portable"]).modexp == .portable)
        #expect(select([], ["SPIPED_MODEXP": "ifma"]).modexp == .portable)
        #expect(select(everything, ["SPIPED_DISABLE": "aesni", "SPIPED_AES": "hw"]).aes == .constantTime)
    }

    @Test("The process's selection uses only detected features")
    func current() {
        let s = CryptoBackends.current
        #expect(s.detected.isSuperset(of: s.features))
        #expect(CPUFeatureSet.detected == s.detected)
        #expect(AES256.isAvailable(.hardware) == s.features.contains(.aesni))
        #expect(SHA256.isAvailable(.hardware) == s.features.contains(.shani))
        #expect(ModularExponentiationImplementation.avx512IFMA.isAvailable == s.features.contains(.ifma))
        #expect(s.macLanes.isAvailable && HMACSHA256.preferredLanes == s.macLanes)
    }
}
