import Foundation
import MTLData

/// Weights a new run starts from (`train DATA --from DIR`), matched by tensor name: a tensor of
/// the new model takes the saved one of the same name and shape; a word embedding grown by
/// `--extend-vocab` takes the saved rows and keeps its fresh ones for the new words. Everything
/// else (the heads of new tasks) keeps its usual initialisation.
public struct WarmStart: Sendable {
    /// The checkpoint directory, for messages.
    public var source: String
    /// The saved tensors in the model's own layout, by name.
    let saved: [String: (shape: [Int], values: [Float])]
    /// Layers that start fresh although a tensor of the same name exists (a task whose classes changed).
    let fresh: Set<String>

    init(source: String, checkpoint: Checkpoint, fresh: Set<String>) {
        self.source = source
        self.fresh = fresh
        var saved: [String: (shape: [Int], values: [Float])] = [:]
        for tensor in checkpoint.info.tensors {
            saved[tensor.name] = (tensor.shape, Array(checkpoint.parameters[tensor.offset..<tensor.offset + tensor.count]))
        }
        self.saved = saved
    }

    /// How a saved tensor fits `tensor`: whole, its first rows (a grown embedding), or not at all.
    private func match(_ tensor: ParameterTensor) -> [Float]? {
        guard !fresh.contains(tensor.layer), let (shape, values) = saved[tensor.name] else { return nil }
        if shape == tensor.shape { return values }
        let grown = tensor.name.hasSuffix("embedding.weight") && shape.count == 2 && tensor.shape.count == 2
            && shape[1] == tensor.shape[1] && shape[0] < tensor.shape[0]
        return grown ? values : nil
    }

    /// The model's layers that load saved weights and those that start new, in buffer order.
    public func plan(for config: ModelConfig) -> (loaded: [String], new: [String]) {
        var order: [String] = [], complete: [String: Bool] = [:]
        for tensor in Model.tensors(of: config) {
            if complete[tensor.layer] == nil { order.append(tensor.layer); complete[tensor.layer] = true }
            if match(tensor) == nil { complete[tensor.layer] = false }
        }
        return (order.filter { complete[$0]! }, order.filter { !complete[$0]! })
    }

    /// Copies the matching saved tensors over the freshly initialised model.
    public func apply(to model: Model) {
        for tensor in model.tensors {
            guard let values = match(tensor) else { continue }
            values.withUnsafeBufferPointer { model.parameters.pointer.advanced(by: tensor.offset).update(from: $0.baseAddress!, count: $0.count) }
        }
    }
}

extension RunPreparation {
    /// What `--from` gives a new run: the saved model's inputs, encoders and architecture, with
    /// the heads of DATA's tasks.
    struct FineTuneStart {
        var encoder: DataEncoder
        var model: ModelConfig
        var warmStart: WarmStart
        var notes: [String]
    }

