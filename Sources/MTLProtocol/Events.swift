import Foundation

/// The protocol a training run speaks: one JSON object per line, `{"event": KIND, ...}`.
/// `mtl-tui train --json` writes it, `mtl-tui watch` reads it, and the Python bridge writes it
/// for PyTorch runs. `protocol/events.schema.json` documents every field.
public enum RunProtocol {
    /// The version in `start`. A reader shows a newer stream as far as it understands it, with a
    /// warning, and sends its run no commands (`StreamRun.controlsOff`).
    public static let version = 1
}

/// One line of an event stream.
public enum RunEvent: Sendable, Equatable {
    case start(Start)
    case step(Step)
    case epoch(Epoch)
    case message(Message)
    case done(Done)
    /// A command from the command channel took effect.
    case ack(Ack)
    /// A line of the command channel could not be read (the rest still are).
    case commandError(CommandError)
    /// A task's hardest examples and confusion counts (ExamplesEvent.swift).
    case examples(Examples)
    /// An event this reader does not know (a newer producer): kept by name, not an error.
    case other(String)

    /// The name in the `event` field.
    public var name: String {
        switch self {
        case .start: "start"
        case .step: "step"
        case .epoch: "epoch"
        case .message: "message"
        case .done: "done"
        case .ack: "ack"
        case .commandError: "command_error"
        case .examples: "examples"
        case .other(let name): name
        }
    }
}

/// Per metric set (`train`, `val`, `test`), per task, the task's metrics.
public typealias MetricSets = [String: [String: TaskMetricValues]]

extension RunEvent {
    public struct Task: Codable, Sendable, Equatable {
        public var name: String
        /// `binary`, `multiclass`, `multilabel` or `regression`.
        public var kind: String
        /// The class (or label) names, in the order of confusion matrices and per-class arrays.
        public var classes: [String]?
        /// The loss when not the kind's default (`focal(gamma=2)`, with OHEM…).
        public var loss: String?
        public init(name: String, kind: String, classes: [String]? = nil) {
            self.name = name
            self.kind = kind
            self.classes = classes
        }
    }

    public struct Start: Codable, Sendable, Equatable {
        public var version: Int = RunProtocol.version
        public var tasks: [Task]
        /// The data file, the split sizes (`train`, `val`, `test`), the spec and its source, the model.
        public var data: String?
        public var rows: [String: Int]?
        public var spec: String?
        public var specSource: String?
        public var model: String?
        public var parameters: Int?
        public var epochs: Int?
        /// Optimizer steps in one epoch, for progress before the first epoch ends.
        public var stepsPerEpoch: Int?
        /// The learning rate at the start (step events may report later ones).
        public var lr: Double?
        /// Whether the producer reads the command channel (`STREAM.commands`).
        public var acceptsCommands: Bool?
        /// The command file the producer reads, as it named it.
        public var commands: String?
        /// Who wrote the stream (`mtl-tui`, `python`…).
        public var producer: String?
        /// The model's layers (names `freeze` takes) and their parameter counts.
        public var layers: [Layer]?
        /// Counts of the corrections replayed before training (`dropped`, `relabeled`, `weighted`, `unmatched`).
        public var corrections: [String: Int]?
        /// Rows `--unlabeled` added to training, for pseudo-labels (absent: none).
        public var unlabeled: Int?

        public init(tasks: [Task]) { self.tasks = tasks }

        enum CodingKeys: String, CodingKey {
            case version, tasks, data, rows, spec, model, parameters, epochs, commands, producer, lr, layers, corrections, unlabeled
            case specSource = "spec_source", acceptsCommands = "accepts_commands", stepsPerEpoch = "steps_per_epoch"
        }
    }

    public struct Layer: Codable, Sendable, Equatable {
        public var name: String
        public var parameters: Int
        public init(name: String, parameters: Int) { self.name = name; self.parameters = parameters }
    }

    public struct Step: Codable, Sendable, Equatable {
        public var step: Int
        public var epoch: Int
        /// Per task, the batch's loss (null where the batch had no label for the task).
        public var loss: [String: Double?]
        /// The weighted total loss that was minimised.
        public var total: Double?
        /// The learning rate in force, when the producer reports it.
        public var lr: Double?
        /// Per shared layer, the task gradients' agreement, when measured on this step.
        public var gradients: [String: LayerConflict]?

