import Foundation
import Testing
@testable import MTLData

@Suite struct NGramTests {
    // a: count 4 in 3 rows; b: 3 in 2; c: 2 in 2; "a b": 3 in 2; "b a": 1 in 1; "c a": 1 in 1.
    let small: [[String]] = [["a", "b", "a", "b"], ["a", "b"], ["c"], ["c", "a"]]

    @Test func keepsByDocumentFrequencyOrdersByCountThenAlphabet() throws {
        let v = try NGramVocabulary.fit(small)
        #expect(v.grams == ["a", "a b", "b", "c"])   // "a b" and "b" tie at 3: alphabetical
        #expect(try NGramVocabulary.fit(small, minDocumentFrequency: 1).grams == ["a", "a b", "b", "c", "b a", "c a"])
        #expect(try NGramVocabulary.fit(small, minDocumentFrequency: 3).grams == ["a"])
        #expect(v.documentCount == 4)
    }

    @Test func encodeCountsEachKnownNGramOnceInIdOrder() throws {
        let v = try NGramVocabulary.fit(small)
        // "b a" is not kept, "z" is unknown and breaks no pair it is not part of.
        let row = v.encode(["b", "a", "b", "a", "b", "z", "c"])
        #expect(row.ids == [0, 1, 2, 3])
        #expect(row.counts == [2, 2, 3, 1])
        #expect(v.encode([]).ids.isEmpty)
        #expect(v.encode(["z", "q"]).counts.isEmpty)
        // An unknown word between two known ones is no bigram.
        #expect(v.encode(["a", "z", "b"]).ids == [0, 2])
    }

    @Test func capKeepsTheMostFrequentEvenWhenOnlyTheBigramSurvives() throws {
        let v = try NGramVocabulary.fit(small, maxFeatures: 2)
        #expect(v.grams == ["a", "a b"])
        #expect(v.maxFeatures == 2)
        // "b" is no feature but still part of the bigram.
        let row = v.encode(["a", "b", "b"])
        #expect(row.ids == [0, 1])
        #expect(row.counts == [1, 1])
    }

    @Test func idfAndTfidfMatchScikitLearn() throws {
        let v = try NGramVocabulary.fit(Reference.train)
        #expect(Set(v.grams) == Set(Reference.idf.keys))
        for (gram, idf) in zip(v.grams, v.idf) {
            #expect(abs(Double(idf) - Reference.idf[gram]!) < 1e-6, "idf of '\(gram)'")
        }
        for (tokens, expected) in zip(Reference.train + Reference.unseen, Reference.trainRows + Reference.unseenRows) {
            let row = v.encode(tokens)
            let values = v.tfidf(ids: row.ids, counts: row.counts)
            #expect(row.ids.map { v.grams[Int($0)] }.sorted() == expected.keys.sorted(), "\(tokens)")
            for (id, value) in zip(row.ids, values) {
                let gram = v.grams[Int(id)]
                #expect(abs(Double(value) - expected[gram]!) < 1e-6, "\(tokens): '\(gram)'")
            }
        }
        let capped = try NGramVocabulary.fit(Reference.train, maxFeatures: 6)
        #expect(Set(capped.grams) == Set(Reference.capped6))
    }

    @Test func meanWeightsSumToOne() throws {
        let v = try NGramVocabulary.fit(small)
        #expect(v.meanWeights(counts: [2, 1, 1]) == [0.5, 0.25, 0.25])
        #expect(v.meanWeights(counts: []) == [])
        #expect(v.tfidf(ids: [], counts: []) == [])
    }

    @Test func roundTripsThroughJSONWithItsLookup() throws {
        let v = try NGramVocabulary.fit(Reference.train, minDocumentFrequency: 1)
        let decoded = try JSONDecoder().decode(NGramVocabulary.self, from: JSONEncoder().encode(v))
        #expect(decoded == v)
        for tokens in Reference.train + Reference.unseen {
            #expect(decoded.encode(tokens) == v.encode(tokens))
        }
    }

