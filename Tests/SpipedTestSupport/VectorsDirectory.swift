// Where the repository's Vectors/ folder is, found from this source file, so
// tests run from any working directory.
import Foundation

/// Absolute path of the repository's Vectors/ folder.
public let vectorsDirectory: String = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        let candidate = url.appendingPathComponent("Vectors")
        if FileManager.default.fileExists(atPath: candidate.path) { return candidate.path }
    }
    return "Vectors"
}()
