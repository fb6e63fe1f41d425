import Foundation
import Testing
@testable import MTLData

@Suite struct CharNGramTests {
    // Padded " ab ", " ab ", " c ", " b ": "b " is in all 3 rows (count 3); " a", " ab", " ab ", "ab",
    // "ab " in 2 (count 2); " b", " b ", " c", " c ", "c " in 1.
    let small: [[String]] = [["ab"], ["ab", "c"], ["b"]]

    @Test func keepsByDocumentFrequencyOrdersByCountThenAlphabet() throws {
        let all = try CharNGramVocabulary.fit(small, minDocumentFrequency: 1)
        #expect(all.grams == ["b ", " a", " ab", " ab ", "ab", "ab ", " b", " b ", " c", " c ", "c "])
        let v = try CharNGramVocabulary.fit(small)
        #expect(v.grams == ["b ", " a", " ab", " ab ", "ab", "ab "])
        // idf = ln((1 + n) / (1 + df)) + 1 with n = 3.
        #expect(abs(v.idf[0] - 1) < 1e-6)
        #expect(abs(Double(v.idf[1]) - (log(4.0 / 3) + 1)) < 1e-6)
        // The cap cuts inside a tie: the tied ones are kept alphabetically.
        #expect(try CharNGramVocabulary.fit(small, minDocumentFrequency: 1, maxFeatures: 3).grams == ["b ", " a", " ab"])
    }

    @Test func lengthsTwoToFiveOfEachPaddedWordNonASCIIByScalar() throws {
        // " héllo " has 7 scalars: 6 bigrams, 5 trigrams, 4 four-grams and 3 five-grams, all once.
        let v = try CharNGramVocabulary.fit([["héllo"]], minDocumentFrequency: 1)
        #expect(v.count == 18)
        #expect(v.grams.contains(" hé") && v.grams.contains("éllo") && v.grams.contains("llo ") && v.grams.contains(" héll") && !v.grams.contains(" héllo"))
        #expect(v.grams.allSatisfy { CharNGramVocabulary.lengths.contains($0.unicodeScalars.count) })
        let row = v.encode(["héllo", "héllo", "x"])
        #expect(row.ids == (0..<18).map(Int32.init) && row.counts.allSatisfy { $0 == 2 })
        #expect(v.encode(["zz"]).ids.isEmpty)
    }

    @Test func wordVocabularyAppendsThemAndNormalisesEachBlockApart() throws {
        let v = try NGramVocabulary.fit(small, minDocumentFrequency: 1, characters: true)
        let words = try NGramVocabulary.fit(small, minDocumentFrequency: 1)
        let chars = try CharNGramVocabulary.fit(small, minDocumentFrequency: 1)
        #expect(v.grams == words.grams && v.characters == chars)
        #expect(v.count == words.count + chars.count)
        let row = v.encode(["ab", "c"])
        let charRow = chars.encode(["ab", "c"])
        #expect(row.ids == words.encode(["ab", "c"]).ids + charRow.ids.map { $0 + Int32(words.count) })
        #expect(row.ids == row.ids.sorted())
        let values = v.tfidf(ids: row.ids, counts: row.counts)
        let split = row.ids.firstIndex { Int($0) >= words.count }!
        for block in [values[..<split], values[split...]] {
            #expect(abs(block.map { $0 * $0 }.reduce(0, +) - 1) < 1e-5)
        }
        // The word block alone is what the word-only vocabulary gives.
        let wordRow = words.encode(["ab", "c"])
        #expect(Array(values[..<split]) == words.tfidf(ids: wordRow.ids, counts: wordRow.counts))
    }