    @Test func corruptSavedVocabulariesAreRejected() {
        func decode(_ grams: String, _ idf: String, maxFeatures: Int = 10) throws {
            let json = "{\"grams\":\(grams),\"idf\":\(idf),\"documentCount\":3,\"minDocumentFrequency\":2,\"maxFeatures\":\(maxFeatures)}"
            _ = try JSONDecoder().decode(NGramVocabulary.self, from: Data(json.utf8))
        }
        #expect(throws: Never.self) { try decode("[\"a\",\"a b\"]", "[1,1.5]") }
        #expect(throws: DecodingError.self) { try decode("[\"a\",\"a b\"]", "[1]") }
        #expect(throws: DecodingError.self) { try decode("[\"a\",\"a\"]", "[1,1]") }
        #expect(throws: DecodingError.self) { try decode("[\"a b\",\"a b\"]", "[1,1]") }
        #expect(throws: DecodingError.self) { try decode("[\"a b c\"]", "[1]") }
        #expect(throws: DecodingError.self) { try decode("[\" a\"]", "[1]") }
        #expect(throws: DecodingError.self) { try decode("[\"a\"]", "[0]") }
        #expect(throws: DecodingError.self) { try decode("[\"a\",\"b\"]", "[1,1]", maxFeatures: 1) }
    }

    @Test func encodersSavedBeforeNGramsStillDecode() throws {
        let text = #"{"column":"text","vocabulary":{"tokens":["<pad>","<unk>","a"]},"maxLength":5,"idf":[1,1,1]}"#
        let decoded = try JSONDecoder().decode(DataEncoder.TextEncoding.self, from: Data(text.utf8))
        #expect(decoded.ngrams == nil)
        let input = #"{"kind":"text","column":"text","minFrequency":1,"maxVocabulary":20000}"#
        let spec = try JSONDecoder().decode(InputSpec.self, from: Data(input.utf8))
        #expect(spec.ngramMinDF == nil && spec.maxNGrams == nil)
    }

    @Test func dataEncoderFillsTheNGramRows() throws {
        let t = table("text,y\ngood film!,a\nbad film!,b\ngood film,a\nnew,b\n")
        var spec = DatasetSpec(inputs: [InputSpec(kind: .text, column: "text")], tasks: [TaskSpec(name: "y", kind: .binary)])
        let plain = try DataEncoder.fit(t, spec: spec, trainRows: [0, 1, 2, 3])
        #expect(plain.text?.ngrams == nil)
        let plainRows = try plain.encode(t)
        #expect(plainRows.ngramOffsets.isEmpty && plainRows.ngramIDs.isEmpty && plainRows.ngramCounts.isEmpty)

        let encoder = try DataEncoder.fit(t, spec: spec, trainRows: [0, 1, 2], ngrams: NGramSettings(characters: false))
        let vocabulary = try #require(encoder.text?.ngrams)
        #expect(vocabulary.grams == ["film", "!", "film !", "good", "good film"])
        #expect(vocabulary.documentCount == 3)
        let rows = try encoder.encode(t)
        #expect(rows.ngramOffsets == [0, 5, 3 + 5, 3 + 5 + 3, 11])
        for r in 0..<4 {
            let expected = vocabulary.encode(Tokenizer.tokens(t.column("text")![r]))
            #expect(Array(rows.ngramIDs[rows.ngramOffsets[r]..<rows.ngramOffsets[r + 1]]) == expected.ids)
            #expect(Array(rows.ngramCounts[rows.ngramOffsets[r]..<rows.ngramOffsets[r + 1]]) == expected.counts)
        }
        let tfidf = vocabulary.tfidfValues(of: rows), mean = vocabulary.meanWeightValues(of: rows)
        #expect(tfidf.count == rows.ngramIDs.count && mean.count == rows.ngramIDs.count)
        // Row 1 "bad film!": film, !, "film !" once each; the mean weighs them alike.
        let third: Float = 1.0 / 3
        #expect(Array(mean[5..<8]) == [third, third, third])
        let idf = vocabulary.idf[0...2].map { Double($0) }
        let norm = idf.map { $0 * $0 }.reduce(0, +).squareRoot()
        for (value, expected) in zip(tfidf[5..<8], idf.map { $0 / norm }) { #expect(abs(Double(value) - expected) < 1e-6) }
        // The spec's keys apply unless the settings say otherwise.
        spec.inputs[0].ngramMinDF = 1
        spec.inputs[0].maxNGrams = 2
        #expect(try DataEncoder.fit(t, spec: spec, trainRows: [0, 1, 2], ngrams: NGramSettings(characters: false)).text?.ngrams?.grams == ["film", "!"])
        let overridden = try DataEncoder.fit(t, spec: spec, trainRows: [0, 1, 2], ngrams: NGramSettings(minDocumentFrequency: 2, maxFeatures: 10, characters: false))
        #expect(overridden.text?.ngrams?.grams == vocabulary.grams)
        #expect(overridden.text?.ngrams?.maxFeatures == 10)
    }

    @Test func nGramsWithoutATextInputAreAnError() {
        let spec = DatasetSpec(inputs: [InputSpec(kind: .numeric, column: "x")], tasks: [TaskSpec(name: "y", kind: .binary)])
        #expect(throws: DataError(file: "t.csv", "word n-gram features (wide, bag) need a text input")) {
            try DataEncoder.fit(table("x,y\n1,a\n2,b\n"), spec: spec, trainRows: [0, 1], ngrams: NGramSettings())
        }
    }

