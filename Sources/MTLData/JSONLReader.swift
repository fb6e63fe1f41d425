/// Reads JSON Lines: one flat JSON object per line. Keys become columns in order of first
/// appearance; a key missing from a row is a missing value. Strings, numbers, booleans and null
/// (or Python's bare `NaN`, read as null) are cells; an array of strings is a multi-label cell
/// written `a|b|c`.
///
/// ```swift
/// let table = try JSONLReader.read(bytes: data, file: "reviews.jsonl")
/// ```
public enum JSONLReader {
    public static func read(bytes: [UInt8], file: String) throws(DataError) -> Table {
        try bytes.withUnsafeBufferPointer { (buffer) throws(DataError) -> Table in
            if let problem = ByteCheck.firstProblem(in: buffer, crEndsLines: false) {
                throw DataError(file: file, line: problem.line, column: problem.column, problem.message)
            }
            var records: [[(key: String, value: String)]] = []
            var rowLines: [Int] = []
            var lineStart = buffer.count >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF ? 3 : 0
            var lineNumber = 1
            while lineStart < buffer.count {
                var lineEnd = lineStart
                while lineEnd < buffer.count, buffer[lineEnd] != 0x0A { lineEnd += 1 }
                let slice = UnsafeBufferPointer(rebasing: buffer[lineStart..<lineEnd])
                var parser = FlatObjectParser(bytes: slice, file: file, line: lineNumber)
                if let pairs = try parser.parseLine() {
                    var keys = Set<String>()
                    for (key, _) in pairs where !keys.insert(key).inserted {
                        throw DataError(file: file, line: lineNumber, key: key, "duplicate key in one object")
                    }
                    records.append(pairs.map { (key: $0.0, value: $0.1) })
                    rowLines.append(lineNumber)
                }
                lineStart = lineEnd + 1
                lineNumber += 1
            }
            if records.isEmpty { throw DataError(file: file, "empty file: expected one JSON object per line") }
            return Table(file: file, records: records, rowLines: rowLines)
        }
    }
}

