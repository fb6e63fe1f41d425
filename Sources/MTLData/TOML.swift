/// The part of TOML a dataset spec needs: `key = value` lines with bare, quoted or dotted keys
/// (`a.b = 1` sets key `b` of table `a`), `[table]` and `[[array]]` headers (one level), strings, integers, floats, booleans, arrays and inline tables.
/// Every value remembers its line so a bad key can be reported where it is.
public enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case float(Double)
    case bool(Bool)
    case array([TOMLValue])
    case table(TOMLTable)

    var typeName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a number"
        case .bool: "a boolean"
        case .array: "an array"
        case .table: "a table"
        }
    }
}

public struct TOMLTable: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var value: TOMLValue
        public var line: Int
    }
    public var name: String
    public var line: Int
    public var keys: [String] = []
    public var entries: [String: Entry] = [:]
    /// Made by dotted keys (`a.b = 1`), so later dotted keys may add to it; an inline table may not grow.
    public var isDotted = false

    public subscript(key: String) -> TOMLValue? { entries[key]?.value }
}

public struct TOMLDocument: Sendable {
    public var root: TOMLTable
    public var tables: [String: TOMLTable] = [:]
    public var arrays: [String: [TOMLTable]] = [:]
    /// Section names in file order, for error messages that list what was found.
    public var sectionOrder: [String] = []

    public static func parse(_ text: String, file: String) throws(DataError) -> TOMLDocument {
        var parser = TOMLParser(bytes: Array(text.utf8), file: file)
        return try parser.document()
    }
}

private struct TOMLParser {
    let bytes: [UInt8]
    let file: String
    var position = 0
    var line = 1
    var lineStart = 0

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    mutating func document() throws(DataError) -> TOMLDocument {
        var doc = TOMLDocument(root: TOMLTable(name: "", line: 1))
        // Where the current section lives: nil = root, (name, nil) = table, (name, index) = array item.
        var current: (name: String, index: Int?)? = nil
        while true {
            skipBlankAndComments()
            guard let b = peek() else { break }
            if b == UInt8(ascii: "[") {
                let headerLine = line
                let isArray = peek(1) == UInt8(ascii: "[")
                position += isArray ? 2 : 1
                skipSpaces()
                let name = try keyPath().joined(separator: ".")
                skipSpaces()
                try expect(UInt8(ascii: "]"))
                if isArray { try expect(UInt8(ascii: "]")) }
                try endOfLine()
                if doc.root.entries[name] != nil || (isArray ? doc.tables[name] != nil : doc.arrays[name] != nil) {
                    throw DataError(file: file, line: headerLine, key: name, "defined twice")
                }
                if isArray {
                    doc.arrays[name, default: []].append(TOMLTable(name: name, line: headerLine))
                    current = (name, doc.arrays[name]!.count - 1)
                } else {
                    if doc.tables[name] != nil { throw DataError(file: file, line: headerLine, key: "[\(name)]", "defined twice") }
                    doc.tables[name] = TOMLTable(name: name, line: headerLine)
                    current = (name, nil)
                }
                doc.sectionOrder.append(name)
                continue
            }
            let entryLine = line
            let path = try keyPath()
            skipSpaces()
            try expect(UInt8(ascii: "="))
            skipSpaces()
            let value = try self.value()
            try endOfLine()
            switch current {
            case nil: try insert(value, at: path, line: entryLine, into: &doc.root)
            case let (section, nil)?: try insert(value, at: path, line: entryLine, into: &doc.tables[section]!)
            case let (section, index?)?: try insert(value, at: path, line: entryLine, into: &doc.arrays[section]![index])
            }
        }
        return doc
    }