    @Test func tooLittleMemoryIsAOneLineErrorNamingTheColumn() throws {
        // Before counting: the rows' token ids (4 bytes each) and offsets (8 bytes per row + 1).
        let t = table("review,y\ngood film,a\nbad film,b\n")
        let spec = DatasetSpec(inputs: [InputSpec(kind: .text, column: "review")], tasks: [TaskSpec(name: "y", kind: .binary)])
        #expect(throws: DataError(file: "t.csv", key: "column 'review'",
                                  "counting word 1–2-grams needs about 40 bytes for the 4 tokens of the training rows, over the 39 bytes budget; "
                                  + "raise ngram_min_df (now 2) so fewer words and pairs are counted, or use fewer training rows")) {
            try DataEncoder.fit(t, spec: spec, trainRows: [0, 1], ngrams: NGramSettings(memoryBudget: 39.5))
        }

        // While counting bigrams: the first row after which more distinct bigrams exist than fit.
        let documents = (0..<30).map { d in (0..<12).map { j in "w\((d * 7 + j * j * 3) % 23)" } }
        let total = documents.reduce(0) { $0 + $1.count }
        let base = 4 * Double(total) + 8 * Double(documents.count + 1) + NGramVocabulary.countingBytesPerToken * Double(Set(documents.joined()).count)
        let perBigram = NGramVocabulary.countingBytesPerBigram
        var seen = Set<[String]>()
        var failing: (row: Int, count: Int)? = nil
        for (d, tokens) in documents.enumerated() where failing == nil {
            for i in 1..<tokens.count { seen.insert([tokens[i - 1], tokens[i]]) }
            if seen.count > 40 { failing = (d, seen.count) }
        }
        let (row, count) = try #require(failing)
        do {
            _ = try NGramVocabulary.fit(documents, minDocumentFrequency: 1, memoryBudget: base + perBigram * 40.5, column: "body")
            Issue.record("no error")
        } catch {
            #expect(error.key == "column 'body'")
            #expect(error.message.contains(" for \(count) distinct bigrams after \(row + 1) of 30 rows, over the "), "\(error.message)")
            #expect(!error.description.contains("\n"))
        }

        // Keeping: enough to count every bigram, not to keep the n-grams on top.
        let bigrams = Set(documents.flatMap { tokens in (1..<tokens.count).map { [tokens[$0 - 1], tokens[$0]] } })
        let kept = Set(documents.joined()).count + bigrams.count
        do {
            _ = try NGramVocabulary.fit(documents, minDocumentFrequency: 1, memoryBudget: base + perBigram * Double(bigrams.count) + 1, column: "body")
            Issue.record("no error")
        } catch {
            #expect(error.message.hasPrefix("keeping \(kept) word 1–2-grams needs about "), "\(error.message)")
            #expect(error.message.hasSuffix("budget; lower max_ngrams (now 200000) or raise ngram_min_df (now 1)"))
        }
    }

    @Test func specKeysAreReadCheckedAndWritten() throws {
        let toml = "[[input]]\ncolumn = \"text\"\nngram_min_df = 3\nmax_ngrams = 500\n[[task]]\nname = \"y\"\nkind = \"binary\"\n"
        let spec = try DatasetSpec.parse(toml: toml, file: "s.toml")
        #expect(spec.inputs[0].ngramMinDF == 3)
        #expect(spec.inputs[0].maxNGrams == 500)
        #expect(try DatasetSpec.parse(toml: spec.tomlText(), file: "s.toml").inputs[0].maxNGrams == 500)
        #expect(try DatasetSpec.parse(toml: spec.tomlText(), file: "s.toml").inputs[0].ngramMinDF == 3)
        #expect(throws: DataError(file: "s.toml", line: 3, key: "ngram_min_df", "expected a positive integer")) {
            try DatasetSpec.parse(toml: toml.replacingOccurrences(of: "= 3", with: "= 0"), file: "s.toml")
        }
        #expect(throws: DataError(file: "s.toml", line: 4, key: "max_ngrams", "expected a positive integer")) {
            try DatasetSpec.parse(toml: toml.replacingOccurrences(of: "= 500", with: "= \"many\""), file: "s.toml")
        }
        #expect(throws: DataError(file: "s.toml", line: 4, key: "max_ngrams", "word n-grams apply to a text input only")) {
            try DatasetSpec.parse(toml: "[[input]]\ncolumn = \"x\"\nkind = \"numeric\"\nmax_ngrams = 5\n[[task]]\nname = \"y\"\nkind = \"binary\"\n", file: "s.toml")
        }
    }
}

