import Foundation

/// Pretrained word vectors for a vocabulary, read from a text file in the GloVe / word2vec text
/// format: one word per line followed by its numbers, separated by spaces (a word2vec header line
/// `COUNT DIMENSION` is skipped). Only the vocabulary's words are kept, so a large file costs one
/// pass and no memory beyond the rows used.
///
/// A contraction missing from the file takes the mean of the pieces GloVe's tokenizer splits it
/// into, when all are present: `don't` → `do` + `n't`, `film's` → `film` + `'s`.
///
/// ```swift
/// let vectors = try WordVectors.load("glove-6b-50d.txt", for: vocabulary)
/// vectors.dimension   // 50
/// vectors.ids.count   // vocabulary words that got a vector
/// ```
public struct WordVectors: Sendable {
    public var file: String
    public var dimension: Int
    /// Vocabulary ids that got a vector, ascending.
    public var ids: [Int32]
    /// Their vectors, `ids.count × dimension`, row-major.
    public var values: [Float]

    public init(file: String, dimension: Int, ids: [Int32], values: [Float]) {
        self.file = file
        self.dimension = dimension
        self.ids = ids
        self.values = values
    }

    public static func load(_ path: String, for vocabulary: Vocabulary) throws(DataError) -> WordVectors {
        let data = try DatasetSource.mapFile(path)
        var scan = Scan(path: path)
        for token in vocabulary.tokens.dropFirst(2) {
            scan.want(token)
            for piece in contractionPieces(token) { scan.want(piece) }
        }
        let outcome = data.withUnsafeBytes { raw in
            Result { () throws(DataError) in try scan.run(raw.bindMemory(to: UInt8.self)) }
        }
        try outcome.get()
        if scan.dimension == 0 { throw DataError(file: path, "holds no vectors") }

        var vectors = WordVectors(file: path, dimension: scan.dimension, ids: [], values: [])
        for (offset, token) in vocabulary.tokens.enumerated().dropFirst(2) {
            if let vector = scan.vector(token) {
                vectors.append(id: offset, vector)
                continue
            }
            let pieces = contractionPieces(token).compactMap { scan.vector($0) }
            guard pieces.count == 2 else { continue }
            vectors.append(id: offset, zip(pieces[0], pieces[1]).map { ($0 + $1) / 2 })
        }
        if vectors.ids.isEmpty {
            throw DataError(file: path, "no word of the vocabulary has a vector here (expected lines like 'word 0.1 -0.2 ...')")
        }
        return vectors
    }

    /// One pass over the file's bytes: every line's shape is checked, but only the wanted words'
    /// numbers are parsed, so a multi-gigabyte file costs a scan, not millions of conversions.
    private struct Scan {
        let path: String
        var slots: [String: Int] = [:]
        var found: [[Float]?] = []
        var dimension = 0

        init(path: String) { self.path = path }

        mutating func want(_ word: String) {
            if slots[word] == nil { slots[word] = found.count; found.append(nil) }
        }

        func vector(_ word: String) -> [Float]? { slots[word].flatMap { found[$0] } }

        mutating func run(_ bytes: UnsafeBufferPointer<UInt8>) throws(DataError) {
            var lineNumber = 0
            var start = 0
            while start < bytes.count {
                lineNumber += 1
                var end = start
                while end < bytes.count, bytes[end] != 0x0A { end += 1 }
                let next = end + 1
                if end > start, bytes[end - 1] == 0x0D { end -= 1 }
                let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
                start = next
                // Fields are runs of non-separators; the first is the word.
                var fields = 0, wordStart = 0, wordEnd = line.count, inField = false
                for (i, byte) in line.enumerated() {
                    let separator = Self.isSeparator(byte)
                    if !separator, !inField {
                        fields += 1
                        if fields == 1 { wordStart = i }
                    } else if separator, inField, fields == 1 {
                        wordEnd = i
                    }
                    inField = !separator
                }
                if fields == 0 { continue }
                if lineNumber == 1, fields == 2, let header = String(validating: line, as: UTF8.self) {
                    let parts = Self.fields(header)
                    if Int(parts[0]) != nil, let declared = Int(parts[1]) { dimension = declared; continue }   // word2vec
                }
                if dimension == 0 {
                    dimension = fields - 1
                    if dimension < 1 { throw DataError(file: path, line: lineNumber, "expected a word followed by its numbers") }
                }
                guard fields == dimension + 1 else {
                    throw DataError(file: path, line: lineNumber, "expected a word and \(dimension) numbers, got \(fields - 1) numbers")
                }
                guard let word = String(validating: UnsafeBufferPointer(rebasing: line[wordStart..<wordEnd]), as: UTF8.self) else {
                    throw DataError(file: path, line: lineNumber, "is not valid UTF-8")
                }
                guard let slot = slots[word], found[slot] == nil else { continue }
                guard let text = String(validating: line, as: UTF8.self) else {
                    throw DataError(file: path, line: lineNumber, "is not valid UTF-8")
                }
                found[slot] = try numbers(text, line: lineNumber)
            }
        }

        func numbers(_ text: String, line: Int) throws(DataError) -> [Float] {
            var vector: [Float] = []
            vector.reserveCapacity(dimension)
            for field in Self.fields(text).dropFirst() {
                guard let value = Float(field), value.isFinite else {
                    let column = text.utf8.distance(from: text.startIndex, to: field.startIndex) + 1
                    throw DataError(file: path, line: line, column: column, "'\(field)' is not a finite number")
                }
                vector.append(value)
            }
            return vector
        }

        static func isSeparator(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        /// Split by bytes, as the fields are counted: a space followed by a combining mark is one
        /// `Character` but still a separator (a fuzzing finding: the counts disagreed).
        static func fields(_ text: String) -> [Substring] { text.utf8.split(whereSeparator: isSeparator).map { Substring($0) } }
    }

    private mutating func append(id: Int, _ vector: [Float]) {
        ids.append(Int32(id))
        values += vector
    }

    /// How GloVe's (Penn Treebank) tokenizer splits a contraction: `don't` → [`do`, `n't`],
    /// `it's` → [`it`, `'s`]; empty for a word without an inner apostrophe.
    public static func contractionPieces(_ word: String) -> [String] {
        guard let apostrophe = word.lastIndex(of: "'"), apostrophe != word.startIndex,
              word.index(after: apostrophe) != word.endIndex else { return [] }
        if word.hasSuffix("n't"), word.count > 3 {
            return [String(word.dropLast(3)), "n't"]
        }
        return [String(word[..<apostrophe]), String(word[apostrophe...])]
    }
}
