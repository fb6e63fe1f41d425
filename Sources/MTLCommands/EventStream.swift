import Foundation
import MTLData
import MTLEngine
import MTLProtocol

/// Where `train` writes its protocol events: standard output (`--json`), a file (`--events`),
/// or both. Whole lines, one writer at a time, flushed as written so a reader sees each step.
final class EventSink: Sendable {
    private let file: Locked<FileHandle?>
    private let toStandardOutput: Bool

    /// Creates (truncates) `path` when given. Throws a one-line `UsageError` when it cannot.
    init(standardOutput: Bool, path: String?) throws {
        toStandardOutput = standardOutput
        var handle: FileHandle?
        if let path {
            guard FileManager.default.createFile(atPath: path, contents: nil), let opened = FileHandle(forWritingAtPath: path) else {
                throw UsageError("--events", "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            handle = opened
        }
        file = Locked(handle)
    }

    func write(_ event: RunEvent) {
        guard let line = try? RunProtocol.line(event) else { return }
        if toStandardOutput { Console.shared.out(line) }
        file.withLock { try? $0?.write(contentsOf: Data((line + "\n").utf8)) }
    }
}

/// Reads the command channel (`--commands FILE`) and hands each command to the trainer; the
/// trainer's acknowledgement becomes an `ack` event, a line that cannot apply (malformed, or
/// refused by the run: an unknown layer, a failed save) a `command_error`.
final class CommandChannel {
    let path: String
    private let follower: LineFollower
    private let sink: EventSink
    private let tasks: [String]
    private let saveDirectory: String?

    /// Starts the channel empty (a new run must not replay an old run's commands).
    init(path: String, sink: EventSink, tasks: [String], saveDirectory: String?) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw UsageError("--commands", "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        self.path = path
        follower = LineFollower(path: path)
        self.sink = sink
        self.tasks = tasks
        self.saveDirectory = saveDirectory
    }

    /// Reads the lines appended since the last poll and sends what they ask for.
    func poll(_ trainer: Trainer) {
        let lines: [(number: Int, text: String)]
        do { lines = try follower.poll().lines } catch {
            sink.write(.commandError(.init(line: 0, message: error.description)))
            return
        }
        for (number, text) in lines {
            let command: RunCommand
            do { command = try RunProtocol.decode(RunCommand.self, from: text) } catch {
                let bad = RunProtocol.badCommand(text, error)
                sink.write(.commandError(.init(line: number, message: bad.message, id: bad.id)))
                continue
            }
            switch trainerCommand(command) {
            case .failure(let problem):
                sink.write(.commandError(.init(line: number, message: problem.description, id: command.id)))
            case .success(let translated):
                let sink = self.sink
                trainer.send(translated) { reply in
                    switch reply {
                    case .applied(let step): sink.write(.ack(.init(command, line: number, step: step)))
                    case .refused(let reason, let step): sink.write(.commandError(.init(line: number, message: reason, id: command.id, step: step)))
                    }
                }
            }
        }
    }

    /// The trainer's command for a protocol command, or why there is none.
    func trainerCommand(_ command: RunCommand) -> Result<TrainerCommand, LineError> {
        if let problem = command.problem { return .failure(LineError(problem)) }
        switch command.command {
        case .pause: return .success(.pause)
        case .resume: return .success(.resume)
        case .stop: return .success(.stop)
        case .step: return .success(.step(command.count ?? 1))
        case .setLR: return .success(.setLearningRate(command.lr!))
        case .freeze: return .success(.freeze(command.name!))
        case .unfreeze: return .success(.unfreeze(command.name!))
        case .setLossWeight:
            let task = command.task!
            guard tasks.contains(task) else {
                return .failure(LineError("no task named '\(task)' (tasks: \(tasks.joined(separator: ", ")))"))
            }
            return .success(.setLossWeight(task: task, weight: command.weight!))
        case .save:
            guard let directory = command.path ?? saveDirectory else {
                return .failure(LineError("save needs \"path\": this run has no --save directory"))
            }
            return .success(.save(directory))
        }
    }
}

extension TaskMetricValues {
    /// The values a task of this kind reports, non-finite ones as null.
    init(_ m: TaskMetrics, kind: TaskKind) {
        self.init(count: m.count, values: Dictionary(uniqueKeysWithValues: TaskMetrics.names(for: kind).map {
            ($0, m.value($0).flatMap(RunProtocol.finite))
        }))
        confusion = m.confusion
        precisionPerClass = m.precision.map { $0.map(RunProtocol.finite) }
        recallPerClass = m.recall.map { $0.map(RunProtocol.finite) }
        f1PerClass = m.f1.map { $0.map(RunProtocol.finite) }
        supportPerClass = m.support
        thresholds = m.thresholds.map { $0.map(RunProtocol.finite) }
    }

    /// Per task name, its metrics.
    static func set(_ metrics: [TaskMetrics], tasks: [String], kinds: [TaskKind]) -> [String: TaskMetricValues] {
        Dictionary(uniqueKeysWithValues: metrics.enumerated().map { (tasks[$0], TaskMetricValues($1, kind: kinds[$0])) })
    }
}

extension RunEvent.LayerConflict {
    /// Per shared layer of a measurement, cosines and magnitude similarities by task pair.
    static func layers(_ conflict: GradientConflict) -> [String: RunEvent.LayerConflict] {
        let pairs = conflict.pairNames
        func values(_ v: [Double]) -> [String: Double?] {
            Dictionary(uniqueKeysWithValues: zip(pairs, v).map { ($0, RunProtocol.finite($1)) })
        }
        return Dictionary(conflict.layers.map { ($0.name, .init(cosine: values($0.cosine), magnitudeSimilarity: values($0.magnitudeSimilarity))) },
                          uniquingKeysWith: { first, _ in first })
    }
}
