// spiped-bench packets: the packet layer alone, in process: seal 64 KiB of
// plaintext (64 packets, what one read holds) and open it again, under the
// backends the environment selects. A figure to compare builds or
// environments with each other (no openssl equivalent).
import SpipedProtocol

func runPacketBenchmarks() {
    print("== packet layer: seal + open 64 KiB per call (MB/s of plaintext per CPU second) ==")
    let key = [UInt8](repeating: 0x42, count: 32), macKey = [UInt8](repeating: 0x24, count: 32)
    let plaintext = [UInt8](repeating: 0x5a, count: 64 * 1024)
    var sealed = [UInt8](repeating: 0, count: SpipedSession.sealedByteCount(forPlaintextByteCount: plaintext.count))
    var opened = [UInt8](repeating: 0, count: plaintext.count)
    let sealer = PacketSealer(encryptionKey: key, macKey: macKey)
    let opener = PacketOpener(encryptionKey: key, macKey: macKey)
    let speed = plaintext.withUnsafeBytes { input in
        sealed.withUnsafeMutableBytes { wire in
            opened.withUnsafeMutableBytes { out in
                measureMBps(bytesPerIteration: plaintext.count, minSeconds: 2) {
                    let n = sealer.seal(input, into: wire)
                    let result = opener.openAvailable(UnsafeRawBufferPointer(rebasing: wire[0..<n]), into: out)
                    precondition(result.failure == nil && result.produced == input.count)
                }
            }
        }
    }
    print("seal + open 64 KiB: \(formatFigure(speed)) MB/s")
    benchSink(opened)
}
