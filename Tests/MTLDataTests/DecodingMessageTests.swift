import Foundation
import Testing
@testable import MTLData

/// Every JSON reader's failure is one plain line with the key path, never the decoder's terms.
@Suite struct DecodingMessageTests {
    enum Kind: String, Codable, CaseIterable { case sgd, adam, adamw }
    struct Epoch: Codable { var epoch: Int }
    struct Training: Codable { var seed: UInt64; var learningRate: Float; var kind: Kind? }
    struct Document: Codable { var training: Training; var history: [Epoch]; var lr: Double? }

    func message(_ json: String) -> String {
        do {
            _ = try DecodingMessage.decode(Document.self, from: Data(json.utf8))
            return "decoded"
        } catch {
            return error.description
        }
    }

    static let training = #""training": {"seed": 1, "learningRate": 0.5}"#

    @Test func keysAndPositionsAreNamedAsTheFileWritesThem() {
        #expect(message(#"{\#(Self.training), "history": [{"epoch": 1}, {}]}"#) == "history[1].epoch: missing")
        #expect(message(#"{\#(Self.training), "history": [], "lr": "0.1"}"#) == "lr: expected a number, got a string")
        #expect(message(#"{\#(Self.training), "history": [], "lr": null}"#) == "decoded")
        #expect(message(#"{\#(Self.training), "history": {}}"#) == "history: expected an array, got an object")
        #expect(message(#"{"training": {"seed": "x", "learningRate": 1}, "history": []}"#) == "training.seed: expected a whole number, got a string")
        #expect(message(#"{"training": null, "history": []}"#) == "training: expected an object, got null")
        #expect(message("[1, 2]") == "expected a JSON object, got an array")
    }

    @Test func aStringEnumNamesItsValues() {
        #expect(message(#"{"training": {"seed": 1, "learningRate": 1, "kind": "lion"}, "history": []}"#)
                == "training.kind: expected one of sgd, adam, adamw, got 'lion'")
    }

    /// Foundation on Linux reports these as "not valid JSON" with no key.
    @Test func aNumberItsFieldCannotHoldNamesTheKeyAndTheRange() {
        #expect(message(#"{"training": {"seed": -1, "learningRate": 1}, "history": []}"#)
                == "training.seed: expected a whole number from 0 to 18446744073709551615, got -1")
        #expect(message(#"{"training": {"seed": 99999999999999999999999, "learningRate": 1}, "history": []}"#)
                == "training.seed: expected a whole number from 0 to 18446744073709551615, got 99999999999999999999999")
        #expect(message(#"{"training": {"seed": 1, "learningRate": 1e300}, "history": []}"#)
                == "training.learningRate: expected a number within 32-bit floats (±3.4e38), got 1e+300")
        #expect(message(#"{\#(Self.training), "history": [{"epoch": 1.5}]}"#)
                == "history[0].epoch: expected a whole number from -9223372036854775808 to 9223372036854775807, got 1.5")
        #expect(message(#"{\#(Self.training), "history": [], "lr": 1e400}"#)
                == "the number 1e400 at column 69 is beyond the range of numbers (±1.8e308)")
    }

    @Test func invalidJSONSaysWhere() {
        #expect(message("{\n  \"training\": {\"seed\": 1,\n  \"history\" [") == "not valid JSON at line 3, column 13")
        #expect(message("{\n  \"training\": {\"seed\": 1,\n  \"hist") == "not valid JSON: it ends at line 3, column 8 before the JSON is complete")
        #expect(message("{\"training\": {\"seed\": 1,\n\n") == "not valid JSON: it ends at line 1, column 25 before the JSON is complete")
        #expect(message("this is not json") == "not valid JSON at column 2")
        #expect(message(" \n ") == "empty: expected JSON")
        // Where neither the parser nor the tree decoder finds the fault, the decoder's words are still not shown.
        let opaque = DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "The given data was not valid JSON."))
        #expect(DecodingMessage.line(for: opaque, decoding: Document.self, from: Data(#"{\#(Self.training), "history": []}"#.utf8)) == "not valid JSON")
    }

    @Test func keyPathsJoinNamesAndBracketPositions() {
        struct Name: CodingKey {
            var stringValue: String
            var intValue: Int?
            init(_ name: String, _ index: Int? = nil) { stringValue = name; intValue = index }
            init?(stringValue: String) { self.init(stringValue) }
            init?(intValue: Int) { self.init("Index \(intValue)", intValue) }
        }
        // A dictionary key that reads as a number ("3" of layerSteps) stays a name.
        #expect(DecodingMessage.keyPath([Name("encoder"), Name("tasks"), Name("Index 1", 1), Name("classes")]) == "encoder.tasks[1].classes")
        #expect(DecodingMessage.keyPath([Name("layerSteps"), Name("3", 3)]) == "layerSteps.3")
        #expect(DecodingMessage.keyPath([Name("Index 0", 0), Name("a")]) == "[0].a")
    }
}
