import Foundation

/// What `DataEncoder.fit(…, ngrams:)` is asked for when a model part reads word n-grams (`wide`,
/// `bag`). A nil setting falls back to the text input's spec key (`ngram_min_df`, `max_ngrams`),
/// then to the default, so a flag can override the spec the way other flags do.
public struct NGramSettings: Sendable, Equatable {
    public static let defaultMinDocumentFrequency = 2
    public static let defaultMaxFeatures = 200_000
    /// Character n-grams are on by default for texts this short or shorter (mean tokens per
    /// training row): there a row has few words, so what its words share carries the signal
    /// (measured: VADER 21 tokens, KJV verses 30, fortunes 34 gain; Debian descriptions, 77, are
    /// left out), and their cost, about 8 n-grams per token, stays small.
    public static let shortTextTokens = 50.0

    /// The default for `characters`: on for short texts (`shortTextTokens`).
    public static func defaultCharacters(_ documents: [[String]]) -> Bool {
        documents.isEmpty || Double(documents.reduce(0) { $0 + $1.count }) / Double(documents.count) <= shortTextTokens
    }
    /// Half the machine's memory: the fit runs before training, which needs the rest.
    public static var defaultMemoryBudget: Double { Double(ProcessInfo.processInfo.physicalMemory) / 2 }

    public var minDocumentFrequency: Int?
    public var maxFeatures: Int?
    /// Character 2–5-grams beside the word n-grams (`CharNGramVocabulary`), with the same minimum
    /// document frequency and their own cap of `maxFeatures`; nil: the spec's key, else
    /// `defaultCharacters`.
    public var characters: Bool?
    /// Bytes the fit may use for its counting tables and the vocabulary it keeps.
    public var memoryBudget: Double

    public init(minDocumentFrequency: Int? = nil, maxFeatures: Int? = nil, characters: Bool? = nil,
                memoryBudget: Double = NGramSettings.defaultMemoryBudget) {
        self.minDocumentFrequency = minDocumentFrequency
        self.maxFeatures = maxFeatures
        self.characters = characters
        self.memoryBudget = memoryBudget
    }
}

/// Word unigrams and bigrams of a text column with their smooth idf, fitted on the training rows.
///
/// Features are the tokens of `Tokenizer.tokens` and each adjacent pair of them, written
/// `"w1 w2"` (a token never contains a space, so the key splits back unambiguously). Punctuation
/// tokens take part: the tokenizer keeps them on purpose (`!`, `:)`, emoji carry sentiment), the
/// other model parts see them, and pairs such as `: )` or `great !` are the signal a linear
/// model over n-grams is good at. An n-gram is kept when it occurs in at least
/// `minDocumentFrequency` training rows; at most `maxFeatures` are kept, most frequent (total
/// count, as scikit-learn's `max_features`) first, ties alphabetical, so ids never depend on
/// hashing. `idf[i] = ln((1 + n) / (1 + df)) + 1`, scikit-learn's `smooth_idf`.
public struct NGramVocabulary: Sendable, Codable, Equatable {
    /// Feature id → `"word"` or `"word word"`.
    public private(set) var grams: [String]
    public private(set) var idf: [Float]
    /// Training rows the vocabulary was counted on (the `n` of the idf).
    public private(set) var documentCount: Int
    public private(set) var minDocumentFrequency: Int
    public private(set) var maxFeatures: Int
    /// Character 2–5-grams, when asked for: their ids follow the word n-grams' (`grams.count…`).
    public private(set) var characters: CharNGramVocabulary?
    /// Derived from `grams`; not saved.
    private var lookup: Lookup

    /// Every feature: word n-grams, then character n-grams.
    public var count: Int { grams.count + (characters?.count ?? 0) }

    /// Bytes per distinct bigram while counting: a `BigramTable` slot is 24 bytes, the table is
    /// at most 3/4 full and doubles when it grows, so old and new slots coexist for a moment.
    static let countingBytesPerBigram = 96.0
    /// Bytes per distinct token in the first pass: its string, id and three counters.
    static let countingBytesPerToken = 96.0
    /// Bytes per kept n-gram: its string, idf, lookup entries and the sort while choosing.
    static let keptBytesPerGram = 128.0

    // MARK: Fitting

