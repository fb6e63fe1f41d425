import Foundation
#if canImport(Glibc)
import Glibc
#endif
import MTLData

/// A saved run: `model.safetensors` (weights, PyTorch layout and names such as
/// `trunk.conv.weight`, `head.polarity.weight`), `optimizer.safetensors` (moments),
/// `best.safetensors` (the best epoch's weights, with early stopping), `last.safetensors` (the
/// last trained weights, where the run ended on the best epoch's: what `--resume` continues) and `model.json`
/// (architecture, data encoding, training settings and position), so that
///
/// ```python
/// from safetensors.torch import load_file
/// weights = load_file("run/model.safetensors")
/// ```
/// works in PyTorch, and `--resume run` continues the run bit for bit.
///
/// A save replaces the whole directory in one step (`CheckpointDirectory`), and the sidecar
/// records each weight file's size and hash, so a reader never mixes two moments. Reading
/// checks every field of the sidecar against the architecture and the weights
/// (`Info.validate`) before any is used as a size, an offset or an index.
public struct Checkpoint: Sendable {
    public struct Position: Sendable, Codable, Equatable {
        /// The next batch to train: `batch` of `epoch`; `step` optimizer steps are done.
        public var epoch: Int
        public var batch: Int
        public var step: Int
    }

    public struct Best: Sendable, Codable, Equatable {
        public var epoch: Int
        public var value: Double
        public var epochsWithoutImprovement: Int
    }

    /// A weight file as it was written: its size and FNV-1a 64-bit hash.
    public struct FileDigest: Sendable, Codable, Equatable {
        public var bytes: Int
        public var fnv1a64: String

        init(_ data: [UInt8]) {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in data { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            bytes = data.count
            fnv1a64 = String(hash, radix: 16)
        }
    }

    public struct Info: Sendable, Codable {
        /// 1: the first release. 2: whole-directory saves and a digest of every weight file.
        /// 3: `last.safetensors` may be listed (a release reading 2 refuses it as a stranger
        /// file; with 3 it says the checkpoint is newer than it reads).
        public static let currentVersion = 3
        public var format = "mtl-tui-checkpoint"
        public var version = Info.currentVersion
        public var model: ModelConfig
        public var encoder: DataEncoder
        public var training: TrainingConfig
        public var position: Position
        public var layerSteps: [String: Int]
        public var history: [EpochRecord]
        public var best: Best?
        public var tensors: [ParameterTensor]
        /// Each weight file's digest (version 2 on; nil in version 1).
        public var files: [String: FileDigest]?
        /// The weighting strategy's own state (nil before strategies had any).
        public var weighting: WeightingState?
        /// Multi-label decision thresholds by task name, one per label in (0, 1), tuned on the
        /// validation rows when training ended (nil: every label decides at 0.5).
        public var thresholds: [String: [Float]]?
        /// The learning-rate schedule's state (nil before schedules existed: a fresh state).
        public var schedule: ScheduleState?
        /// The inputs of the run's train, validation and test rows (nil before this was kept),
        /// so that `eval` can say which rows of a file the model has seen.
        public var split: SplitDigest? = nil
    }

    /// What a checkpoint is read for: `resume` also needs the optimizer's moments and the best
    /// epoch's weights.
    public enum Use: Sendable { case inference, resume }

    public var info: Info
    /// Flat buffers in the model's own layout. Read for `.resume`, `parameters` are the weights
    /// training continues from: `last.safetensors` where the run ended on other weights.
    public var parameters: [Float]
    public var first: [Float]?
    public var second: [Float]?
    public var bestParameters: [Float]?

    // MARK: Writing

