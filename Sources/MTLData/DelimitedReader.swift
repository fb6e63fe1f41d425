/// Reads CSV and TSV (RFC 4180): quoted fields with `""` escapes and embedded newlines,
/// LF, CRLF or lone CR line ends (old Mac files; pandas reads all three), an optional UTF-8
/// byte-order mark. Blank lines are skipped. Line numbers in errors count every kind of line end.
///
/// ```swift
/// let table = try DelimitedReader.read(bytes: data, file: "reviews.csv", delimiter: UInt8(ascii: ","))
/// ```
public enum DelimitedReader {
    /// The length of the line end at `index`: 2 for CRLF, 1 for LF or a lone CR, else 0.
    static func lineEnd(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        guard index < bytes.count else { return 0 }
        if bytes[index] == 0x0A { return 1 }
        guard bytes[index] == 0x0D else { return 0 }
        return index + 1 < bytes.count && bytes[index + 1] == 0x0A ? 2 : 1
    }

    public static func read(bytes: [UInt8], file: String, delimiter: UInt8) throws(DataError) -> Table {
        try bytes.withUnsafeBufferPointer { (buffer) throws(DataError) -> Table in
            if let problem = ByteCheck.firstProblem(in: buffer, crEndsLines: true) {
                throw DataError(file: file, line: problem.line, column: problem.column, problem.message)
            }
            var start = 0
            if buffer.count >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { start = 3 }
            var parser = Parser(bytes: buffer, position: start, delimiter: delimiter, file: file)
            return try parser.table()
        }
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var position: Int
        let delimiter: UInt8
        let file: String
        var line = 1
        var lineStart = 0

        init(bytes: UnsafeBufferPointer<UInt8>, position: Int, delimiter: UInt8, file: String) {
            self.bytes = bytes
            self.position = position
            self.delimiter = delimiter
            self.file = file
            self.lineStart = position
        }

        mutating func table() throws(DataError) -> Table {
            guard let (header, _) = try record() else {
                throw DataError(file: file, "empty file: expected a header line")
            }
            var seen = Set<String>()
            for (i, name) in header.enumerated() {
                if name.isEmpty {
                    throw DataError(file: file, line: 1, "header column \(i + 1) has no name")
                }
                if !seen.insert(name).inserted {
                    throw DataError(file: file, line: 1, "duplicate column name '\(name)'")
                }
            }
            var columns = Array(repeating: [String](), count: header.count)
            var rowLines: [Int] = []
            while let (fields, recordLine) = try record() {
                if fields.count != header.count {
                    throw DataError(file: file, line: recordLine,
                                    "expected \(header.count) fields as in the header, found \(fields.count)")
                }
                for (c, field) in fields.enumerated() { columns[c].append(field) }
                rowLines.append(recordLine)
            }
            if rowLines.isEmpty {
                throw DataError(file: file, line: 1, "no data rows after the header")
            }
            return Table(file: file, header: header, columns: columns, rowLines: rowLines)
        }

        /// The next non-blank record and the line it starts on, or nil at the end.
        mutating func record() throws(DataError) -> ([String], Int)? {
            while lineEnd(at: position) > 0 { newline(lineEnd(at: position)) }
            if position >= bytes.count { return nil }
            let recordLine = line
            var fields: [String] = []
            while true {
                let (field, ended) = try self.field()
                fields.append(field)
                if ended { return (fields, recordLine) }
            }
        }

        private func lineEnd(at index: Int) -> Int { DelimitedReader.lineEnd(in: bytes, at: index) }

        /// Steps over a line end of `length` bytes.
        private mutating func newline(_ length: Int) {
            position += length
            line += 1
            lineStart = position
        }

        /// One field; `ended` is true when the record ends after it.
        private mutating func field() throws(DataError) -> (String, ended: Bool) {
            if position < bytes.count, bytes[position] == UInt8(ascii: "\"") {
                return try quotedField()
            }
            let start = position
            while position < bytes.count {
                let b = bytes[position]
                if b == delimiter {
                    let text = string(start, position)
                    position += 1
                    return (text, false)
                }
                let length = lineEnd(at: position)
                if length > 0 {
                    let text = string(start, position)
                    newline(length)
                    return (text, true)
                }
                if b == UInt8(ascii: "\"") {
                    throw DataError(file: file, line: line, column: position - lineStart + 1,
                                    "quote inside an unquoted field (quote the whole field and double the quote)")
                }
                position += 1
            }
            return (string(start, position), true)
        }

        private mutating func quotedField() throws(DataError) -> (String, ended: Bool) {
            let openLine = line
            let openColumn = position - lineStart + 1
            position += 1
            var content: [UInt8] = []
            while true {
                guard position < bytes.count else {
                    throw DataError(file: file, line: openLine, column: openColumn, "unterminated quoted field")
                }
                let b = bytes[position]
                if b == UInt8(ascii: "\"") {
                    if position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "\"") {
                        content.append(b)
                        position += 2
                        continue
                    }
                    position += 1
                    break
                }
                // A line end inside quotes is data, kept as written; it still starts a new file line.
                let length = lineEnd(at: position)
                if length > 0 {
                    content.append(contentsOf: bytes[position..<(position + length)])
                    newline(length)
                    continue
                }
                content.append(b)
                position += 1
            }
            let text = String(decoding: content, as: UTF8.self)
            if position >= bytes.count { return (text, true) }
            let b = bytes[position]
            if b == delimiter { position += 1; return (text, false) }
            let length = lineEnd(at: position)
            if length > 0 { newline(length); return (text, true) }
            throw DataError(file: file, line: line, column: position - lineStart + 1,
                            "unexpected character after a closing quote")
        }

        private func string(_ start: Int, _ end: Int) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }
    }
}
