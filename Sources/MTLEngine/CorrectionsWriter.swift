import Foundation
import MTLData

/// Appends corrections to a corrections file, one line per call: open for append, write, fsync,
/// close. A crash loses at most the correction not yet appended; nothing is ever rewritten.
public struct CorrectionsWriter: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// `reviews.csv` → `reviews.corrections.jsonl` beside it (a data directory: `DIR.corrections.jsonl`).
    public static func defaultPath(forData data: String) -> String {
        var base = data
        while base.count > 1, base.hasSuffix("/") { base.removeLast() }
        var isDirectory: ObjCBool = false
        if !(FileManager.default.fileExists(atPath: base, isDirectory: &isDirectory) && isDirectory.boolValue) {
            let ext = (base as NSString).pathExtension
            if !ext.isEmpty { base = String(base.dropLast(ext.count + 1)) }
        }
        return base + ".corrections.jsonl"
    }

    /// Appends `line` and a newline, durably; throws a one-line reason naming the file.
    public func append(_ line: String) throws(DataError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DataError(file: path, "cannot open the corrections file for appending: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array((line + "\n").utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw DataError(file: path, "cannot write the corrections file: \(String(cString: strerror(errno)))") }
            written += n
        }
        guard fsync(fd) == 0 else { throw DataError(file: path, "cannot flush the corrections file to disk: \(String(cString: strerror(errno)))") }
    }
}
