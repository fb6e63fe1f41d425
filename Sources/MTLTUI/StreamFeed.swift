import Foundation
import MTLEngine
import MTLProtocol

/// One followed event stream: the run read from it so far and where it is read from. Its own
/// reader thread writes both; the UI thread copies them out. `watch` holds one per stream.
final class StreamFeed: Sendable {
    let source: StreamWatch.Source
    let run = Locked(StreamRun())
    /// The file being followed and why it cannot be read, for the title and the footer.
    let following = Locked<(path: String, problem: String?)>(("", nil))

    init(_ source: StreamWatch.Source) {
        self.source = source
        let path: String = switch source {
        case .file(let path): path
        case .directory(let directory): directory
        case .descriptor: "-"
        }
        following.withLock { $0.path = path }
    }

    var current: StreamRun { run.withLock { $0 } }
    var path: String { following.withLock { $0.path } }
    var problem: String? { following.withLock { $0.problem } }

    /// The name in the title and the runs view: the stream's file name.
    var name: String { path == "-" ? "standard input" : (path as NSString).lastPathComponent }

    /// Follows the stream on a thread of its own until `stop` says so.
    func startReading(until stop: @escaping @Sendable () -> Bool) {
        let thread = Thread { [self] in follow(until: stop) }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Reads the stream as it grows until `stop` says so (or standard input ends).
    func follow(until stop: () -> Bool) {
        let follower = makeFollower()
        while !stop() {
            let read = readAvailable(follower)
            if follower.ended { following.withLock { $0.problem = "the stream ended" }; return }
            if read == 0 { Thread.sleep(forTimeInterval: 0.1) }
        }
    }

    /// The stream as it is now (standard input: to its end), for `--dump-screen`.
    func readOnce() {
        let follower = makeFollower()
        var isPipe = false
        if case .descriptor = source { isPipe = true }
        repeat { _ = readAvailable(follower) } while isPipe && !follower.ended
    }

    func makeFollower() -> LineFollower {
        switch source {
        case .file(let path): LineFollower(path: path)
        case .directory(let directory): LineFollower(path: Self.newestStream(in: directory) ?? directory + "/*.jsonl")
        case .descriptor(let descriptor): LineFollower(streamDescriptor: descriptor, name: "-")
        }
    }

    /// One poll of the stream into the run; returns how many lines it read.
    func readAvailable(_ follower: LineFollower) -> Int {
        if case .directory(let directory) = source, let newest = Self.newestStream(in: directory) { follower.switchTo(newest) }
        var problem: String?
        var read = 0
        do {
            let poll = try follower.poll()
            read = poll.lines.count
            // Decoded before taking the lock, so the UI thread never waits on JSON parsing.
            let decoded = poll.lines.map { (StreamRun.decode($0.text), $0.number) }
            run.withLock { run in
                if poll.restarted { run.reset() }
                for (event, number) in decoded { run.read(event, number: number) }
                if !decoded.isEmpty { run.clock(StepRate.now) }
            }
        } catch {
            problem = error.description
        }
        if case .file(let path) = source, !FileManager.default.fileExists(atPath: path) { problem = "waiting for \(path) to appear" }
        following.withLock { $0 = (follower.path, problem) }
        return read
    }

    /// The most recently modified `*.jsonl` file in a directory.
    static func newestStream(in directory: String) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".jsonl") }.map { (directory as NSString).appendingPathComponent($0) }
            .max { modified($0) < modified($1) }
    }

    private static func modified(_ path: String) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
    }
}
