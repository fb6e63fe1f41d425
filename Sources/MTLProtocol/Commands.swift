import Foundation
import MTLData

/// A command on the channel back to a producer: one JSON object per line, appended to
/// `STREAM.commands`, e.g. `{"command":"set_loss_weight","task":"polarity","weight":2,"id":"w3"}`.
/// The producer answers each with an `ack` event (or a `command_error` event) in the stream.
public struct RunCommand: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case pause, resume, step, stop, save, freeze, unfreeze
        case setLossWeight = "set_loss_weight", setLR = "set_lr"
    }

    public var command: Kind
    /// Chosen by the sender; the ack repeats it so the sender can match the two.
    public var id: String?
    /// `set_loss_weight`: the task and its new weight (≥ 0).
    public var task: String?
    public var weight: Double?
    /// `set_lr`: the new learning rate (> 0).
    public var lr: Double?
    /// `freeze`/`unfreeze`: a layer or module name (a prefix: `trunk` freezes every trunk layer).
    public var name: String?
    /// `step`: how many steps to run, then pause again (default 1).
    public var count: Int?
    /// `save`: where to write a checkpoint (default: the producer's own save directory).
    public var path: String?

    public init(_ command: Kind, id: String? = nil, task: String? = nil, weight: Double? = nil, lr: Double? = nil,
                name: String? = nil, count: Int? = nil, path: String? = nil) {
        self.command = command
        self.id = id
        self.task = task
        self.weight = weight
        self.lr = lr
        self.name = name
        self.count = count
        self.path = path
    }

    /// Why a command, though valid JSON, cannot apply: nil when it can.
    public var problem: String? {
        switch command {
        case .setLossWeight:
            guard let task, !task.isEmpty else { return "set_loss_weight needs \"task\"" }
            guard let weight, LossWeight.allows(weight) else {
                return "set_loss_weight needs \"weight\", \(LossWeight.expected)\(weight.map { ", got \($0)" } ?? "")"
            }
        case .setLR:
            guard let lr, lr.isFinite, lr > 0, Float(lr).isFinite, Float(lr) > 0 else { return "set_lr needs \"lr\", a finite number > 0 within 32-bit floats" }
        case .freeze, .unfreeze:
            guard let name, !name.isEmpty else { return "\(command.rawValue) needs \"name\" (a layer or module name)" }
        case .step:
            if let count, count < 1 { return "step needs \"count\" ≥ 1" }
        case .pause, .resume, .stop, .save:
            break
        }
        return nil
    }

    /// A one-line summary for the workbench (`set_loss_weight polarity=2`).
    public var summary: String {
        switch command {
        case .setLossWeight: "set_loss_weight \(task ?? "?")=\(weight.map { "\($0)" } ?? "?")"
        case .setLR: "set_lr \(lr.map { "\($0)" } ?? "?")"
        case .freeze, .unfreeze: "\(command.rawValue) \(name ?? "?")"
        case .step: "step \(count ?? 1)"
        case .save: path.map { "save \($0)" } ?? "save"
        case .pause, .resume, .stop: command.rawValue
        }
    }
}

extension RunProtocol {
    /// One event or command as one JSON line (sorted keys; controls inside strings escaped, so
    /// the line is inert on a terminal). Non-finite numbers must already be nil.
    public static func line<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return TerminalText.escapingJSON(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// A finite number, or nil (JSON has no NaN or infinity).
    public static func finite(_ value: Double) -> Double? { value.isFinite ? value : nil }

    /// For a line that did not decode as a command: its `id` when it has one (so the sender can
    /// clear the pending command) and what is wrong, naming an unknown command's valid names.
    public static func badCommand(_ line: String, _ error: LineError) -> (id: String?, message: String) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { return (nil, error.description) }
        let id = object["id"] as? String
        if let name = object["command"] as? String, RunCommand.Kind(rawValue: name) == nil {
            return (id, "unknown command '\(name)' (expected \(RunCommand.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return (id, error.description)
    }

    /// Decodes one line: an event or a command. The error is one readable sentence.
    public static func decode<T: Decodable>(_ type: T.Type, from line: String) throws(LineError) -> T {
        do { return try DecodingMessage.decode(T.self, from: Data(line.utf8)) } catch { throw LineError(error.description) }
    }
}

/// Why one line of a stream or command file could not be read.
public struct LineError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
