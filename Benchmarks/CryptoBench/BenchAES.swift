// TEMPORARY draft (aes helper): quick throughput probe, replaced once BenchSupport.swift lands.
import SpipedCrypto
import Foundation
func runAESBenchmarks() {
    let key = [UInt8](repeating: 0x42, count: 32)
    var buffer = [UInt8](repeating: 0, count: 1028)
    for implementation in AES256.Implementation.allCases where AES256.isAvailable(implementation) {
        let aes = AES256(key: key, implementation: implementation)
        var packets = 0
        let start = Date()
        while Date().timeIntervalSince(start) < 1.0 {
            for _ in 0..<100 {
                var ctr = AES256CTR(cipher: aes, nonce: UInt64(packets))
                buffer.withUnsafeMutableBytes { ctr.apply($0) }
                packets += 1
            }
        }
        let seconds = Date().timeIntervalSince(start)
        print(implementation, Double(packets * 1028) / seconds / 1e6, "MB/s", buffer[0])
    }
}