        public init(step: Int, epoch: Int, loss: [String: Double?], total: Double?) {
            self.step = step
            self.epoch = epoch
            self.loss = loss
            self.total = total
        }
    }

    public struct LayerConflict: Codable, Sendable, Equatable {
        /// Per task pair `A|B`, the cosine of their gradients (null where not measured).
        public var cosine: [String: Double?]
        public var magnitudeSimilarity: [String: Double?]
        public init(cosine: [String: Double?], magnitudeSimilarity: [String: Double?]) {
            self.cosine = cosine
            self.magnitudeSimilarity = magnitudeSimilarity
        }
        enum CodingKeys: String, CodingKey { case cosine, magnitudeSimilarity = "magnitude_similarity" }
    }

    public struct Epoch: Codable, Sendable, Equatable {
        public var epoch: Int
        public var step: Int
        public var seconds: Double?
        /// Σ w_t · validation loss_t; null without validation rows.
        public var totalValLoss: Double?
        public var metrics: MetricSets
        /// The learning rate of the epoch's last step (absent from producers that do not say).
        public var lr: Double?
        /// Rows training on pseudo-labels this epoch, per task (with `--pseudo-label`).
        public var pseudoLabels: [String: Int]?

        public init(epoch: Int, step: Int, seconds: Double?, totalValLoss: Double?, metrics: MetricSets, lr: Double? = nil) {
            self.epoch = epoch
            self.step = step
            self.seconds = seconds
            self.totalValLoss = totalValLoss
            self.metrics = metrics
            self.lr = lr
        }

        enum CodingKeys: String, CodingKey {
            case epoch, step, seconds, metrics, lr, totalValLoss = "total_val_loss", pseudoLabels = "pseudo_labels"
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(epoch, forKey: .epoch)
            try c.encode(step, forKey: .step)
            try c.encodeIfPresent(seconds, forKey: .seconds)
            try c.encode(totalValLoss, forKey: .totalValLoss)   // null, not absent, without validation
            try c.encode(metrics, forKey: .metrics)
            try c.encodeIfPresent(lr, forKey: .lr)
            try c.encodeIfPresent(pseudoLabels, forKey: .pseudoLabels)
        }
    }

    public struct Message: Codable, Sendable, Equatable {
        /// `command`, `info`, `warning` or `error`.
        public var kind: String
        public var step: Int
        public var message: String
        public init(kind: String, step: Int, message: String) { self.kind = kind; self.step = step; self.message = message }
    }

    public struct Done: Codable, Sendable, Equatable {
        /// `finished`, `stopped` or `diverged`.
        public var state: String
        public var step: Int
        /// The epoch whose model the run ends with (after early stopping, the restored one).
        public var epoch: Int?
        public var metrics: MetricSets
        /// The single-task baselines' metrics and the run's Δp against them, per set.
        public var baselines: MetricSets?
        public var deltaP: [String: Double?]?

        public init(state: String, step: Int, metrics: MetricSets) { self.state = state; self.step = step; self.metrics = metrics }
        enum CodingKeys: String, CodingKey { case state, step, epoch, metrics, baselines, deltaP = "delta_p" }
    }

    public struct Ack: Codable, Sendable, Equatable {
        /// The command's `id`, when it had one.
        public var id: String?
        /// The command's line in the command file.
        public var line: Int?
        /// The command's name (`pause`, `set_lr`…).
        public var command: String
        /// Completed steps when it took effect: it applies from step `step + 1` on.
        public var step: Int
        /// The values it set, repeated so every reader (not only its sender) knows them.
        public var task: String?
        public var weight: Double?
        public var lr: Double?
        public var name: String?

        public init(id: String?, line: Int?, command: String, step: Int) {
            self.id = id
            self.line = line
            self.command = command
            self.step = step
        }

        /// The acknowledgement of `command`, with the values it set.
        public init(_ command: RunCommand, line: Int?, step: Int) {
            self.init(id: command.id, line: line, command: command.command.rawValue, step: step)
            task = command.task
            weight = command.weight
            lr = command.lr
            name = command.name
        }
    }