    /// Counts the n-grams of `documents` (one token list per training row). Tokens get integer ids
    /// first and bigrams are counted as packed pairs of ids, so no string is built for an n-gram
    /// that is not kept; a bigram is counted only when both of its words reach the minimum
    /// document frequency (no rarer bigram can), which is what `ngram_min_df` saves while counting.
    /// - Throws: a one-line `DataError` naming `column` when the counting tables or the kept
    ///   vocabulary would need more than `memoryBudget` bytes.
    public static func fit(_ documents: [[String]], minDocumentFrequency: Int = NGramSettings.defaultMinDocumentFrequency,
                           maxFeatures: Int = NGramSettings.defaultMaxFeatures, characters: Bool = false,
                           memoryBudget: Double = .infinity, column: String = "text", file: String = "") throws(DataError) -> NGramVocabulary {
        let minDF = max(minDocumentFrequency, 1), cap = max(maxFeatures, 1)
        let budget = Budget(limit: memoryBudget, column: column, file: file, minDF: minDF, maxFeatures: cap)
        let threshold = Int32(clamping: minDF)

        // Pass 1: token ids, the rows as id runs, unigram counts and document frequencies.
        let total = documents.reduce(0) { $0 + $1.count }
        guard total < Int(Int32.max), documents.count < Int(Int32.max) else {
            throw DataError(file: file, key: "column '\(column)'",
                            "the training rows have \(total) tokens; word n-grams count at most \(Int32.max)")
        }
        let rowBytes = 4 * Double(total) + 8 * Double(documents.count + 1)
        try budget.check(rowBytes, counting: "the \(total) tokens of the training rows")
        var tokenID: [String: Int32] = [:]
        var names: [String] = []
        var unigrams: [Tally] = []
        var ids: [Int32] = []
        ids.reserveCapacity(total)
        var offsets = [0]
        offsets.reserveCapacity(documents.count + 1)
        for (d, document) in documents.enumerated() {
            for token in document {
                let id: Int32
                if let known = tokenID[token] {
                    id = known
                } else {
                    id = Int32(names.count)
                    tokenID[token] = id
                    names.append(token)
                    unigrams.append(Tally())
                }
                ids.append(id)
                unigrams[Int(id)].add(document: Int32(d))
            }
            offsets.append(ids.count)
        }
        tokenID = [:]
        let baseBytes = rowBytes + countingBytesPerToken * Double(names.count)
        try budget.check(baseBytes, counting: "\(names.count) distinct tokens")

        // Pass 2: bigrams of words that are frequent enough on their own.
        let eligible = unigrams.map { $0.documents >= threshold }
        let bigramLimit = (budget.limit - baseBytes) / countingBytesPerBigram
        var bigrams = BigramTable()
        for d in 0..<documents.count where offsets[d + 1] - offsets[d] > 1 {
            for i in (offsets[d] + 1)..<offsets[d + 1] where eligible[Int(ids[i - 1])] && eligible[Int(ids[i])] {
                bigrams.add(pack(ids[i - 1], ids[i]), document: Int32(d))
            }
            if Double(bigrams.count) > bigramLimit {
                try budget.check(baseBytes + countingBytesPerBigram * Double(bigrams.count),
                                 counting: "\(bigrams.count) distinct bigrams after \(d + 1) of \(documents.count) rows")
            }
        }
        ids = []

        // Choose: the count of the last n-gram that fits under the cap, then strings only for those at or above it.
        var candidateCounts = unigrams.filter { $0.documents >= threshold }.map(\.count)
        candidateCounts += bigrams.slots.lazy.filter { $0.key != BigramTable.empty && $0.tally.documents >= threshold }.map(\.tally.count)
        var cutoff: Int32 = 1
        if candidateCounts.count > cap {
            candidateCounts.sort(by: >)
            cutoff = candidateCounts[cap - 1]
        }
        let chosen = candidateCounts.count > cap ? candidateCounts.prefix { $0 >= cutoff }.count : candidateCounts.count
        candidateCounts = []
        try budget.check(baseBytes + countingBytesPerBigram * Double(bigrams.count) + keptBytesPerGram * Double(chosen),
                         keeping: min(chosen, cap))
        var kept: [(gram: String, count: Int32, documents: Int32)] = []
        kept.reserveCapacity(chosen)
        for (id, tally) in unigrams.enumerated() where tally.documents >= threshold && tally.count >= cutoff {
            kept.append((names[id], tally.count, tally.documents))
        }
        for slot in bigrams.slots where slot.key != BigramTable.empty && slot.tally.documents >= threshold && slot.tally.count >= cutoff {
            kept.append((names[Int(slot.key >> 32)] + " " + names[Int(slot.key & 0xFFFF_FFFF)], slot.tally.count, slot.tally.documents))
        }
        kept.sort { $0.count != $1.count ? $0.count > $1.count : $0.gram < $1.gram }
        kept = Array(kept.prefix(cap))

        let n = Double(documents.count)
        let idf = kept.map { Float(log((1 + n) / (1 + Double($0.documents))) + 1) }
        // The word tables are gone by now, so the character fit has the whole budget.
        bigrams = BigramTable()
        let chars = characters ? try CharNGramVocabulary.fit(documents, minDocumentFrequency: minDF, maxFeatures: cap,
                                                             memoryBudget: memoryBudget, column: column, file: file) : nil
        return NGramVocabulary(grams: kept.map(\.gram), idf: idf, documentCount: documents.count, minDocumentFrequency: minDF,
                               maxFeatures: cap, characters: chars, lookup: Lookup.build(kept.map(\.gram)).lookup)
    }