    /// Reads `--from DIR` and checks it can start a run on this data.
    static func readFrom(_ directory: String, options: RunOptions) throws -> Checkpoint {
        if options.resumeDirectory != nil { throw UsageError("--from", "starts a new run from a saved model; --resume continues one: pass one of them") }
        if let save = options.saveDirectory, (save as NSString).standardizingPath == (directory as NSString).standardizingPath {
            throw UsageError("--save", "must differ from --from, or the saved model this run starts from is replaced")
        }
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.read(from: directory, for: .inference) } catch {
            throw UsageError("--from", "\(error)")
        }
        if let trunk = options.trunk, trunk != checkpoint.info.model.trunk || (options.wide.map { $0 != checkpoint.info.model.wide } ?? false) {
            throw UsageError("--from", "\(directory) holds a \(checkpoint.info.model.summary) model; --trunk asks for \(trunk.rawValue)\(options.wide == true ? "+wide" : ""): drop --trunk or train from scratch")
        }
        return checkpoint
    }

    /// DATA's spec with the saved model's inputs, after checking DATA has them and of the same kind.
    static func fromSpec(_ spec: DatasetSpec, checkpoint: Checkpoint, directory: String, table: Table) throws -> DatasetSpec {
        let savedInputs = checkpoint.info.encoder.spec.inputs
        func kinds(_ inputs: [InputSpec]) -> String {
            let text = inputs.contains { $0.kind == .text }, image = inputs.contains { $0.kind == .image }
            return text ? "text" : image ? "image" : "tabular"
        }
        if kinds(savedInputs) != kinds(spec.inputs) {
            throw UsageError("--from", "\(directory) holds a model of \(kinds(savedInputs)) inputs (\(savedInputs.map(\.column).joined(separator: ", "))); \(table.file) has \(kinds(spec.inputs)) inputs (\(spec.inputs.map(\.column).joined(separator: ", ")))")
        }
        for input in savedInputs where input.kind != .image && table.column(input.column) == nil {
            throw UsageError("--from", "the model in \(directory) reads column '\(input.column)', which \(table.file) does not have (columns: \(table.header.joined(separator: ", ")))")
        }
        if let input = savedInputs.first(where: { input in spec.tasks.contains { $0.column == input.column } }) {
            throw UsageError("--from", "the model in \(directory) reads column '\(input.column)' as an input, so it cannot be a task here (train the source with --input to leave it out)")
        }
        var spec = spec
        spec.inputs = savedInputs
        return spec
    }

    /// The encoder (the saved inputs' encodings; a shared task keeps its saved encoding when its
    /// classes are the same), the architecture with DATA's heads, and what loads from where.
    static func fineTune(_ checkpoint: Checkpoint, directory: String, options: RunOptions, spec: DatasetSpec,
                         table: Table, trainRows: [Int]) throws -> FineTuneStart {
        let saved = checkpoint.info
        let fitted = try DataEncoder.fit(table, spec: spec, trainRows: trainRows, ngrams: nil)
        var encoder = saved.encoder
        encoder.spec = spec
        var notes: [String] = []
        var fresh: Set<String> = []
        encoder.tasks = fitted.tasks.map { task in
            guard let old = saved.encoder.tasks.first(where: { $0.spec.name == task.spec.name }) else { return task }
            if old.spec.kind == task.spec.kind, old.classes == task.classes {
                var kept = task
                // The loaded head predicts in the saved run's standardised units.
                if task.spec.kind == .regression { (kept.mean, kept.std) = (old.mean, old.std) }
                return kept
            }
            fresh.formUnion(["head.", "wide.", "gate."].map { $0 + task.spec.name })
            notes.append("note: --from: task '\(task.spec.name)' has other classes or another kind than in \(directory); its head starts new")
            return task
        }
        var model = saved.model
        if options.extendVocabulary {
            guard model.trunk == .cnn || model.trunk == .gru, model.sharing == .hard, var text = encoder.text, let new = fitted.text else {
                throw UsageError("--extend-vocab", "grows a word embedding; the \(model.summary) model in \(directory) has none that is alone in reading the vocabulary (cnn or gru trunks with hard sharing do)")
            }
            let known = Set(text.vocabulary.tokens)
            let added = new.vocabulary.tokens.indices.filter { !known.contains(new.vocabulary.tokens[$0]) }
            text.vocabulary = Vocabulary(tokens: text.vocabulary.tokens + added.map { new.vocabulary.tokens[$0] })
            text.idf += added.map { new.idf[$0] }
            notes.append("note: --extend-vocab: \(added.count) new words get embedding rows (vocabulary \(saved.model.vocabulary) → \(text.vocabulary.count))")
            encoder.text = text
        }
        model.vocabulary = encoder.text?.vocabulary.count ?? 0
        model.heads = try modelConfig(options, encoder: encoder, trunk: model.trunk, wide: model.wide, vectors: nil).heads
        let warmStart = WarmStart(source: directory, checkpoint: checkpoint, fresh: fresh)
        let (loaded, new) = warmStart.plan(for: model)
        notes.append("note: --from \(directory): loaded \(loaded.joined(separator: ", "))" + (new.isEmpty ? "" : "; new: \(new.joined(separator: ", "))"))
        return FineTuneStart(encoder: encoder, model: model, warmStart: warmStart, notes: notes)
    }
}
