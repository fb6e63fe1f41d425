import Foundation

/// A value behind a lock, shared between the training queue and its readers.
///
/// ```swift
/// let inbox = Locked<[TrainerCommand]>([])
/// inbox.withLock { $0.append(.pause) }
/// ```
///
/// A pthread mutex (through `NSLock`) rather than `Synchronization.Mutex`: ThreadSanitizer sees
/// the ordering a pthread lock gives, but not that of the futex `Mutex` uses on Linux, and
/// reported accesses under it as races.
public final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