    private mutating func value() throws(DataError) -> TOMLValue {
        guard let b = peek() else { throw fail("expected a value") }
        switch b {
        case UInt8(ascii: "\""): return .string(try basicString())
        case UInt8(ascii: "'"): return .string(try literalString())
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "{"): return try inlineTable()
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            let word = bareWord()
            if word == "true" { return .bool(true) }
            if word == "false" { return .bool(false) }
            throw fail("expected a value, found '\(word)'")
        default:
            let startColumn = position
            let word = bareWord().replacingOccurrences(of: "_", with: "")
            if let i = Int(word) { return .integer(i) }
            // TOML integers are 64-bit: a longer run of digits is an error, not a float.
            let digits = word.drop { $0 == "+" || $0 == "-" }
            if !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
                position = startColumn
                throw fail("integer \(word) is out of range (at most \(Int.max))")
            }
            if let d = Double(word), !word.isEmpty { return .float(d) }
            if word == "inf" || word == "+inf" { return .float(.infinity) }
            if word == "nan" { return .float(.nan) }
            position = startColumn
            throw fail("expected a value, found '\(word)'")
        }
    }

    private mutating func array() throws(DataError) -> TOMLValue {
        position += 1
        var items: [TOMLValue] = []
        while true {
            skipBlankAndComments()
            if peek() == UInt8(ascii: "]") { position += 1; return .array(items) }
            items.append(try value())
            skipBlankAndComments()
            if peek() == UInt8(ascii: ",") { position += 1; continue }
            skipBlankAndComments()
            try expect(UInt8(ascii: "]"))
            return .array(items)
        }
    }

    private mutating func inlineTable() throws(DataError) -> TOMLValue {
        let startLine = line
        position += 1
        var table = TOMLTable(name: "", line: startLine)
        skipSpaces()
        if peek() == UInt8(ascii: "}") { position += 1; return .table(table) }
        while true {
            skipSpaces()
            let path = try keyPath()
            skipSpaces()
            try expect(UInt8(ascii: "="))
            skipSpaces()
            let v = try value()
            try insert(v, at: path, line: line, into: &table)
            skipSpaces()
            if peek() == UInt8(ascii: ",") { position += 1; continue }
            try expect(UInt8(ascii: "}"))
            return .table(table)
        }
    }

    /// Sets `path` (a dotted key: `a.b = 1` is key `b` of table `a`) to `value` in `table`,
    /// creating the tables on the way. A key is defined once; an inline table is closed.
    private func insert(_ value: TOMLValue, at path: [String], line entryLine: Int, into table: inout TOMLTable,
                        fullKey: [String]? = nil) throws(DataError) {
        let name = path[0]
        let dotted = (fullKey ?? path).joined(separator: ".")
        if path.count == 1 {
            if table.entries[name] != nil { throw DataError(file: file, line: entryLine, key: dotted, "defined twice") }
            table.keys.append(name)
            table.entries[name] = .init(value: value, line: entryLine)
            return
        }
        var inner: TOMLTable
        switch table.entries[name]?.value {
        case nil:
            inner = TOMLTable(name: name, line: entryLine, isDotted: true)
            table.keys.append(name)
        case .table(let existing)? where existing.isDotted:
            inner = existing
        default:
            throw DataError(file: file, line: entryLine, key: dotted, "'\(name)' is already defined as a value, not a table to add keys to")
        }
        try insert(value, at: Array(path.dropFirst()), line: entryLine, into: &inner, fullKey: fullKey ?? path)
        table.entries[name] = .init(value: .table(inner), line: table.entries[name]?.line ?? entryLine)
    }

    /// A key: bare or quoted parts joined by dots (`a.b`, `"x.y".z`), spaces allowed around dots.
    private mutating func keyPath() throws(DataError) -> [String] {
        var path = [try key()]
        while true {
            let save = position
            skipSpaces()
            guard peek() == UInt8(ascii: ".") else { position = save; return path }
            position += 1
            skipSpaces()
            path.append(try key())
        }
    }

    private mutating func key() throws(DataError) -> String {
        if peek() == UInt8(ascii: "\"") { return try basicString() }
        if peek() == UInt8(ascii: "'") { return try literalString() }
        let start = position
        while let b = peek(), isBareKeyByte(b) { position += 1 }
        if start == position { throw fail("expected a key") }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private func isBareKeyByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
    }

    /// A bare value word: digits, letters, `_ - + .` (numbers like 1.5e-3, true, inf).
    private mutating func bareWord() -> String {
        let start = position
        while let b = peek(), isBareKeyByte(b) || b == UInt8(ascii: "+") || b == UInt8(ascii: ".") { position += 1 }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private mutating func basicString() throws(DataError) -> String {
        position += 1
        var out: [UInt8] = []
        while true {
            guard let b = peek(), b != 0x0A else { throw fail("unterminated string") }
            position += 1
            if b == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            if b != UInt8(ascii: "\\") { out.append(b); continue }
            guard let e = peek() else { throw fail("unterminated string") }
            position += 1
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "\\"): out.append(e)
            case UInt8(ascii: "\""): out.append(e)
            default: throw fail("unsupported escape '\\\(Character(Unicode.Scalar(e)))'")
            }
        }
    }

    private mutating func literalString() throws(DataError) -> String {
        position += 1
        let start = position
        while let b = peek(), b != UInt8(ascii: "'") {
            if b == 0x0A { throw fail("unterminated string") }
            position += 1
        }
        guard peek() != nil else { throw fail("unterminated string") }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        position += 1
        return text
    }

    private mutating func endOfLine() throws(DataError) {
        skipSpaces()
        if peek() == UInt8(ascii: "#") { while let b = peek(), b != 0x0A { position += 1 } }
        if peek() == 0x0D { position += 1 }
        guard let b = peek() else { return }
        guard b == 0x0A else { throw fail("unexpected text at the end of the line") }
    }

    private mutating func skipSpaces() {
        while let b = peek(), b == 0x20 || b == 0x09 { position += 1 }
    }

    private mutating func skipBlankAndComments() {
        while let b = peek() {
            if b == 0x20 || b == 0x09 || b == 0x0D { position += 1 }
            else if b == 0x0A { position += 1; line += 1; lineStart = position }
            else if b == UInt8(ascii: "#") { while let c = peek(), c != 0x0A { position += 1 } }
            else { break }
        }
    }

    private mutating func expect(_ byte: UInt8) throws(DataError) {
        guard peek() == byte else { throw fail("expected '\(Character(Unicode.Scalar(byte)))'") }
        position += 1
    }

    private func peek(_ ahead: Int = 0) -> UInt8? {
        position + ahead < bytes.count ? bytes[position + ahead] : nil
    }

    private func fail(_ message: String) -> DataError {
        DataError(file: file, line: line, column: position - lineStart + 1, message)
    }
}
