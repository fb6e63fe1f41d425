import Dispatch
import Foundation
import MTLData
import Synchronization

/// Trains the single-task baselines of a run, one task after another, on its own queue, beside
/// (or before) the multi-task run; the UI polls `snapshot` as it polls the trainer's.
///
/// ```swift
/// let baselines = BaselineRunner(setup)
/// baselines.start()
/// baselines.snapshot.results[t]?.validation   // once task t's model has finished
/// ```
public final class BaselineRunner: Sendable {
    /// One task's model trained alone: the kept epoch's validation metrics and the test metrics.
    public struct Result: Sendable, Codable, Equatable {
        public var task: String
        public var validation: TaskMetrics
        public var test: TaskMetrics?
        public var epochs: Int
    }

    public struct Snapshot: Sendable {
        public var tasks: [String] = []
        /// Per task, once its model has finished.
        public var results: [Result?] = []
        /// The task training now, with its progress in [0, 1].
        public var current: (task: Int, progress: Double)?
        public var finished = false
        /// Why a baseline could not be trained, if one could not.
        public var failure: String?
    }

    public let setup: TrainingSetup
    private let shared: Locked<Snapshot>
    private let stopRequested = Atomic<Bool>(false)
    private let queue = DispatchQueue(label: "mtl-tui.baselines", qos: .utility)
    private let done = DispatchSemaphore(value: 0)

    public init(_ setup: TrainingSetup, reusing saved: [Result] = []) {
        self.setup = setup
        var snapshot = Snapshot()
        snapshot.tasks = setup.model.heads.map(\.name)
        snapshot.results = snapshot.tasks.map { task in saved.first { $0.task == task } }
        snapshot.finished = snapshot.results.allSatisfy { $0 != nil }
        shared = Locked(snapshot)
    }

    public var snapshot: Snapshot { shared.withLock { $0 } }

    public func start() {
        queue.async {
            defer { self.done.signal() }
            for t in self.setup.model.heads.indices where self.snapshot.results[t] == nil {
                if self.stopRequested.load(ordering: .relaxed) { return }
                let trainer = Trainer(self.setup.singleTask(t))
                trainer.start()
                while !trainer.waitUntilFinished(seconds: 0.1) {
                    if self.stopRequested.load(ordering: .relaxed) { trainer.send(.stop) }
                    let s = trainer.snapshot
                    let total = Double(max(s.epochs * s.stepsPerEpoch, 1))
                    self.shared.withLock { $0.current = (t, min(1, Double(s.step) / total)) }
                }
                let s = trainer.snapshot
                guard s.state == .finished else {
                    self.shared.withLock { $0.current = nil; $0.failure = s.divergence ?? "stopped" }
                    return
                }
                let validation = s.keptModelValidation?.first
                self.shared.withLock {
                    $0.results[t] = validation.map { Result(task: s.tasks[0], validation: $0, test: s.test?.first, epochs: s.history.count) }
                    $0.current = nil
                }
            }
            self.shared.withLock { $0.finished = true }
        }
    }

    public func stop() { stopRequested.store(true, ordering: .relaxed) }

    @discardableResult
    public func waitUntilFinished(seconds: Double = .infinity) -> Bool {
        guard done.wait(timeout: seconds.isFinite ? .now() + seconds : .distantFuture) == .success else { return false }
        done.signal()
        return true
    }

    /// Δp of the multi-task `metrics` (validation or test, in task order) against these
    /// baselines; nil until every baseline has finished.
    public static func deltaP(_ metrics: [TaskMetrics], baselines: [Result?], kinds: [TaskKind], test: Bool) -> Double? {
        let single = baselines.compactMap { test ? $0?.test : $0?.validation }
        guard single.count == metrics.count else { return nil }
        return Baselines.deltaP(multiTask: metrics, singleTask: single, kinds: kinds)
    }
}
