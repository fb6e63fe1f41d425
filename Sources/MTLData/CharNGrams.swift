import Foundation

/// Character 2–5-grams inside each word, fitted on the training rows: scikit-learn's
/// `analyzer="char_wb"` over our tokens. Each token is padded with a space on both sides, so
/// `" gr"` (a word start) and `"at "` (a word end) differ from the same letters mid-word.
///
/// They let the wide path see what words share: misspellings (`"greaaat"`), inflections
/// (`"loved"`, `"loving"`) and rare words a word n-gram never reaches its minimum document
/// frequency for. On short texts a linear model gains from them (VADER polarity: 0.637 words,
/// 0.662 words + characters); on long documents they multiply the n-grams per row by about 8.
///
/// ```swift
/// let chars = try CharNGramVocabulary.fit([["great", "!"], ["greatest"]], minDocumentFrequency: 2)
/// chars.grams  // [" g", " gr", " gre", " grea", "at", "ea", …]: those in both rows
/// ```
///
/// Counting hashes each n-gram's scalars (64-bit FNV-1a) instead of building its string: a row of
/// 100 characters has about 400 of them, and strings are built only for the ones kept. Two
/// n-grams colliding in 64 bits among the millions counted is about a 1-in-10⁶ event, and would
/// only merge their counts under the first one's string; a saved list is checked for two
/// strings with one hash (`lookup`) before it is used.
public struct CharNGramVocabulary: Sendable, Codable, Equatable {
    public static let lengths = 2...5

    /// Feature id → the n-gram (spaces mark the word's edges).
    public private(set) var grams: [String]
    public private(set) var idf: [Float]
    /// Derived from `grams`; not saved.
    private var lookup: [UInt64: Int32]

    public var count: Int { grams.count }

    /// Bytes per distinct n-gram while counting (`BigramTable` slots, as for word bigrams).
    static let countingBytesPerGram = NGramVocabulary.countingBytesPerBigram

    /// Counts the character n-grams of `documents` (token lists) and keeps those in at least
    /// `minDocumentFrequency` rows, at most `maxFeatures`, most frequent first, ties alphabetical.
    /// - Throws: a one-line `DataError` naming `column` when counting would need more than `memoryBudget` bytes.
    public static func fit(_ documents: [[String]], minDocumentFrequency: Int = NGramSettings.defaultMinDocumentFrequency,
                           maxFeatures: Int = NGramSettings.defaultMaxFeatures, memoryBudget: Double = .infinity,
                           column: String = "text", file: String = "") throws(DataError) -> CharNGramVocabulary {
        let minDF = Int32(clamping: max(minDocumentFrequency, 1)), cap = max(maxFeatures, 1)
        var table = NGramVocabulary.BigramTable()
        for (d, tokens) in documents.enumerated() {
            forEachGram(in: tokens) { key, _, _ in table.add(key, document: Int32(d)) }
            if Double(table.count) * countingBytesPerGram > memoryBudget {
                throw DataError(file: file, key: "column '\(column)'",
                                "counting character 2–5-grams needs more than the \(Int(memoryBudget / 1_048_576)) MB budget after \(d + 1) of \(documents.count) rows; "
                                + "turn char_ngrams off or raise ngram_min_df (now \(minDF))")
            }
        }
        var kept = table.slots.filter { $0.key != NGramVocabulary.BigramTable.empty && $0.tally.documents >= minDF }
        kept.sort { $0.tally.count > $1.tally.count }
        if kept.count > cap {
            // Keep every n-gram tied with the last one that fits, so the alphabetical tie-break below decides.
            let cutoff = kept[cap - 1].tally.count
            kept = Array(kept.prefix { $0.tally.count >= cutoff })
        }
        // Name the kept n-grams: a second pass builds a string only for a kept key, once.
        var names = [UInt64: String](minimumCapacity: kept.count)
        for key in kept.map(\.key) { names[key] = "" }
        var unnamed = kept.count
        for tokens in documents where unnamed > 0 {
            forEachGram(in: tokens) { key, scalars, range in
                if names[key] == "" {
                    names[key] = String(String.UnicodeScalarView(scalars[range]))
                    unnamed -= 1
                }
            }
        }
        var ranked = kept.map { (gram: names[$0.key] ?? "", count: $0.tally.count, documents: $0.tally.documents) }
        ranked.sort { $0.count != $1.count ? $0.count > $1.count : $0.gram < $1.gram }
        ranked = Array(ranked.prefix(cap))
        let n = Double(documents.count)
        let idf = ranked.map { Float(log((1 + n) / (1 + Double($0.documents))) + 1) }
        let grams = ranked.map(\.gram)
        return CharNGramVocabulary(grams: grams, idf: idf, lookup: Self.lookup(grams).lookup)
    }

