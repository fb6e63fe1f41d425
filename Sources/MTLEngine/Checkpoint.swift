import Foundation
#if canImport(Glibc)
import Glibc
#endif
import MTLData

/// A saved run: `model.safetensors` (weights, PyTorch layout and names such as
/// `trunk.conv.weight`, `head.polarity.weight`), `optimizer.safetensors` (moments),
/// `best.safetensors` (the best epoch's weights, with early stopping) and `model.json`
/// (architecture, data encoding, training settings and position), so that
///
/// ```python
/// from safetensors.torch import load_file
/// weights = load_file("run/model.safetensors")
/// ```
/// works in PyTorch, and `--resume run` continues the run bit for bit.
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

    public struct Info: Sendable, Codable {
        public var format = "mtl-tui-checkpoint"
        public var version = 1
        public var model: ModelConfig
        public var encoder: DataEncoder
        public var training: TrainingConfig
        public var position: Position
        public var layerSteps: [String: Int]
        public var history: [EpochRecord]
        public var best: Best?
        public var tensors: [ParameterTensor]
    }

    public var info: Info
    /// Flat buffers in the model's own layout.
    public var parameters: [Float]
    public var first: [Float]?
    public var second: [Float]?
    public var bestParameters: [Float]?

    // MARK: Writing

    public static func write(to directory: String, info: Info, model: Model, optimizer: Optimizer?,
                             bestParameters: FloatBuffer?) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError(directory, "cannot create directory: \(error.localizedDescription)")
        }
        func tensors(_ flat: UnsafePointer<Float>, prefix: String) -> [(String, SafeTensors.Tensor)] {
            info.tensors.map { (prefix + $0.name, SafeTensors.Tensor(shape: $0.exportShape, values: $0.exported(from: flat))) }
        }
        let metadata = ["format": "pt", "producer": "mtl-tui"]
        let path = { (name: String) in (directory as NSString).appendingPathComponent(name) }
        try writeAtomically(SafeTensors.encode(tensors(model.parameters.pointer, prefix: ""), metadata: metadata),
                            to: path("model.safetensors"))
        if let optimizer {
            var moments = tensors(optimizer.first.pointer, prefix: optimizer.config.kind == .sgd ? "momentum_buffer." : "exp_avg.")
            if optimizer.config.kind != .sgd { moments += tensors(optimizer.second.pointer, prefix: "exp_avg_sq.") }
            try writeAtomically(SafeTensors.encode(moments, metadata: metadata), to: path("optimizer.safetensors"))
        }
        if let bestParameters {
            try writeAtomically(SafeTensors.encode(tensors(bestParameters.pointer, prefix: ""), metadata: metadata),
                                to: path("best.safetensors"))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let json: Data
        do { json = try encoder.encode(info) } catch { throw CheckpointError(path("model.json"), "cannot encode: \(error)") }
        // Written last: a checkpoint whose model.json is older than its weights is never half-new.
        try writeAtomically([UInt8](json), to: path("model.json"))
    }

    /// Temp file, fsync, rename: a crash mid-save leaves the previous file intact.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CheckpointError(path, "cannot write: \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n <= 0 {
                close(fd)
                unlink(temporary)
                throw CheckpointError(path, "write failed: \(String(cString: strerror(errno)))")
            }
            written += n
        }
        guard fsync(fd) == 0, close(fd) == 0 else {
            unlink(temporary)
            throw CheckpointError(path, "fsync failed: \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CheckpointError(path, "rename failed: \(String(cString: strerror(errno)))")
        }
        let directory = open((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent, O_RDONLY)
        if directory >= 0 { fsync(directory); close(directory) }
    }

    // MARK: Reading

    public static func read(from directory: String) throws -> Checkpoint {
        let path = { (name: String) in (directory as NSString).appendingPathComponent(name) }
        guard let json = FileManager.default.contents(atPath: path("model.json")) else {
            throw CheckpointError(directory, "not a checkpoint directory (no model.json)")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let info: Info
        do { info = try decoder.decode(Info.self, from: json) } catch {
            throw CheckpointError(path("model.json"), "cannot read: \(describe(error))")
        }
        guard info.format == "mtl-tui-checkpoint", info.version == 1 else {
            throw CheckpointError(path("model.json"), "unsupported checkpoint format \(info.format) v\(info.version)")
        }
        let total = info.tensors.reduce(0) { $0 + $1.count }
        func load(_ file: String, prefix: String, required: Bool) throws -> [Float]? {
            guard let data = FileManager.default.contents(atPath: path(file)) else {
                if required { throw CheckpointError(path(file), "missing") }
                return nil
            }
            let tensors = try SafeTensors.decode([UInt8](data), file: path(file))
            var flat = [Float](repeating: 0, count: total)
            try flat.withUnsafeMutableBufferPointer { buffer in
                for tensor in info.tensors {
                    guard let stored = tensors[prefix + tensor.name] else {
                        throw CheckpointError(path(file), "tensor '\(prefix + tensor.name)' is missing")
                    }
                    guard stored.shape == tensor.exportShape else {
                        throw CheckpointError(path(file), "tensor '\(prefix + tensor.name)' has shape \(stored.shape), expected \(tensor.exportShape)")
                    }
                    tensor.imported(stored.values, into: buffer.baseAddress!)
                }
            }
            return flat
        }
        let sgd = info.training.optimizer.kind == .sgd
        return Checkpoint(info: info,
                          parameters: try load("model.safetensors", prefix: "", required: true)!,
                          first: try load("optimizer.safetensors", prefix: sgd ? "momentum_buffer." : "exp_avg.", required: false),
                          second: sgd ? nil : try load("optimizer.safetensors", prefix: "exp_avg_sq.", required: false),
                          bestParameters: try load("best.safetensors", prefix: "", required: false))
    }

    private static func describe(_ error: Error) -> String {
        if case DecodingError.keyNotFound(let key, _) = error { return "missing key '\(key.stringValue)'" }
        if case DecodingError.typeMismatch(_, let context) = error {
            return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        }
        if case DecodingError.dataCorrupted(let context) = error { return context.debugDescription }
        return "\(error)"
    }

    /// A model holding this checkpoint's weights.
    public func makeModel() -> Model {
        let model = Model(info.model, seed: info.training.seed)
        parameters.withUnsafeBufferPointer { model.parameters.pointer.update(from: $0.baseAddress!, count: parameters.count) }
        return model
    }
}