    private init(grams: [String], idf: [Float], documentCount: Int, minDocumentFrequency: Int, maxFeatures: Int,
                 characters: CharNGramVocabulary?, lookup: Lookup) {
        self.characters = characters
        self.grams = grams
        self.idf = idf
        self.documentCount = documentCount
        self.minDocumentFrequency = minDocumentFrequency
        self.maxFeatures = maxFeatures
        self.lookup = lookup
    }

    // MARK: Encoding one row

    /// The row's n-grams in the vocabulary: ascending ids, each once, with how often it occurs.
    public func encode(_ tokens: [String]) -> (ids: [Int32], counts: [Float]) {
        var found: [Int32] = []
        found.reserveCapacity(2 * tokens.count)
        var previous: Int32 = -1
        for token in tokens {
            let word = lookup.word[token] ?? -1
            if word >= 0, lookup.unigram[Int(word)] >= 0 { found.append(lookup.unigram[Int(word)]) }
            if previous >= 0, word >= 0, let id = lookup.bigram[Self.pack(previous, word)] { found.append(id) }
            previous = word
        }
        var (ids, counts) = Self.tally(found)
        if let characters {
            let (charIDs, charCounts) = characters.encode(tokens)
            ids += charIDs.map { $0 + Int32(grams.count) }
            counts += charCounts
        }
        return (ids, counts)
    }

    /// Feature ids found in a row (any order, repeats) → each id once, ascending, with its count.
    static func tally(_ found: [Int32]) -> (ids: [Int32], counts: [Float]) {
        var ids: [Int32] = [], counts: [Float] = []
        for id in found.sorted() {
            if ids.last == id { counts[counts.count - 1] += 1 } else { ids.append(id); counts.append(1) }
        }
        return (ids, counts)
    }

    /// `wide`'s values for an encoded row: `(1 + ln tf) · idf`, L2-normalised, as scikit-learn's
    /// `TfidfVectorizer(sublinear_tf=True)`. A row without known n-grams gives no values. Word and
    /// character n-grams are normalised apart (each block to length 1, as scikit-learn's
    /// `hstack` of two vectorizers), so the many character n-grams of a row do not drown its words.
    public func tfidf(ids: [Int32], counts: [Float]) -> [Float] {
        var values = [Float](repeating: 0, count: ids.count)
        let words = ids.firstIndex { Int($0) >= grams.count } ?? ids.count
        for i in ids.indices {
            let gram = Int(ids[i])
            values[i] = (1 + log(counts[i])) * (gram < grams.count ? idf[gram] : characters!.idf[gram - grams.count])
        }
        for block in [0..<words, words..<ids.count] {
            let squares = block.reduce(Float(0)) { $0 + values[$1] * values[$1] }
            guard squares > 0 else { continue }
            let scale = 1 / squares.squareRoot()
            for i in block { values[i] *= scale }
        }
        return values
    }

    /// `bag`'s weights for an encoded row: count / the row's known n-grams, so the weighted sum of
    /// their embeddings is their mean. Unknown n-grams have no embedding and are left out of the
    /// mean rather than diluting it.
    public func meanWeights(counts: [Float]) -> [Float] {
        let total = counts.reduce(0, +)
        return total > 0 ? counts.map { $0 / total } : counts
    }

    /// `tfidf` of every row of `rows`, aligned with `rows.ngramIDs`.
    public func tfidfValues(of rows: EncodedRows) -> [Float] {
        perRow(rows) { ids, counts in tfidf(ids: ids, counts: counts) }
    }

    /// `meanWeights` of every row of `rows`, aligned with `rows.ngramIDs`.
    public func meanWeightValues(of rows: EncodedRows) -> [Float] {
        perRow(rows) { _, counts in meanWeights(counts: counts) }
    }