    private init(grams: [String], idf: [Float], lookup: [UInt64: Int32]) {
        self.grams = grams
        self.idf = idf
        self.lookup = lookup
    }

    /// The row's n-grams in the vocabulary: ids ascending, each once, with how often it occurs.
    public func encode(_ tokens: [String]) -> (ids: [Int32], counts: [Float]) {
        var found: [Int32] = []
        Self.forEachGram(in: tokens) { key, _, _ in
            if let id = lookup[key] { found.append(id) }
        }
        return NGramVocabulary.tally(found)
    }

    /// Calls `body` with the hash of every character 2–5-gram of every padded token, the padded
    /// token's scalars and the n-gram's range in them.
    static func forEachGram(in tokens: [String], _ body: (UInt64, [Unicode.Scalar], Range<Int>) -> Void) {
        var padded: [Unicode.Scalar] = []
        for token in tokens {
            padded.removeAll(keepingCapacity: true)
            padded.append(" ")
            padded.append(contentsOf: token.unicodeScalars)
            padded.append(" ")
            for start in 0..<(padded.count - 1) {
                var hash = fnvOffset
                for end in start..<min(start + lengths.upperBound, padded.count) {
                    hash = fnv(hash, padded[end])
                    if end - start + 1 >= lengths.lowerBound { body(key(hash), padded, start..<(end + 1)) }
                }
            }
        }
    }

    /// FNV-1a over Unicode scalars: the hash so far, then one more scalar.
    private static let fnvOffset: UInt64 = 0xCBF2_9CE4_8422_2325
    private static func fnv(_ hash: UInt64, _ scalar: Unicode.Scalar) -> UInt64 {
        (hash ^ UInt64(scalar.value)) &* 0x0000_0100_0000_01B3
    }

    /// The table's empty marker is `UInt64.max`; no key may equal it.
    private static func key(_ hash: UInt64) -> UInt64 { hash == .max ? hash - 1 : hash }

    /// The hash of one n-gram as `forEachGram` computes it.
    static func hash(_ gram: String) -> UInt64 {
        key(gram.unicodeScalars.reduce(fnvOffset, fnv))
    }

    /// Hash → id of `grams`; `problem` names an n-gram that cannot have come from a fit.
    static func lookup(_ grams: [String]) -> (lookup: [UInt64: Int32], problem: String?) {
        var lookup = [UInt64: Int32](minimumCapacity: grams.count)
        for (i, gram) in grams.enumerated() {
            let length = gram.unicodeScalars.count
            guard lengths.contains(length) else {
                return (lookup, "n-gram \(i) '\(gram.prefix(40))' has \(length) characters, not \(lengths.lowerBound)–\(lengths.upperBound)")
            }
            guard lookup.updateValue(Int32(i), forKey: hash(gram)) == nil else {
                return (lookup, "n-gram \(i) '\(gram.prefix(40))' appears twice (or shares its hash with another)")
            }
        }
        return (lookup, nil)
    }

    // MARK: Saving

    enum CodingKeys: String, CodingKey { case grams, idf }

    /// Checks what a checkpoint states before it is used as an index.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let grams = try c.decode([String].self, forKey: .grams)
        let idf = try c.decode([Float].self, forKey: .idf)
        guard idf.count == grams.count, idf.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw DecodingError.dataCorruptedError(forKey: .idf, in: c, debugDescription:
                "needs one finite value > 0 per n-gram (\(grams.count) n-grams, \(idf.count) values)")
        }
        let built = Self.lookup(grams)
        if let problem = built.problem { throw DecodingError.dataCorruptedError(forKey: .grams, in: c, debugDescription: problem) }
        self.init(grams: grams, idf: idf, lookup: built.lookup)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(grams, forKey: .grams)
        try c.encode(idf, forKey: .idf)
    }

    public static func == (a: CharNGramVocabulary, b: CharNGramVocabulary) -> Bool { a.grams == b.grams && a.idf == b.idf }
}
