import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the whole lines appended to a file since the last poll, as `tail -F` does: a last
/// line without its newline is held back until it is complete, and a file that is replaced
/// (a new inode) or truncated is read again from its start. Never blocks on a regular file.
///
/// ```swift
/// let follower = LineFollower(path: "run.jsonl")
/// let poll = try follower.poll()   // poll.lines: [(number: 1, text: "{...}")]
/// ```
public final class LineFollower {
    public struct Poll: Sendable {
        /// True when the file was replaced or truncated: earlier lines no longer hold.
        public var restarted = false
        public var lines: [(number: Int, text: String)] = []
    }

    public private(set) var path: String
    private var descriptor: Int32 = -1
    private var identity: (device: UInt64, inode: UInt64)?
    private var offset: Int64 = 0
    private var pending: [UInt8] = []
    private var lineNumber = 0
    /// A pipe or terminal (standard input): read as it comes, never reopened.
    private let isStream: Bool
    /// A stream (standard input) has reached its end: nothing more will come.
    public private(set) var ended = false

    /// A line longer than this without its newline is handed on as it is (and will read as a
    /// bad line), so a file with no newlines cannot make the follower hold unbounded memory.
    public static let longestLine = 16 << 20

    public init(path: String) {
        self.path = path
        isStream = false
    }

    /// Follows an already open stream (standard input). Reading it blocks until data arrives.
    public init(streamDescriptor: Int32, name: String) {
        path = name
        descriptor = streamDescriptor
        isStream = true
    }

    deinit { if descriptor >= 0, !isStream { close(descriptor) } }

    /// Follow another file from now on (a directory's newer stream): read like a replacement.
    public func switchTo(_ newPath: String) {
        guard newPath != path else { return }
        path = newPath
        closeFile()
    }

    /// The complete lines added since the last poll. A missing file is not an error: it may
    /// not have been created yet. Throws only when the file exists but cannot be read.
    public func poll(maxBytes: Int = 1 << 22) throws(LineError) -> Poll {
        var result = Poll()
        if isStream { return readStream(maxBytes: maxBytes) }
        var info = stat()
        guard stat(path, &info) == 0 else { return result }
        let now = (device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        if descriptor >= 0, let identity, identity != now || Int64(info.st_size) < offset {
            closeFile()
            result.restarted = true
        }
        if descriptor < 0 {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw LineError("cannot read \(path): \(String(cString: strerror(errno)))") }
            identity = now
            if lineNumber > 0 { result.restarted = true }
            offset = 0
            pending = []
            lineNumber = 0
        }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var total = 0
        while total < maxBytes {
            let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
            if count < 0 { throw LineError("cannot read \(path): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            offset += Int64(count)
            total += count
            split(buffer[0..<count], into: &result)
        }
        return result
    }

    private func readStream(maxBytes: Int) -> Poll {
        var result = Poll()
        var buffer = [UInt8](repeating: 0, count: min(maxBytes, 1 << 16))
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count > 0 { split(buffer[0..<count], into: &result) } else if count == 0 { ended = true }
        return result
    }

    private func split(_ bytes: ArraySlice<UInt8>, into result: inout Poll) {
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            pending.append(contentsOf: bytes[start..<newline])
            lineNumber += 1
            var text = String(decoding: pending, as: UTF8.self)
            if text.hasSuffix("\r") { text.removeLast() }
            if !text.trimmingCharacters(in: .whitespaces).isEmpty { result.lines.append((lineNumber, text)) }
            pending = []
            start = bytes.index(after: newline)
        }
        pending.append(contentsOf: bytes[start...])
        if pending.count > Self.longestLine {
            lineNumber += 1
            result.lines.append((lineNumber, String(decoding: pending.prefix(200), as: UTF8.self)))
            pending = []
        }
    }

    private func closeFile() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        identity = nil
    }
}