/// A small JSON parser for one flat object per line, keeping key order and columns for errors.
private struct FlatObjectParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let file: String
    let line: Int
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>, file: String, line: Int) {
        self.bytes = bytes
        self.file = file
        self.line = line
    }

    /// The key/value pairs of the object on this line, or nil for a blank line.
    mutating func parseLine() throws(DataError) -> [(String, String)]? {
        skipSpace()
        if position >= bytes.count { return nil }
        try expect(UInt8(ascii: "{"), "expected a JSON object '{'")
        var pairs: [(String, String)] = []
        skipSpace()
        if peek() == UInt8(ascii: "}") {
            position += 1
        } else {
            while true {
                skipSpace()
                guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let keyStart = position
                let key = try string()
                // A key names a column (a task, an input): one without a name cannot be saved or predicted.
                if key.isEmpty { throw fail("empty key \"\"; every key names a column", at: keyStart) }
                skipSpace()
                try expect(UInt8(ascii: ":"), "expected ':' after a key")
                skipSpace()
                pairs.append((key, try value(key: key)))
                skipSpace()
                if peek() == UInt8(ascii: ",") { position += 1; continue }
                try expect(UInt8(ascii: "}"), "expected ',' or '}'")
                break
            }
        }
        skipSpace()
        if position < bytes.count { throw fail("unexpected text after the object") }
        return pairs
    }

    private mutating func value(key: String) throws(DataError) -> String {
        guard let b = peek() else { throw fail("expected a value") }
        switch b {
        case UInt8(ascii: "\""): return try string()
        case UInt8(ascii: "t"): try literal("true"); return "true"
        case UInt8(ascii: "f"): try literal("false"); return "false"
        case UInt8(ascii: "n"): try literal("null"); return ""
        // Python's json module writes a float NaN so (not JSON, but common): missing, as null.
        case UInt8(ascii: "N"): try literal("NaN"); return ""
        case UInt8(ascii: "["): return try stringList(key: key)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        case UInt8(ascii: "{"): throw fail("nested objects are not supported (key '\(key)')")
        default: throw fail("expected a value")
        }
    }

    private mutating func stringList(key: String) throws(DataError) -> String {
        position += 1
        var items: [String] = []
        skipSpace()
        // `[]` is the empty label set, not a missing value: `|` splits into no labels.
        if peek() == UInt8(ascii: "]") { position += 1; return "|" }
        while true {
            skipSpace()
            guard peek() == UInt8(ascii: "\"") else {
                throw fail("arrays may hold only strings (key '\(key)')")
            }
            items.append(try string())
            skipSpace()
            if peek() == UInt8(ascii: ",") { position += 1; continue }
            try expect(UInt8(ascii: "]"), "expected ',' or ']'")
            return items.joined(separator: "|")
        }
    }

    private mutating func number() throws(DataError) -> String {
        let start = position
        while let b = peek(), b == UInt8(ascii: "-") || b == UInt8(ascii: "+") || b == UInt8(ascii: ".")
            || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) {
            position += 1
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        if Double(text) == nil { position = start; throw fail("invalid number '\(text)'") }
        return text
    }

    private mutating func string() throws(DataError) -> String {
        let open = position
        position += 1
        var out: [UInt8] = []
        while true {
            guard let b = peek() else { position = open; throw fail("unterminated string") }
            position += 1
            if b == UInt8(ascii: "\"") { break }
            if b != UInt8(ascii: "\\") { out.append(b); continue }
            let escape = position - 1
            guard let e = peek() else { throw fail("unterminated escape") }
            position += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var scalar = try hex4(escape: escape)
                if (0xDC00...0xDFFF).contains(scalar) {
                    throw fail("lone low surrogate in \\u escape (it must follow a high surrogate \\uD800-\\uDBFF)", at: escape)
                }
                if (0xD800...0xDBFF).contains(scalar) {
                    let low = position
                    guard peek() == UInt8(ascii: "\\"), peek(1) == UInt8(ascii: "u") else {
                        throw fail("unpaired high surrogate in \\u escape (expected a low surrogate \\uDC00-\\uDFFF after it)", at: escape)
                    }
                    position += 2
                    let second = try hex4(escape: low)
                    guard (0xDC00...0xDFFF).contains(second) else {
                        throw fail("unpaired high surrogate in \\u escape (expected a low surrogate \\uDC00-\\uDFFF after it)", at: escape)
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (second - 0xDC00)
                }
                guard let s = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape", at: escape) }
                if s == "\0" { throw fail("NUL character in a string", at: escape) }
                out.append(contentsOf: Array(String(Character(s)).utf8))
            default:
                throw fail("invalid escape '\\\(Character(Unicode.Scalar(e)))' (JSON allows \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)", at: escape)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Four hex digits after `\u`; `escape` is where the escape's backslash is, for errors.
    private mutating func hex4(escape: Int) throws(DataError) -> UInt32 {
        var value: UInt32 = 0
        for i in 0..<4 {
            guard let b = peek(i), let digit = hexDigit(b) else {
                throw fail("short or invalid \\u escape (expected four hex digits)", at: escape)
            }
            value = value << 4 | digit
        }
        position += 4
        return value
    }

    private func hexDigit(_ b: UInt8) -> UInt32? {
        switch b {
        case 0x30...0x39: UInt32(b - 0x30)
        case 0x41...0x46: UInt32(b - 0x41 + 10)
        case 0x61...0x66: UInt32(b - 0x61 + 10)
        default: nil
        }
    }

    private mutating func literal(_ word: String) throws(DataError) {
        for c in word.utf8 {
            guard peek() == c else { throw fail("invalid literal, expected '\(word)'") }
            position += 1
        }
    }

    private mutating func expect(_ byte: UInt8, _ message: String) throws(DataError) {
        guard peek() == byte else { throw fail(message) }
        position += 1
    }

    private func peek(_ ahead: Int = 0) -> UInt8? { position + ahead < bytes.count ? bytes[position + ahead] : nil }

    private mutating func skipSpace() {
        while let b = peek(), b == 0x20 || b == 0x09 || b == 0x0D { position += 1 }
    }

    private func fail(_ message: String, at offset: Int? = nil) -> DataError {
        DataError(file: file, line: line, column: (offset ?? position) + 1, message)
    }
}