    public static func write(to directory: String, info: Info, model: Model, optimizer: Optimizer?,
                             bestParameters: FloatBuffer?, lastParameters: FloatBuffer? = nil) throws {
        func tensors(_ flat: UnsafePointer<Float>, prefix: String) -> [(String, SafeTensors.Tensor)] {
            info.tensors.map { (prefix + $0.name, SafeTensors.Tensor(shape: $0.exportShape, values: $0.exported(from: flat))) }
        }
        let metadata = ["format": "pt", "producer": "mtl-tui"]
        var files = [(name: "model.safetensors", bytes: SafeTensors.encode(tensors(model.parameters.pointer, prefix: ""), metadata: metadata))]
        if let optimizer {
            var moments = tensors(optimizer.first.pointer, prefix: optimizer.config.kind == .sgd ? "momentum_buffer." : "exp_avg.")
            if optimizer.config.kind != .sgd { moments += tensors(optimizer.second.pointer, prefix: "exp_avg_sq.") }
            files.append(("optimizer.safetensors", SafeTensors.encode(moments, metadata: metadata)))
        }
        if let bestParameters {
            files.append(("best.safetensors", SafeTensors.encode(tensors(bestParameters.pointer, prefix: ""), metadata: metadata)))
        }
        if let lastParameters {
            files.append(("last.safetensors", SafeTensors.encode(tensors(lastParameters.pointer, prefix: ""), metadata: metadata)))
        }
        var info = info
        info.version = Info.currentVersion
        info.files = Dictionary(uniqueKeysWithValues: files.map { ($0.name, FileDigest($0.bytes)) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { files.append(("model.json", [UInt8](try encoder.encode(info)))) } catch {
            throw CheckpointError((directory as NSString).appendingPathComponent("model.json"), "cannot encode: \(error)")
        }
        try CheckpointDirectory.write(files, to: directory)
    }

    /// Why a checkpoint cannot be saved at `directory` (a file, or a directory of other files), or nil.
    public static func problem(saving directory: String) -> String? { CheckpointDirectory.problem(saving: directory) }

    // MARK: Reading

    public static func read(from directory: String, for use: Use = .inference) throws -> Checkpoint {
        let directory = CheckpointDirectory.resolve(directory)
        let path = { (name: String) in (directory as NSString).appendingPathComponent(name) }
        guard let json = FileManager.default.contents(atPath: path("model.json")) else {
            // A file (its model.json, say) or a typo is named as such, not as a directory without model.json.
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
                throw CheckpointError(directory, "no such directory")
            }
            guard isDirectory.boolValue else {
                let parent = (directory as NSString).deletingLastPathComponent
                throw CheckpointError(directory, "is a file: pass its directory (\(parent.isEmpty ? "." : parent))")
            }
            throw CheckpointError(directory, "not a checkpoint directory (no model.json)")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let info: Info
        do { info = try DecodingMessage.decode(Info.self, from: json, with: decoder) } catch {
            throw CheckpointError(path("model.json"), error.description)
        }
        try info.validate(file: path("model.json"))

        /// The file's tensors, checked against its digest and the architecture; nil when it is absent.
        func load(_ file: String, prefixes: [String], required: Bool) throws -> [[Float]]? {
            guard let data = FileManager.default.contents(atPath: path(file)) else {
                if required || info.files?[file] != nil {
                    throw CheckpointError(path(file), "missing\(info.files?[file] != nil ? " (model.json lists it)" : "")")
                }
                return nil
            }
            // Version 2 lists every weight file it wrote: an unlisted one is from another save.
            if info.version >= 2, info.files?[file] == nil {
                throw CheckpointError(path(file), "not listed in model.json's files, so it is not from this save")
            }
            let bytes = [UInt8](data)
            if let expected = info.files?[file], FileDigest(bytes) != expected {
                // A short file was cut off (a full disk, a copy interrupted); same size, other bytes: corrupted or another save's.
                throw CheckpointError(path(file), bytes.count < expected.bytes
                    ? "truncated: \(bytes.count) bytes where model.json records \(expected.bytes); copy the checkpoint again or save anew"
                    : "does not match model.json (\(bytes.count == expected.bytes ? "same size, different bytes: corrupted, or" : "\(bytes.count) bytes where model.json records \(expected.bytes):") from a different save)")
            }
            return try tensors(in: SafeTensors.decode(bytes, file: path(file)), prefixes: prefixes, info: info, file: path(file))
        }
        let sgd = info.training.optimizer.kind == .sgd
        let resuming = use == .resume
        let moments = resuming ? try load("optimizer.safetensors", prefixes: sgd ? ["momentum_buffer."] : ["exp_avg.", "exp_avg_sq."],
                                          required: info.position.step > 0) : nil
        let bestRequired = resuming && info.best != nil && info.training.earlyStop != nil
        let kept = try load("model.safetensors", prefixes: [""], required: true)![0]
        return Checkpoint(info: info,
                          parameters: resuming ? try load("last.safetensors", prefixes: [""], required: false)?[0] ?? kept : kept,
                          first: moments?[0],
                          second: sgd ? nil : moments?[1],
                          bestParameters: resuming ? try load("best.safetensors", prefixes: [""], required: bestRequired)?[0] : nil)
    }

    /// One flat buffer per prefix, from a file that must hold exactly the architecture's tensors
    /// under those prefixes, in their shapes, with finite values.
    private static func tensors(in stored: [String: SafeTensors.Tensor], prefixes: [String], info: Info,
                                file: String) throws -> [[Float]] {
        let expected = Set(prefixes.flatMap { prefix in info.tensors.map { prefix + $0.name } })
        if let extra = stored.keys.sorted().first(where: { !expected.contains($0) }) {
            throw CheckpointError(file, "tensor '\(extra)' is not part of this model")
        }
        let total = info.tensors.reduce(0) { $0 + $1.count }
        return try prefixes.map { prefix in
            var flat = [Float](repeating: 0, count: total)
            try flat.withUnsafeMutableBufferPointer { buffer in
                for tensor in info.tensors {
                    guard let values = stored[prefix + tensor.name] else {
                        throw CheckpointError(file, "tensor '\(prefix + tensor.name)' is missing")
                    }
                    guard values.shape == tensor.exportShape else {
                        throw CheckpointError(file, "tensor '\(prefix + tensor.name)' has shape \(values.shape), expected \(tensor.exportShape)")
                    }
                    if let bad = values.values.firstIndex(where: { !$0.isFinite }) {
                        throw CheckpointError(file, "tensor '\(prefix + tensor.name)' holds \(values.values[bad]) at index \(bad)")
                    }
                    tensor.imported(values.values, into: buffer.baseAddress!)
                }
            }
            return flat
        }
    }

    /// A model holding this checkpoint's weights.
    public func makeModel() -> Model {
        let model = Model(info.model, seed: info.training.seed)
        parameters.withUnsafeBufferPointer { model.parameters.pointer.update(from: $0.baseAddress!, count: parameters.count) }
        return model
    }
}

extension Checkpoint.Info {
    /// Fields added after version 1 decode to their defaults when absent, so older
    /// checkpoints keep loading.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decode(String.self, forKey: .format)
        version = try c.decode(Int.self, forKey: .version)
        model = try c.decode(ModelConfig.self, forKey: .model)
        encoder = try c.decode(DataEncoder.self, forKey: .encoder)
        training = try c.decode(TrainingConfig.self, forKey: .training)
        position = try c.decode(Checkpoint.Position.self, forKey: .position)
        layerSteps = try c.decodeIfPresent([String: Int].self, forKey: .layerSteps) ?? [:]
        history = try c.decodeIfPresent([EpochRecord].self, forKey: .history) ?? []
        best = try c.decodeIfPresent(Checkpoint.Best.self, forKey: .best)
        tensors = try c.decode([ParameterTensor].self, forKey: .tensors)
        files = try c.decodeIfPresent([String: Checkpoint.FileDigest].self, forKey: .files)
        weighting = try c.decodeIfPresent(WeightingState.self, forKey: .weighting)
        thresholds = try c.decodeIfPresent([String: [Float]].self, forKey: .thresholds)
        schedule = try c.decodeIfPresent(ScheduleState.self, forKey: .schedule)
        split = try c.decodeIfPresent(SplitDigest.self, forKey: .split)
    }
}
