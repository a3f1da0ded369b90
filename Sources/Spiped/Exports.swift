// What `import Spiped` brings besides the module's own types: the key type
// (and, through SpipedNet, its `init(contentsOfFile:)`), so an application
// needs no other import.
@_exported import struct SpipedProtocol.SpipedKey
@_exported import struct SpipedProtocol.HandshakeOptions
