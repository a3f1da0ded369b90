// Counting a process's open file descriptors (/proc/<pid>/fd), to check a
// daemon returns to its baseline once the connections of a test are gone:
// a descriptor kept after a dropped connection is a leak.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum DescriptorCount {
    /// Open descriptors of `pid` now; nil if /proc cannot be read.
    static func of(_ pid: pid_t) -> Int? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") else { return nil }
        return entries.count
    }

    /// The count once it has held still for `quiet` seconds (a daemon that
    /// just started listening may still be creating its event loops' epoll
    /// and eventfd descriptors; a connection just ended may still be
    /// closing). Gives up after `timeout` and returns the last count.
    static func steady(_ pid: pid_t, quiet: Double = 0.15, timeout: Double = 3) -> Int? {
        let deadline = Date().addingTimeInterval(timeout)
        var last = of(pid)
        var since = Date()
        while Date() < deadline {
            usleep(25_000)
            let now = of(pid)
            if now != last { last = now; since = Date(); continue }
            if Date().timeIntervalSince(since) >= quiet { break }
        }
        return last
    }

    /// Each descriptor of `pid` with what it refers to ("7 -> socket:[123]"),
    /// for failure messages.
    static func describe(_ pid: pid_t) -> String {
        let directory = "/proc/\(pid)/fd"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return "?" }
        return entries.sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }.map { entry in
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + entry)) ?? "?"
            return "\(entry) -> \(target)"
        }.joined(separator: ", ")
    }

    /// Polls until `pid` has at most `limit` descriptors (connections close
    /// asynchronously); returns the last count seen (nil if unreadable).
    static func settle(_ pid: pid_t, atMost limit: Int, timeout: Double = 5) -> Int? {
        let deadline = Date().addingTimeInterval(timeout)
        var last = of(pid)
        while let count = last, count > limit, Date() < deadline {
            usleep(20_000)
            last = of(pid)
        }
        return last
    }
}
