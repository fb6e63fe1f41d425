import Foundation

/// Why JSON did not decode, as one plain line for a user: `history[0].epoch: missing`,
/// `lr: expected a number, got a string`, `training.seed: expected a whole number from 0 to
/// 18446744073709551615, got -1`, `not valid JSON at line 3, column 7`. Every reader of JSON
/// files and lines (checkpoints, ensembles, protocol commands and events) says it this way,
/// never in the decoder's own terms (`Index 0`, `Dictionary<String, Any>`, `Data was corrupted`).
public enum DecodingMessage {
    /// A decoding failure, its description the one line.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// `decoder.decode(type, from: data)`, failing with the one line.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data,
                                            with decoder: JSONDecoder = JSONDecoder()) throws(Failure) -> T {
        do { return try decoder.decode(type, from: data) } catch {
            throw Failure(description: line(for: error, decoding: type, from: data))
        }
    }

    /// The one line for `error`, thrown while decoding `type` from `data`.
    public static func line<T: Decodable>(for error: Error, decoding type: T.Type, from data: Data) -> String {
        // Foundation on Linux says only "not valid JSON" for a syntax error (no position) and
        // for a number its field cannot hold (-1 for a UInt64; no key): find which it was.
        if case DecodingError.dataCorrupted(let context) = error, context.codingPath.isEmpty {
            if let syntax = syntaxProblem(in: data) { return syntax }
            if let found = JSONTreeDecoder.firstProblem(decoding: type, from: data) { return describe(found, in: data) }
        }
        return describe(error, in: data)
    }

    private static func describe(_ error: Error, in data: Data) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .keyNotFound(let key, let context):
            return place(context.codingPath + [key]) + "missing"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let path = context.codingPath
            return place(path) + "expected \(kind(of: type, atRoot: path.isEmpty)), got \(found(at: path, in: data))"
        case .dataCorrupted(let context):
            return place(context.codingPath) + plain(context.debugDescription)
        @unknown default:
            return "\(error)"
        }
    }

    /// `history[0].epoch: `, or nothing for the whole document.
    private static func place(_ path: [CodingKey]) -> String {
        path.isEmpty ? "" : keyPath(path) + ": "
    }

    /// Keys joined with dots, array positions in brackets: `encoder.tasks[1].classes`.
    static func keyPath(_ path: [CodingKey]) -> String {
        path.reduce(into: "") { text, key in
            // An array position's key has an intValue and a name that is not that number ("Index 0").
            if let index = key.intValue, key.stringValue != "\(index)" {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
    }

    private static func kind(of type: Any.Type, atRoot: Bool) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Float.Type, is Double.Type: "a number"
        case is any BinaryInteger.Type: "a whole number"
        case is [String: Any].Type: atRoot ? "a JSON object" : "an object"
        case is [Any].Type: "an array"
        default: "another kind of value"
        }
    }

    /// What the JSON holds at `path`: "a string", "null", "an array"…
    private static func found(at path: [CodingKey], in data: Data) -> String {
        guard var value = try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed) else { return "something else" }
        for key in path {
            if let array = value as? [Any], let index = key.intValue, array.indices.contains(index) {
                value = array[index]
            } else if let object = value as? [String: Any], let member = object[key.stringValue] {
                value = member
            } else {
                return "something else"
            }
        }
        switch value {
        case is NSNull: return "null"
        case is String: return "a string"
        case is [Any]: return "an array"
        case is [String: Any]: return "an object"
        case let number as NSNumber where JSONTreeDecoder.isBoolean(number): return number.boolValue ? "true" : "false"
        default: return "a number"
        }
    }

    /// A decoder's own wording made plain: a string enum's unknown value; JSON that Foundation's
    /// parser takes but its decoder does not (a trailing comma).
    private static func plain(_ text: String) -> String {
        if text.hasPrefix("The given data was not valid JSON") { return "not valid JSON" }
        if text.hasPrefix("Cannot initialize "), let range = text.range(of: " value ") {
            return "unknown value '\(text[range.upperBound...])'"
        }
        return text
    }

    /// Where `data` stops being JSON, or nil when it is JSON. Foundation's parser gives a byte
    /// offset ("around character 13"; Darwin's says the line and column).
    private static func syntaxProblem(in data: Data) -> String? {
        let bytes = [UInt8](data)
        let end = (bytes.lastIndex { !isSpace($0) } ?? -1) + 1
        if end == 0 { return "empty: expected JSON" }
        let detail: String
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed)
            return nil
        } catch {
            detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? ""
        }
        if detail.hasPrefix("Unexpected end of file") {
            return "not valid JSON: it ends at \(position(end, in: bytes)) before the JSON is complete"
        }
        if let line = integer(after: "line ", in: detail), let column = integer(after: "column ", in: detail) {
            return "not valid JSON at line \(line), column \(column)"
        }
        if let offset = integer(after: "character ", in: detail) ?? integer(after: " at ", in: detail) {
            return "not valid JSON at \(position(offset, in: bytes))"
        }
        // "Number 1e400 is not representable in Swift.": beyond any number type.
        if detail.hasPrefix("Number "), let number = detail.dropFirst(7).split(separator: " ").first {
            let at = data.range(of: Data(number.utf8)).map { " at \(position($0.lowerBound - data.startIndex, in: bytes))" } ?? ""
            return "the number \(number)\(at) is beyond the range of numbers (±1.8e308)"
        }
        return "not valid JSON"
    }

    /// "line 3, column 7" for a byte offset; "column 7" in one-line text (a protocol line).
    private static func position(_ offset: Int, in bytes: [UInt8]) -> String {
        let offset = min(max(offset, 0), bytes.count)
        let lineStart = bytes[..<offset].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        let column = String(decoding: bytes[lineStart..<offset], as: UTF8.self).count + 1
        guard bytes.contains(0x0A) else { return "column \(column)" }
        return "line \(bytes[..<offset].filter { $0 == 0x0A }.count + 1), column \(column)"
    }

    /// The whole number right after the last `word` in `text`.
    private static func integer(after word: String, in text: String) -> Int? {
        guard let range = text.range(of: word, options: .backwards) else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isASCII && $0.isNumber })
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }
}

extension RawRepresentable where Self: Decodable & CaseIterable, RawValue == String {
    /// A string enum's unknown value names the valid ones (`expected one of sgd, adam, adamw,
    /// got 'lion'`), where Swift's own decoding says "Cannot initialize OptimizerKind from
    /// invalid String value lion".
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(rawValue: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected one of \(Self.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
        }
        self = value
    }
}
