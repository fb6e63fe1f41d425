import Foundation
import Testing
@testable import MTLData

@Suite struct WordVectorsTests {
    let vocabulary = Vocabulary(tokens: ["<pad>", "<unk>", "good", "don't", "film's", "zzz", "bad"])

    func file(_ text: String) -> String { file(bytes: Array(text.utf8)) }

    func file(bytes: [UInt8]) -> String {
        let path = NSTemporaryDirectory() + "mtl-tui-vectors-\(UUID().uuidString).txt"
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    @Test func keepsTheVocabularysWordsAndBuildsContractionsFromTheirPieces() throws {
        let path = file("""
            the 9 9 9
            good 1 2 3
            do 2 0 0
            n't 0 2 0\r
            film -1 -1 -1
            'S 7 7 7

            bad\t-4\t-5  -6
            good 8 8 8
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let vectors = try WordVectors.load(path, for: vocabulary)
        #expect(vectors.dimension == 3)
        // good (2), don't = mean(do, n't) (3), bad (6); film's lacks 's (the file has 'S), zzz is absent.
        #expect(vectors.ids == [2, 3, 6])
        #expect(vectors.values == [1, 2, 3, 1, 1, 0, -4, -5, -6])   // the first "good" wins
    }

    @Test func skipsAWord2VecHeader() throws {
        let path = file("2 2\ngood 0.5 -0.25\nbad 1e-3 2\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let vectors = try WordVectors.load(path, for: vocabulary)
        #expect(vectors.dimension == 2)
        #expect(vectors.values == [0.5, -0.25, 0.001, 2])
    }

    @Test func contractionPiecesFollowGloVesTokenizer() {
        #expect(WordVectors.contractionPieces("don't") == ["do", "n't"])
        #expect(WordVectors.contractionPieces("can't") == ["ca", "n't"])
        #expect(WordVectors.contractionPieces("it's") == ["it", "'s"])
        #expect(WordVectors.contractionPieces("'tis").isEmpty)
        #expect(WordVectors.contractionPieces("rock'").isEmpty)
        #expect(WordVectors.contractionPieces("plain").isEmpty)
    }

    @Test func badFilesNameTheLineAndColumn() {
        let cases: [(String, (String) -> DataError)] = [
            ("good 1 2 3\nbad 1 2\n", { DataError(file: $0, line: 2, "expected a word and 3 numbers, got 2 numbers") }),
            ("good 1 2 3\nbad 1 x 3\n", { DataError(file: $0, line: 2, column: 7, "'x' is not a finite number") }),
            ("good 1 nan 3\n", { DataError(file: $0, line: 1, column: 8, "'nan' is not a finite number") }),
            ("good\n", { DataError(file: $0, line: 1, "expected a word followed by its numbers") }),
            ("other 1 2\n", { DataError(file: $0, "no word of the vocabulary has a vector here (expected lines like 'word 0.1 -0.2 ...')") }),
            ("\n\n", { DataError(file: $0, "holds no vectors") }),
        ]
        for (text, expected) in cases {
            let path = file(text)
            #expect(throws: expected(path)) { try WordVectors.load(path, for: vocabulary) }
            try? FileManager.default.removeItem(atPath: path)
        }
        let invalid = file(bytes: Array("good 1 2\n".utf8) + [0x62, 0xFF, 0x20, 0x31, 0x20, 0x32, 0x0A])
        #expect(throws: DataError(file: invalid, line: 2, "is not valid UTF-8")) { try WordVectors.load(invalid, for: vocabulary) }
        try? FileManager.default.removeItem(atPath: invalid)
        #expect(throws: DataError(file: "/nonexistent/v.txt", "no such file")) {
            try WordVectors.load("/nonexistent/v.txt", for: vocabulary)
        }
    }

    @Test func vectorsAreForTextInputsOnly() {
        #expect(throws: DataError(file: "s.toml", line: 4, key: "vectors", "word vectors apply to a text input only")) {
            try DatasetSpec.parse(toml: "[[input]]\ncolumn = \"x\"\nkind = \"numeric\"\nvectors = \"v.txt\"\n[[task]]\nname = \"y\"\nkind = \"binary\"\n",
                                  file: "s.toml")
        }
    }
}