    @Test func roundTripsThroughJSONAndOldVocabulariesHaveNone() throws {
        let v = try NGramVocabulary.fit(small, minDocumentFrequency: 1, characters: true)
        let decoded = try JSONDecoder().decode(NGramVocabulary.self, from: JSONEncoder().encode(v))
        #expect(decoded == v)
        for tokens in small + [["abc", "b"]] { #expect(decoded.encode(tokens) == v.encode(tokens)) }
        let old = #"{"grams":["a"],"idf":[1],"documentCount":3,"minDocumentFrequency":2,"maxFeatures":10}"#
        #expect(try JSONDecoder().decode(NGramVocabulary.self, from: Data(old.utf8)).characters == nil)
    }

    @Test func corruptSavedCharacterNGramsAreRejected() {
        func decode(_ grams: String, _ idf: String, maxFeatures: Int = 10) throws {
            let json = #"{"grams":["a"],"idf":[1],"documentCount":3,"minDocumentFrequency":2,"maxFeatures":\#(maxFeatures),"characters":{"grams":\#(grams),"idf":\#(idf)}}"#
            _ = try JSONDecoder().decode(NGramVocabulary.self, from: Data(json.utf8))
        }
        #expect(throws: Never.self) { try decode(#"[" a","ab "]"#, "[1,2]") }
        #expect(throws: DecodingError.self) { try decode(#"[" a","ab "]"#, "[1]") }
        #expect(throws: DecodingError.self) { try decode(#"[" a"," a"]"#, "[1,1]") }
        #expect(throws: DecodingError.self) { try decode(#"["a"]"#, "[1]") }
        #expect(throws: DecodingError.self) { try decode(#"["abcdef"]"#, "[1]") }
        #expect(throws: DecodingError.self) { try decode(#"[" a"]"#, "[-1]") }
        #expect(throws: DecodingError.self) { try decode(#"[" a","ab "]"#, "[1,1]", maxFeatures: 1) }
    }

    @Test func specKeyAndSettingsTurnThemOn() throws {
        let toml = "[[input]]\ncolumn = \"text\"\nchar_ngrams = true\n[[task]]\nname = \"y\"\nkind = \"binary\"\n"
        var spec = try DatasetSpec.parse(toml: toml, file: "s.toml")
        #expect(spec.inputs[0].charNGrams == true)
        #expect(try DatasetSpec.parse(toml: spec.tomlText(), file: "s.toml").inputs[0].charNGrams == true)
        #expect(throws: DataError(file: "s.toml", line: 3, key: "char_ngrams", "expected true or false, found an integer")) {
            try DatasetSpec.parse(toml: toml.replacingOccurrences(of: "true", with: "1"), file: "s.toml")
        }
        #expect(throws: DataError(file: "s.toml", line: 4, key: "char_ngrams", "word n-grams apply to a text input only")) {
            try DatasetSpec.parse(toml: "[[input]]\ncolumn = \"x\"\nkind = \"numeric\"\nchar_ngrams = true\n[[task]]\nname = \"y\"\nkind = \"binary\"\n", file: "s.toml")
        }
        let t = table("text,y\ngood film,a\ngood plot,b\n")
        #expect(try DataEncoder.fit(t, spec: spec, trainRows: [0, 1], ngrams: NGramSettings()).text?.ngrams?.characters != nil)
        #expect(try DataEncoder.fit(t, spec: spec, trainRows: [0, 1], ngrams: NGramSettings(characters: false)).text?.ngrams?.characters == nil)
        let on = try DataEncoder.fit(t, spec: spec, trainRows: [0, 1], ngrams: NGramSettings(characters: true))
        #expect(on.text?.ngrams?.characters?.grams.contains(" go") == true)
        // Without the key or a setting: on for short texts, off for long ones (mean tokens per training row).
        spec.inputs[0].charNGrams = nil
        #expect(try DataEncoder.fit(t, spec: spec, trainRows: [0, 1], ngrams: NGramSettings()).text?.ngrams?.characters != nil)
        let words = Int(NGramSettings.shortTextTokens)
        let long = table("text,y\n" + String(repeating: "good film ", count: words / 2 + 1) + ",a\n" + String(repeating: "good plot ", count: words / 2 + 1) + ",b\n")
        #expect(try DataEncoder.fit(long, spec: spec, trainRows: [0, 1], ngrams: NGramSettings()).text?.ngrams?.characters == nil)
        let justShort = table("text,y\n" + String(repeating: "good ", count: words) + ",a\n" + String(repeating: "plot ", count: words) + ",b\n")
        #expect(try DataEncoder.fit(justShort, spec: spec, trainRows: [0, 1], ngrams: NGramSettings()).text?.ngrams?.characters != nil)
    }

    @Test func tooLittleMemoryIsAOneLineErrorNamingTheColumn() {
        do {
            _ = try CharNGramVocabulary.fit(small, memoryBudget: 200, column: "review", file: "d.csv")
            Issue.record("expected an error")
        } catch {
            #expect(error.file == "d.csv" && error.key == "column 'review'")
            #expect(error.message.hasPrefix("counting character 2–5-grams needs more than"), "\(error.message)")
            #expect(!error.message.contains("\n"))
        }
    }
}
