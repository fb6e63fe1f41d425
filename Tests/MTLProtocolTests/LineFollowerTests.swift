import Foundation
import MTLProtocol
import XCTest

final class LineFollowerTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("follower-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func append(_ text: String, to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    func testFollowsAppendsAndHoldsBackAnIncompleteLine() throws {
        let path = directory.appendingPathComponent("run.jsonl").path
        let follower = LineFollower(path: path)
        XCTAssertTrue(try follower.poll().lines.isEmpty, "a file not yet created is waited for")
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("a\n\nb\r\nc".utf8)))
        var poll = try follower.poll()
        XCTAssertEqual(poll.lines.map(\.number), [1, 3])
        XCTAssertEqual(poll.lines.map(\.text), ["a", "b"])
        XCTAssertFalse(poll.restarted)
        try append("d\ne\n", to: path)
        poll = try follower.poll()
        XCTAssertEqual(poll.lines.map(\.text), ["cd", "e"])
        XCTAssertEqual(poll.lines.map(\.number), [4, 5])
        XCTAssertTrue(try follower.poll().lines.isEmpty)
    }

    func testReadsAReplacedOrTruncatedFileFromItsStart() throws {
        let path = directory.appendingPathComponent("run.jsonl").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("one\ntwo\n".utf8)))
        let follower = LineFollower(path: path)
        XCTAssertEqual(try follower.poll().lines.count, 2)
        // Replaced: a new file renamed over the old one.
        let fresh = directory.appendingPathComponent("fresh").path
        XCTAssertTrue(FileManager.default.createFile(atPath: fresh, contents: Data("new\n".utf8)))
        XCTAssertEqual(rename(fresh, path), 0)
        var poll = try follower.poll()
        XCTAssertTrue(poll.restarted)
        XCTAssertEqual(poll.lines.map(\.text), ["new"])
        XCTAssertEqual(poll.lines.map(\.number), [1])
        // Truncated in place and written again, shorter.
        try append("more lines\n", to: path)
        _ = try follower.poll()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data("x\n".utf8))
        try handle.close()
        poll = try follower.poll()
        XCTAssertTrue(poll.restarted)
        XCTAssertEqual(poll.lines.map(\.text), ["x"])
    }
}

extension LineFollowerTests {
    func testALineWithoutEndIsHandedOnPastTheLimit() throws {
        let path = directory.appendingPathComponent("flood.jsonl").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(repeating: UInt8(ascii: "x"), count: LineFollower.longestLine + 300_000)))
        try append("\n{}\n", to: path)
        let follower = LineFollower(path: path)
        var lines: [(number: Int, text: String)] = []
        for _ in 0..<8 { lines += try follower.poll().lines }   // 4 MiB a poll
        XCTAssertEqual(lines.map(\.number), [1, 2, 3])
        guard lines.count == 3 else { return }
        XCTAssertEqual(lines[0].text.count, 200, "only the start of a flood is kept")
        XCTAssertEqual(lines[2].text, "{}")
    }
}