    private func perRow(_ rows: EncodedRows, _ values: ([Int32], [Float]) -> [Float]) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(rows.ngramIDs.count)
        for r in 0..<max(rows.ngramOffsets.count - 1, 0) {
            let range = rows.ngramOffsets[r]..<rows.ngramOffsets[r + 1]
            out += values(Array(rows.ngramIDs[range]), Array(rows.ngramCounts[range]))
        }
        return out
    }

    // MARK: Saving

    enum CodingKeys: String, CodingKey { case grams, idf, documentCount, minDocumentFrequency, maxFeatures, characters }

    /// Checks what a checkpoint states before it is used as an index: one finite idf > 0 per
    /// n-gram, each a word or two words, none twice.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let grams = try c.decode([String].self, forKey: .grams)
        let idf = try c.decode([Float].self, forKey: .idf)
        let documentCount = try c.decode(Int.self, forKey: .documentCount)
        let minDF = try c.decode(Int.self, forKey: .minDocumentFrequency)
        let maxFeatures = try c.decode(Int.self, forKey: .maxFeatures)
        let characters = try c.decodeIfPresent(CharNGramVocabulary.self, forKey: .characters)
        func fail(_ key: CodingKeys, _ message: String) -> DecodingError {
            DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: message)
        }
        guard idf.count == grams.count, idf.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw fail(.idf, "needs one finite value > 0 per n-gram (\(grams.count) n-grams, \(idf.count) values)")
        }
        guard documentCount >= 0 else { throw fail(.documentCount, "must be ≥ 0, got \(documentCount)") }
        guard minDF >= 1 else { throw fail(.minDocumentFrequency, "must be ≥ 1, got \(minDF)") }
        guard maxFeatures >= max(grams.count, 1) else {
            throw fail(.maxFeatures, "\(maxFeatures), but there are \(grams.count) n-grams")
        }
        if let characters, characters.count > maxFeatures {
            throw fail(.characters, "\(characters.count) character n-grams, over maxFeatures \(maxFeatures)")
        }
        let built = Lookup.build(grams)
        if let problem = built.problem { throw fail(.grams, problem) }
        self.init(grams: grams, idf: idf, documentCount: documentCount, minDocumentFrequency: minDF,
                  maxFeatures: maxFeatures, characters: characters, lookup: built.lookup)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(grams, forKey: .grams)
        try c.encode(idf, forKey: .idf)
        try c.encode(documentCount, forKey: .documentCount)
        try c.encode(minDocumentFrequency, forKey: .minDocumentFrequency)
        try c.encode(maxFeatures, forKey: .maxFeatures)
        try c.encodeIfPresent(characters, forKey: .characters)
    }

    public static func == (a: NGramVocabulary, b: NGramVocabulary) -> Bool {
        a.grams == b.grams && a.idf == b.idf && a.documentCount == b.documentCount
            && a.minDocumentFrequency == b.minDocumentFrequency && a.maxFeatures == b.maxFeatures && a.characters == b.characters
    }

    // MARK: Internals

    /// A bigram's key: the ids of its two words side by side.
    static func pack(_ first: Int32, _ second: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: first)) << 32 | UInt64(UInt32(bitPattern: second))
    }

    /// How often an n-gram occurs and in how many rows; `last` is the row that counted it last.
    /// 32-bit, as the fit refuses more than `Int32.max` tokens: 12 bytes per n-gram counted.
    struct Tally {
        var count: Int32 = 0
        var documents: Int32 = 0
        var last: Int32 = -1

        mutating func add(document: Int32) {
            count += 1
            if last != document { documents += 1; last = document }
        }
    }

    /// Bigram tallies by packed word-id pair: open addressing with linear probing and Fibonacci
    /// hashing. A `[UInt64: Tally]` hashes every key with seeded SipHash and took 3× as long on
    /// 20k long documents, whose millions of distinct pairs are most of the fit's time.
    struct BigramTable {
        /// No key: a pair of ids below `Int32.max` never packs to it.
        static let empty = UInt64.max

        struct Slot {
            var key = BigramTable.empty
            var tally = Tally()
        }

        private(set) var slots = [Slot](repeating: Slot(), count: 1 << 10)
        private(set) var count = 0
        private var shift: UInt64 = 64 - 10

        mutating func add(_ key: UInt64, document: Int32) {
            if 4 * (count + 1) > 3 * slots.count { grow() }
            let (slot, isNew) = find(key)
            slots.withUnsafeMutableBufferPointer { s in
                s[slot].key = key
                s[slot].tally.add(document: document)
            }
            if isNew { count += 1 }
        }

        /// The slot holding `key`, or the empty slot where it goes.
        private func find(_ key: UInt64) -> (slot: Int, isNew: Bool) {
            slots.withUnsafeBufferPointer { s in
                let mask = s.count - 1
                var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
                while s[i].key != key {
                    if s[i].key == BigramTable.empty { return (i, true) }
                    i = (i + 1) & mask
                }
                return (i, false)
            }
        }

        private mutating func grow() {
            let old = slots
            slots = [Slot](repeating: Slot(), count: 2 * old.count)
            shift -= 1
            for slot in old where slot.key != BigramTable.empty {
                let i = find(slot.key).slot
                slots[i] = slot
            }
        }
    }

    /// Word → word id, word id → unigram feature id (-1 if the word is only part of bigrams),
    /// packed pair of word ids → bigram feature id.
    struct Lookup: Sendable {
        var word: [String: Int32] = [:]
        var unigram: [Int32] = []
        var bigram: [UInt64: Int32] = [:]

        /// The lookup of `grams`; `problem` says what is wrong with a list that did not come from a fit.
        static func build(_ grams: [String]) -> (lookup: Lookup, problem: String?) {
            var lookup = Lookup()
            var problem: String? = nil
            func wordID(_ word: String) -> Int32 {
                if let id = lookup.word[word] { return id }
                let id = Int32(lookup.unigram.count)
                lookup.word[word] = id
                lookup.unigram.append(-1)
                return id
            }
            for (i, gram) in grams.enumerated() {
                // Split at the byte, not the Character: a word may start with a combining mark,
                // which joins the space into one Character.
                let utf8 = gram.utf8
                let space = utf8.firstIndex(of: 0x20)
                let first = String(decoding: utf8[..<(space ?? utf8.endIndex)], as: UTF8.self)
                let second = space.map { String(decoding: utf8[utf8.index(after: $0)...], as: UTF8.self) }
                guard !first.isEmpty, second.map({ !$0.isEmpty && !$0.utf8.contains(0x20) }) ?? true else {
                    problem = problem ?? "n-gram \(i) '\(gram.prefix(40))' is not one word or two words joined by a space"
                    continue
                }
                let a = wordID(first)
                if let second {
                    let key = NGramVocabulary.pack(a, wordID(second))
                    if lookup.bigram[key] != nil { problem = problem ?? "n-gram '\(gram.prefix(40))' appears twice"; continue }
                    lookup.bigram[key] = Int32(i)
                } else {
                    if lookup.unigram[Int(a)] >= 0 { problem = problem ?? "n-gram '\(gram.prefix(40))' appears twice"; continue }
                    lookup.unigram[Int(a)] = Int32(i)
                }
            }
            return (lookup, problem)
        }
    }

    /// The memory the fit may use, and the one-line error when it would use more.
    struct Budget {
        let limit: Double
        let column: String
        let file: String
        let minDF: Int
        let maxFeatures: Int

        func check(_ bytes: Double, counting what: String) throws(DataError) {
            guard bytes > limit else { return }
            throw DataError(file: file, key: "column '\(column)'",
                            "counting word 1–2-grams needs about \(size(bytes, up: true)) for \(what), over the \(size(limit, up: false)) budget; "
                            + "raise ngram_min_df (now \(minDF)) so fewer words and pairs are counted, or use fewer training rows")
        }

        func check(_ bytes: Double, keeping count: Int) throws(DataError) {
            guard bytes > limit else { return }
            throw DataError(file: file, key: "column '\(column)'",
                            "keeping \(count) word 1–2-grams needs about \(size(bytes, up: true)), over the \(size(limit, up: false)) budget; "
                            + "lower max_ngrams (now \(maxFeatures)) or raise ngram_min_df (now \(minDF))")
        }

        /// `needs` rounds up and the budget down, so what is needed never reads as within the budget.
        private func size(_ bytes: Double, up: Bool) -> String {
            func whole(_ value: Double) -> Int { Int(up ? value.rounded(.up) : value.rounded(.down)) }
            if bytes < 1024 { return "\(whole(bytes)) bytes" }
            if bytes < 1_048_576 { return "\(whole(bytes / 1024)) KB" }
            return bytes < 1e15 ? "\(whole(bytes / 1_048_576)) MB" : String(format: "%.1e bytes", bytes)
        }
    }
}
