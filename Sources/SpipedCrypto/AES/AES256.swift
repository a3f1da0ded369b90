// Run-time choice between the AES-256 variants, so the rest of the program
// names one type and gets AES-NI where the CPU has it, the constant-time
// bitsliced code otherwise, and the (not constant-time) table code only when
// someone asks for it.
//
// Guarantees: the choice is made once per value at init; every call, bulk
// CTR included, is forwarded to the chosen variant's own implementation (no
// per-block dispatch). Requesting an implementation this machine cannot run
// falls back to the constant-time one; `implementation` reports what is used.

/// AES-256 with run-time dispatch: hardware (AES-NI) when supported, otherwise
/// the constant-time bitsliced variant; the table variant only on request.
///
/// The default choice comes from ``CryptoBackends`` (SPIPED_AES=hw|ct|table and
/// SPIPED_DISABLE=aesni change it).
public struct AES256: AES256BlockCipher {
    /// The AES-256 implementations this type can dispatch to.
    public enum Implementation: CaseIterable, Sendable {
        /// ``AES256Hardware``: the CPU's AES instructions; constant-time.
        case hardware
        /// ``AES256ConstantTime``: bitsliced portable code; constant-time.
        case constantTime
        /// ``AES256Table``: lookup tables; fast but NOT constant-time.
        case table
    }

    private enum Variant {
        case hardware(AES256Hardware)
        case constantTime(AES256ConstantTime)
        case table(AES256Table)
    }

    private var variant: Variant

    /// Whether `implementation` can run in this process (hardware needs the
    /// CPU feature and a build that includes the hardware kernels).
    public static func isAvailable(_ implementation: Implementation) -> Bool {
        switch implementation {
        case .hardware: return AES256Hardware.isSupported
        case .constantTime, .table: return true
        }
    }

    /// The implementation ``init(key:)`` uses: hardware if supported, else
    /// constant-time, as resolved once by ``CryptoBackends`` (`SPIPED_AES=hw|ct|table`
    /// overrides; `hw` without AES instructions, or an unknown value, gives the default).
    public static var preferredImplementation: Implementation { CryptoBackends.current.aes }

    /// Expands a 32-byte key for ``preferredImplementation``.
    public init(key: some Collection<UInt8>) {
        self.init(key: key, implementation: AES256.preferredImplementation)
    }

    /// Expands a 32-byte key for the given implementation; an implementation
    /// that is not available here is replaced by ``Implementation/constantTime``.
    public init(key: some Collection<UInt8>, implementation: Implementation) {
        switch implementation {
        case .hardware where AES256.isAvailable(.hardware):
            variant = .hardware(AES256Hardware(key: key))
        case .table:
            variant = .table(AES256Table(key: key))
        case .hardware, .constantTime:
            variant = .constantTime(AES256ConstantTime(key: key))
        }
    }

    /// The implementation this value actually uses.
    public var implementation: Implementation {
        switch variant {
        case .hardware: return .hardware
        case .constantTime: return .constantTime
        case .table: return .table
        }
    }

    /// Encrypts one 16-byte block; `input` and `output` may be the same.
    public func encryptBlock(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer) {
        switch variant {
        case .hardware(let c): c.encryptBlock(input, output)
        case .constantTime(let c): c.encryptBlock(input, output)
        case .table(let c): c.encryptBlock(input, output)
        }
    }

    /// Decrypts one 16-byte block; `input` and `output` may be the same.
    public func decryptBlock(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer) {
        switch variant {
        case .hardware(let c): c.decryptBlock(input, output)
        case .constantTime(let c): c.decryptBlock(input, output)
        case .table(let c): c.decryptBlock(input, output)
        }
    }

    /// XORs the spiped CTR keystream into `buffer` with the chosen variant's
    /// bulk implementation.
    public func xorKeystream(nonce: UInt64, firstBlock: UInt64, _ buffer: UnsafeMutableRawBufferPointer) {
        switch variant {
        case .hardware(let c): c.xorKeystream(nonce: nonce, firstBlock: firstBlock, buffer)
        case .constantTime(let c): c.xorKeystream(nonce: nonce, firstBlock: firstBlock, buffer)
        case .table(let c): c.xorKeystream(nonce: nonce, firstBlock: firstBlock, buffer)
        }
    }

    /// Overwrites the expanded key of the chosen variant.
    public mutating func wipe() {
        switch variant {
        case .hardware(var c): c.wipe(); variant = .hardware(c)
        case .constantTime(var c): c.wipe(); variant = .constantTime(c)
        case .table(var c): c.wipe(); variant = .table(c)
        }
    }
}