    public struct CommandError: Codable, Sendable, Equatable {
        public var line: Int
        public var message: String
        public var id: String?
        /// The steps the run had completed when it refused the command; absent for a line refused
        /// before it reached the run (it did not decode, or names no task).
        public var step: Int?
        public init(line: Int, message: String, id: String? = nil, step: Int? = nil) {
            self.line = line; self.message = message; self.id = id; self.step = step
        }
    }
}

/// One task's metrics in a set: `count`, named values (`loss`, `accuracy`, `macro_f1`, `mae`…),
/// and per-class arrays where the task has classes. Named values are null when undefined.
public struct TaskMetricValues: Codable, Sendable, Equatable {
    /// Rows with the task's label the values were computed on (0: none, and the values are null);
    /// nil when the producer does not know it (a Lightning or Keras callback). Written as null; read
    /// also when absent, since a viewer needs it only to tell a measured task from one that was not.
    public var count: Int?
    public var values: [String: Double?]
    public var confusion: [[Int]]?
    public var precisionPerClass: [Double?]?
    public var recallPerClass: [Double?]?
    public var f1PerClass: [Double?]?
    public var supportPerClass: [Int]?
    public var thresholds: [Double?]?

    public init(count: Int?, values: [String: Double?]) { self.count = count; self.values = values }

    private static let fixed: Set<String> = ["count", "confusion", "precision_per_class", "recall_per_class",
                                             "f1_per_class", "support_per_class", "thresholds"]

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        count = try c.decodeIfPresent(Int.self, forKey: AnyKey("count"))
        confusion = try c.decodeIfPresent([[Int]].self, forKey: AnyKey("confusion"))
        precisionPerClass = try c.decodeIfPresent([Double?].self, forKey: AnyKey("precision_per_class"))
        recallPerClass = try c.decodeIfPresent([Double?].self, forKey: AnyKey("recall_per_class"))
        f1PerClass = try c.decodeIfPresent([Double?].self, forKey: AnyKey("f1_per_class"))
        supportPerClass = try c.decodeIfPresent([Int].self, forKey: AnyKey("support_per_class"))
        thresholds = try c.decodeIfPresent([Double?].self, forKey: AnyKey("thresholds"))
        values = [:]
        for key in c.allKeys where !Self.fixed.contains(key.stringValue) {
            values[key.stringValue] = try c.decode(Double?.self, forKey: key)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        try c.encode(count, forKey: AnyKey("count"))
        for (name, value) in values where !Self.fixed.contains(name) { try c.encode(value, forKey: AnyKey(name)) }
        try c.encodeIfPresent(confusion, forKey: AnyKey("confusion"))
        try c.encodeIfPresent(precisionPerClass, forKey: AnyKey("precision_per_class"))
        try c.encodeIfPresent(recallPerClass, forKey: AnyKey("recall_per_class"))
        try c.encodeIfPresent(f1PerClass, forKey: AnyKey("f1_per_class"))
        try c.encodeIfPresent(supportPerClass, forKey: AnyKey("support_per_class"))
        try c.encodeIfPresent(thresholds, forKey: AnyKey("thresholds"))
    }
}

/// A coding key for objects whose keys are data (task names, metric names).
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

extension RunEvent: Codable {
    private enum Key: String, CodingKey { case event }

    public init(from decoder: Decoder) throws {
        let name = try decoder.container(keyedBy: Key.self).decode(String.self, forKey: .event)
        switch name {
        case "start": self = .start(try Start(from: decoder))
        case "step": self = .step(try Step(from: decoder))
        case "epoch": self = .epoch(try Epoch(from: decoder))
        case "message": self = .message(try Message(from: decoder))
        case "done": self = .done(try Done(from: decoder))
        case "ack": self = .ack(try Ack(from: decoder))
        case "command_error": self = .commandError(try CommandError(from: decoder))
        case "examples": self = .examples(try Examples(from: decoder))
        default: self = .other(name)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(name, forKey: .event)
        switch self {
        case .start(let e): try e.encode(to: encoder)
        case .step(let e): try e.encode(to: encoder)
        case .epoch(let e): try e.encode(to: encoder)
        case .message(let e): try e.encode(to: encoder)
        case .done(let e): try e.encode(to: encoder)
        case .ack(let e): try e.encode(to: encoder)
        case .commandError(let e): try e.encode(to: encoder)
        case .examples(let e): try e.encode(to: encoder)
        case .other: break
        }
    }
}