/// scikit-learn 1.9.1 `TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)` on these
/// token lists, printed by `scripts/ngram_fixture.py` (which holds the same documents).
private enum Reference {
    static let train: [[String]] = [
        ["good", "film", "!", "really", "good", "film", "."],
        ["bad", "film", ".", "really", "bad", "."],
        ["good", "acting", ",", "bad", "plot", "!", "!"],
        ["really", "good", "!", ":", ")"],
        [],
        ["café", "good", "film", "café", "good", "film"],
        ["bad", "plot", ".", "bad", "acting", ".", "café"],
        ["plot", ":", ")", "acting", ":", ")"],
    ]
    static let unseen: [[String]] = [["really", "good", "film", "!", "new", "words", ":", ")"], ["nothing", "known"]]

    static let idf: [String: Double] = [
        "!": 1.81093022, ")": 2.09861229, ".": 1.81093022, ":": 2.09861229, ": )": 2.09861229, "acting": 1.81093022,
        "bad": 1.81093022, "bad plot": 2.09861229, "café": 2.09861229, "film": 1.81093022, "film .": 2.09861229,
        "good": 1.58778666, "good film": 2.09861229, "plot": 1.81093022, "really": 1.81093022, "really good": 2.09861229,
    ]
    static let trainRows: [[String: Double]] = [
        ["!": 0.261655035, ".": 0.261655035, "film": 0.443020485, "film .": 0.303221222, "good": 0.388431322,
         "good film": 0.513398156, "really": 0.261655035, "really good": 0.303221222],
        [".": 0.562000553, "bad": 0.562000553, "film": 0.33192658, "film .": 0.384656014, "really": 0.33192658],
        ["!": 0.599426071, "acting": 0.354030694, "bad": 0.354030694, "bad plot": 0.41027156, "good": 0.310406889, "plot": 0.354030694],
        ["!": 0.350487834, ")": 0.406165886, ":": 0.406165886, ": )": 0.406165886, "good": 0.307300582, "really": 0.350487834,
         "really good": 0.406165886],
        [:],
        ["café": 0.549064953, "film": 0.473798005, "good": 0.415416423, "good film": 0.549064953],
        [".": 0.524533606, "acting": 0.309797997, "bad": 0.524533606, "bad plot": 0.359012113, "café": 0.359012113, "plot": 0.309797997],
        [")": 0.533040191, ":": 0.533040191, ": )": 0.533040191, "acting": 0.271665662, "plot": 0.271665662],
    ]
    static let unseenRows: [[String: Double]] = [
        ["!": 0.308849312, ")": 0.357912721, ":": 0.357912721, ": )": 0.357912721, "film": 0.308849312, "good": 0.270792775,
         "good film": 0.357912721, "really": 0.308849312, "really good": 0.357912721],
        [:],
    ]
    /// `max_features=6` (the script checks there is no tie at the cut).
    static let capped6 = ["!", ".", "bad", "film", "good", "good film"]
}
