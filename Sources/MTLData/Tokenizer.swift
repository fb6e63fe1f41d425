/// Splits text into lowercase tokens: runs of letters, digits and apostrophes are words; every
/// other visible character is a token of its own (so `:)` and `!!` keep their signal).
///
/// ```swift
/// Tokenizer.tokens("Loved it!! 10/10")  // ["loved", "it", "!", "!", "10", "/", "10"]
/// ```
public enum Tokenizer {
    public static func tokens(_ text: String) -> [String] {
        var out: [String] = []
        var word = String.UnicodeScalarView()
        func flush() {
            if !word.isEmpty { out.append(String(word)); word.removeAll(keepingCapacity: true) }
        }
        for scalar in text.lowercased().unicodeScalars {
            let p = scalar.properties
            if p.isAlphabetic || p.numericType != nil || scalar == "'" || p.generalCategory == .nonspacingMark {
                word.append(scalar)
            } else {
                flush()
                if !p.isWhitespace, scalar.value >= 0x20 { out.append(String(scalar)) }
            }
        }
        flush()
        return out
    }
}

/// Token ↔ id. Id 0 is padding, id 1 is out-of-vocabulary, real tokens start at 2,
/// most frequent first (ties alphabetical, so the order never depends on hashing).
public struct Vocabulary: Sendable, Codable, Equatable {
    public static let padding: Int32 = 0
    public static let unknown: Int32 = 1

    public private(set) var tokens: [String]
    private var index: [String: Int32]

    public init(counting texts: [[String]], minFrequency: Int, maxSize: Int) {
        var counts: [String: Int] = [:]
        for text in texts { for token in text { counts[token, default: 0] += 1 } }
        let kept = counts.filter { $0.value >= minFrequency }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(maxSize)
            .map(\.key)
        self.init(tokens: ["<pad>", "<unk>"] + kept)
    }

    public init(tokens: [String]) {
        self.tokens = tokens
        var index: [String: Int32] = [:]
        for (i, t) in tokens.enumerated() { index[t] = Int32(i) }
        self.index = index
    }

    public var count: Int { tokens.count }

    public func id(_ token: String) -> Int32 { index[token] ?? Vocabulary.unknown }

    enum CodingKeys: CodingKey { case tokens }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(tokens: try c.decode([String].self, forKey: .tokens))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tokens, forKey: .tokens)
    }
}
