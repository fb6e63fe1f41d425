import ArgumentParser
import Foundation
import MTLData
import MTLEngine

/// `mtl-tui export DIR --pytorch OUT.py`: the checkpoint as a self-contained PyTorch module.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a checkpoint as a PyTorch module that loads its weights and predicts as `mtl-tui predict`.",
        discussion: """
        The file holds the network (tensor names as in model.safetensors) and the encoder \
        (tokenizer, vocabulary, TF-IDF, feature scaling, classes); it needs torch, and reads \
        the weights with `safetensors` when installed, else by itself. Supported: every trunk (cnn, \
        gru, bag, mlp on text or tables), +wide, with hard sharing; other models are refused, naming the kind.

        Examples:
          mtl-tui export runs/penguins --pytorch penguins.py
          python3 penguins.py runs/penguins/model.safetensors new.csv   # JSON lines
        """)

    @Argument(help: "A checkpoint directory written by --save.")
    var checkpoint: String

    @Option(help: ArgumentHelp("Write the PyTorch module to FILE (.py); an existing FILE is replaced only if an earlier export wrote it.", valueName: "FILE"))
    var pytorch: String

    func run() throws {
        if Ensemble.isEnsemble(checkpoint) {
            let member = (try? Ensemble.read(checkpoint))?.manifest.members.first ?? CrossValidate.member(0)
            fail("\(checkpoint): is an ensemble (cv --save), which cannot be exported; export one of its members: mtl-tui export \((checkpoint as NSString).appendingPathComponent(member)) --pytorch FILE")
        }
        let info = exitOnUserError { try Checkpoint.read(from: checkpoint).info }
        if let problem = Export.unsupported(info) { fail("\(checkpoint): cannot export to PyTorch: \(problem)") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let config: Data
        do { config = try encoder.encode(ExportedConfig(model: info.model, encoder: info.encoder)) } catch {
            fail("\(checkpoint): cannot encode the model: \(error)")
        }
        exitOnUserError { try Export.checkOutput(pytorch, checkpoint: checkpoint) }
        let text = pytorchExportTemplate
            .replacingOccurrences(of: "@SUMMARY@", with: info.model.summary)
            .replacingOccurrences(of: "@CONFIG@", with: config.base64EncodedString())
            .replacingOccurrences(of: "@MISSING@", with: ((try? encoder.encode(DataEncoder.missingNumberMarkers.sorted())) ?? Data("[]".utf8)).base64EncodedString())
        do { try text.write(toFile: pytorch, atomically: true, encoding: .utf8) } catch {
            fail("--pytorch \(pytorch): cannot write: \(error.localizedDescription)")
        }
        Console.shared.out("wrote \(pytorch) (\(info.model.summary)); run: python3 \(pytorch) \(checkpoint)/model.safetensors DATA.csv")
    }

    /// The first words of every file export writes: an existing FILE that does not start so is
    /// not ours to replace.
    static let marker = String(pytorchExportTemplate.prefix { $0 != "(" })

    /// FILE may be written: not a directory, not inside the checkpoint it is made from, and new
    /// or a module an earlier export wrote (never the data, the weights or any other file).
    static func checkOutput(_ path: String, checkpoint: String) throws {
        try RunPreparation.checkOutputFile(path, flag: "--pytorch", expected: "a file name ending in .py")
        try RunPreparation.checkOutputIsNotAnInput(path, flag: "--pytorch", inputs: [checkpoint], called: "the exported checkpoint")
        guard FileManager.default.fileExists(atPath: path) else { return }
        let start = FileHandle(forReadingAtPath: path).flatMap { try? $0.read(upToCount: marker.utf8.count) }
        guard let start, start.elementsEqual(marker.utf8) else {
            throw UsageError("--pytorch", "'\(path)' exists and is not a module written by mtl-tui export; writing there would replace it (choose another file)")
        }
    }

    /// Why this model has no PyTorch export yet (one line naming what), or nil.
    static func unsupported(_ info: Checkpoint.Info) -> String? {
        let model = info.model
        if model.sharing != .hard { return "\(model.sharing) sharing is not supported yet (hard is)" }
        if info.encoder.image != nil { return "image inputs are not supported yet" }
        return nil
    }

    private struct ExportedConfig: Encodable {
        var model: ModelConfig
        var encoder: DataEncoder
    }
}
