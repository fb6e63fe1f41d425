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
        let bytes = try DatasetSource.readBytes(path)
        var wanted: [String: Int] = [:]   // word → slot in `found`
        var words: [String] = []
        func want(_ word: String) {
            if wanted[word] == nil { wanted[word] = words.count; words.append(word) }
        }
        for token in vocabulary.tokens.dropFirst(2) {
            want(token)
            for piece in contractionPieces(token) { want(piece) }
        }
        var found = [[Float]?](repeating: nil, count: words.count)
        var dimension = 0
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            var stop = end
            if stop > start, bytes[stop - 1] == 0x0D { stop -= 1 }
            let line = bytes[start..<stop]
            start = end + 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            guard let text = String(validating: line, as: UTF8.self) else {
                throw DataError(file: path, line: lineNumber, "is not valid UTF-8")
            }
            let fields = text.split(separator: " ", omittingEmptySubsequences: true)
            if lineNumber == 1, fields.count == 2, Int(fields[0]) != nil, let declared = Int(fields[1]) {
                dimension = declared   // word2vec header
                continue
            }
            if dimension == 0 {
                dimension = fields.count - 1
                if dimension < 1 {
                    throw DataError(file: path, line: lineNumber, "expected a word followed by its numbers")
                }
            }
            guard fields.count == dimension + 1 else {
                throw DataError(file: path, line: lineNumber, "expected a word and \(dimension) numbers, got \(fields.count - 1) numbers")
            }
            guard let slot = wanted[String(fields[0])], found[slot] == nil else { continue }
            var vector = [Float](repeating: 0, count: dimension)
            for i in 0..<dimension {
                let field = fields[i + 1]
                guard let value = Float(field), value.isFinite else {
                    let column = text.utf8.distance(from: text.startIndex, to: field.startIndex) + 1
                    throw DataError(file: path, line: lineNumber, column: column, "'\(field)' is not a finite number")
                }
                vector[i] = value
            }
            found[slot] = vector
        }
        if dimension == 0 { throw DataError(file: path, "holds no vectors") }

        var vectors = WordVectors(file: path, dimension: dimension, ids: [], values: [])
        for (offset, token) in vocabulary.tokens.enumerated().dropFirst(2) {
            if let vector = found[wanted[token]!] {
                vectors.append(id: offset, vector)
                continue
            }
            let pieces = contractionPieces(token).compactMap { found[wanted[$0]!] }
            guard pieces.count == 2 else { continue }
            vectors.append(id: offset, zip(pieces[0], pieces[1]).map { ($0 + $1) / 2 })
        }
        if vectors.ids.isEmpty {
            throw DataError(file: path, "no word of the vocabulary has a vector here (expected lines like 'word 0.1 -0.2 ...')")
        }
        return vectors
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
