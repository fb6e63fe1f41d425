import Foundation

/// How the learning rate moves over a run: a factor on the base rate (`--lr`, or what `<` `>`
/// made of it), as PyTorch's schedulers and Keras's callbacks do it.
///
/// - `constant`: the base rate throughout.
/// - `step:EVERY:FACTOR`: × FACTOR every EVERY epochs (`StepLR(step_size=EVERY, gamma=FACTOR)`,
///   stepped once per epoch).
/// - `cosine[:WARMUP]`: WARMUP optimizer steps rising linearly to the base rate (step s at
///   (s+1)/WARMUP of it), then a half cosine to 0 over the rest of the planned steps
///   (`LinearLR(start_factor=1/WARMUP, total_iters=WARMUP-1)` then `CosineAnnealingLR(T_max=
///   steps-WARMUP)`, stepped once per batch). Adding epochs stretches the cosine from then on.
/// - `plateau[:PATIENCE:FACTOR]`: × FACTOR once the early-stop metric (else the weighted
///   validation loss) has not improved for PATIENCE epochs (Keras's `ReduceLROnPlateau`:
///   no cooldown, the count restarts after each cut). Defaults 2 and 0.5: below early
///   stopping's default patience 3, so the rate drops before the run stops.
public enum LearningRateSchedule: Sendable, Equatable {
    case constant
    case step(every: Int, factor: Double)
    case cosine(warmup: Int)
    case plateau(patience: Int, factor: Double)

    /// What `--help` and the picker say of the forms.
    public static let summary = "constant, step:EVERY:FACTOR (× FACTOR every EVERY epochs), cosine[:WARMUP] (WARMUP steps of linear warm-up, then a cosine to 0 at the last planned step) or plateau[:PATIENCE:FACTOR] (× FACTOR after PATIENCE epochs without improvement of the early-stop metric; default 2:0.5)"

    /// The text form, as `--schedule` takes it and checkpoints store it.
    public var spec: String {
        switch self {
        case .constant: "constant"
        case .step(let every, let factor): "step:\(every):\(Self.number(factor))"
        case .cosine(let warmup): warmup == 0 ? "cosine" : "cosine:\(warmup)"
        case .plateau(let patience, let factor): "plateau:\(patience):\(Self.number(factor))"
        }
    }

    /// Parses the `--schedule` forms; throws a one-line reason.
    public static func parse(_ text: String) throws(Invalid) -> LearningRateSchedule {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func whole(_ index: Int, _ what: String, minimum: Int) throws(Invalid) -> Int {
            guard let value = Int(parts[index]), value >= minimum else {
                throw Invalid("\(what) must be a whole number ≥ \(minimum), got '\(parts[index])' in '\(text)'")
            }
            return value
        }
        func factor(_ index: Int) throws(Invalid) -> Double {
            guard let value = Double(parts[index]), value > 0, value < 1 else {
                throw Invalid("FACTOR must be a number between 0 and 1 (exclusive), got '\(parts[index])' in '\(text)'")
            }
            return value
        }
        switch (parts[0], parts.count) {
        case ("constant", 1): return .constant
        case ("step", 3): return .step(every: try whole(1, "EVERY (epochs)", minimum: 1), factor: try factor(2))
        case ("cosine", 1): return .cosine(warmup: 0)
        case ("cosine", 2): return .cosine(warmup: try whole(1, "WARMUP (steps)", minimum: 0))
        case ("plateau", 1): return .plateau(patience: 2, factor: 0.5)
        case ("plateau", 3): return .plateau(patience: try whole(1, "PATIENCE (epochs)", minimum: 1), factor: try factor(2))
        default: throw Invalid("expected \(summary); got '\(text)'")
        }
    }

    /// The factor on the base rate for the step `step` (0-based) of epoch `epoch` (0-based), in a
    /// run of `totalSteps` planned steps; plateau's factor is the state's.
    public func factor(step: Int, epoch: Int, totalSteps: Int, state: ScheduleState) -> Double {
        switch self {
        case .constant:
            return 1
        case .step(let every, let factor):
            return pow(factor, Double(epoch / every))
        case .cosine(let warmup):
            if step < warmup { return Double(step + 1) / Double(warmup) }
            let length = max(totalSteps - warmup, 1)
            let progress = Double(min(step - warmup, length)) / Double(length)
            return 0.5 * (1 + cos(Double.pi * progress))
        case .plateau:
            return state.scale
        }
    }

    /// After an epoch: plateau counts epochs without improvement and cuts its scale after
    /// `patience` of them. Returns the new scale when it cut, else nil.
    public func observe(_ value: Double, higherIsBetter: Bool, state: inout ScheduleState) -> Double? {
        guard case .plateau(let patience, let factor) = self, value.isFinite else { return nil }
        if let best = state.best, !(higherIsBetter ? value > best : value < best) {
            state.wait += 1
            if state.wait >= patience {
                state.wait = 0
                state.scale *= factor
                return state.scale
            }
        } else {
            state.best = value
            state.wait = 0
        }
        return nil
    }

    /// Why a schedule does not parse.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// Stored as its text form (`"step:2:0.5"`), readable in model.json.
extension LearningRateSchedule: Codable {
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try Self.parse(text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(spec)
    }
}

/// What a schedule remembers between epochs (plateau's best, wait and cuts), saved in the
/// checkpoint so a resumed run continues the same sequence.
public struct ScheduleState: Sendable, Codable, Equatable {
    /// Product of plateau's cuts so far.
    public var scale: Double = 1
    public var best: Double?
    public var wait = 0

    public init() {}
}

/// The rate in force: the base rate times the schedule's factor, in one place for the training
/// loop, the manual `<` `>` changes and the tests.
struct RateSchedule {
    var schedule: LearningRateSchedule
    var state = ScheduleState()

    /// The rate for a step. A constant schedule gives exactly `base`.
    func rate(base: Float, step: Int, epoch: Int, totalSteps: Int) -> Float {
        let factor = schedule.factor(step: step, epoch: epoch, totalSteps: totalSteps, state: state)
        return factor == 1 ? base : Float(Double(base) * factor)
    }

    /// The base rate that makes the rate at this position `target`: a typed rate scales the
    /// schedule from here on instead of replacing it.
    func base(for target: Double, step: Int, epoch: Int, totalSteps: Int) -> Double {
        let factor = schedule.factor(step: step, epoch: epoch, totalSteps: totalSteps, state: state)
        return factor > 0 ? target / factor : target
    }
}

extension Float {
    /// The value as the shortest decimal that reads back as it (0.001, not 0.0010000000474974513),
    /// for rates shown and printed.
    var shortestDouble: Double { Double("\(self)") ?? Double(self) }
}
