import Foundation
import Testing
@testable import MTLData

@Suite struct DelimitedReaderTests {
    func read(_ text: String, delimiter: Character = ",") throws(DataError) -> Table {
        try DelimitedReader.read(bytes: Array(text.utf8), file: "t.csv", delimiter: delimiter.asciiValue!)
    }

    @Test func quotedFieldsWithEscapesAndNewlines() throws {
        let table = try read("id,text\n1,\"say \"\"hi\"\", ok\"\n2,\"two\nlines\"\n3,plain\n")
        #expect(table.header == ["id", "text"])
        #expect(table.column("text") == ["say \"hi\", ok", "two\nlines", "plain"])
        #expect(table.rowLines == [2, 3, 5])
    }

    @Test func byteOrderMarkAndCRLF() throws {
        let table = try read("\u{FEFF}a,b\r\n1,2\r\n3,\"x\r\ny\"\r\n")
        #expect(table.header == ["a", "b"])
        #expect(table.column("a") == ["1", "3"])
        #expect(table.column("b") == ["2", "x\r\ny"])
    }

    @Test func tabsAndEmptyFieldsAndBlankLines() throws {
        let table = try read("a\tb\n\n1\t\n\t2\n", delimiter: "\t")
        #expect(table.column("a") == ["1", ""])
        #expect(table.column("b") == ["", "2"])
    }

    @Test func raggedRowNamesItsLine() {
        #expect(throws: DataError(file: "t.csv", line: 3, "expected 2 fields as in the header, found 3")) {
            try read("a,b\n1,2\n1,2,3\n")
        }
    }

    @Test func unterminatedQuoteNamesWhereItOpened() {
        #expect(throws: DataError(file: "t.csv", line: 3, column: 3, "unterminated quoted field")) {
            try read("a,b\n1,2\n3,\"open\n4,5\n")
        }
    }

    @Test func invalidUTF8NamesLineAndColumn() {
        var bytes = Array("a,b\n1,ok\n2,x".utf8)
        bytes.append(0xFF)
        #expect(throws: DataError(file: "t.csv", line: 3, column: 4, "invalid UTF-8 byte 0xff")) {
            try DelimitedReader.read(bytes: bytes, file: "t.csv", delimiter: 0x2C)
        }
    }

    @Test func nulByte() {
        #expect(throws: DataError(file: "t.csv", line: 2, column: 2, "NUL byte in text data")) {
            try DelimitedReader.read(bytes: Array("a,b\n1\0,2\n".utf8), file: "t.csv", delimiter: 0x2C)
        }
    }

    @Test func emptyAndHeaderOnly() {
        #expect(throws: DataError(file: "t.csv", "empty file: expected a header line")) { try read("\n\n") }
        #expect(throws: DataError(file: "t.csv", line: 1, "no data rows after the header")) { try read("a,b\n") }
    }

    @Test func duplicateAndEmptyHeaderNames() {
        #expect(throws: DataError(file: "t.csv", line: 1, "duplicate column name 'a'")) { try read("a,a\n1,2\n") }
        #expect(throws: DataError(file: "t.csv", line: 1, "header column 2 has no name")) { try read("a,\n1,2\n") }
    }

    @Test func strayQuoteInsideUnquotedField() {
        #expect(throws: DataError.self) { try read("a,b\n1,x\"y\n") }
    }

    /// Old Mac files end lines with a lone CR; pandas reads them, so do we (not as one long line).
    @Test func crOnlyLineEndsReadAsTheirLFVersion() throws {
        let lf = "id,text,label\n1,\"a, b\",pos\n\n2,plain,neg\n3,\"say \"\"hi\"\"\",pos\n"
        let cr = try read(lf.replacingOccurrences(of: "\n", with: "\r"))
        let expected = try read(lf)
        #expect(cr.header == expected.header && cr.columns == expected.columns && cr.rowLines == expected.rowLines)
        #expect(cr.rowLines == [2, 4, 5])
        let tabs = try read("a\tb\r1\t2\r", delimiter: "\t")
        #expect(tabs.column("b") == ["2"])
    }

    /// A CR inside quotes is data, CRLF stays one line end, and each still starts a file line.
    @Test func mixedLineEndsAndACRInsideQuotes() throws {
        let table = try read("a,b\r\n1,\"x\ry\"\r2,\"p\r\nq\"\n3,z")
        #expect(table.column("b") == ["x\ry", "p\r\nq", "z"])
        #expect(table.rowLines == [2, 4, 6])
    }

    @Test func errorsInACROnlyFileNameTheirLine() {
        #expect(throws: DataError(file: "t.csv", line: 3, "expected 2 fields as in the header, found 3")) {
            try read("a,b\r1,2\r1,2,3\r")
        }
        #expect(throws: DataError(file: "t.csv", line: 3, column: 3, "unterminated quoted field")) {
            try read("a,b\r1,2\r3,\"open\r4,5\r")
        }
        #expect(throws: DataError(file: "t.csv", line: 4, column: 4, "quote inside an unquoted field (quote the whole field and double the quote)")) {
            try read("a,b\r1,\"two\rlines\"\r2,x\"y\r")
        }
        var bytes = Array("a,b\r1,ok\r\n2,x".utf8)
        bytes.append(0xFF)
        #expect(throws: DataError(file: "t.csv", line: 3, column: 4, "invalid UTF-8 byte 0xff")) {
            try DelimitedReader.read(bytes: bytes, file: "t.csv", delimiter: 0x2C)
        }
    }
}

@Suite struct JSONLReaderTests {
    func read(_ text: String) throws(DataError) -> Table {
        try JSONLReader.read(bytes: Array(text.utf8), file: "t.jsonl")
    }

    @Test func keysBecomeColumnsInOrder() throws {
        let table = try read("""
        {"text": "good \\"film\\"", "stars": 4.5, "ok": true, "tags": ["a", "b"]}

        {"stars": 1, "text": "bad\\u00e9", "extra": null}
        {"text": "none", "stars": 2, "tags": []}
        """)
        #expect(table.header == ["text", "stars", "ok", "tags", "extra"])
        #expect(table.column("text") == ["good \"film\"", "badé", "none"])
        #expect(table.column("stars") == ["4.5", "1", "2"])
        // A left-out key is an empty cell; `[]` the empty label set, `|` (no labels, not missing).
        #expect(table.column("tags") == ["a|b", "", "|"])
        #expect(table.column("extra") == ["", "", ""])
        #expect(table.rowLines == [1, 3, 4])
    }

    @Test func badLinesNameLineAndColumn() {
        #expect(throws: DataError(file: "t.jsonl", line: 2, column: 9, "expected ',' or '}'")) {
            try read("{\"a\": 1}\n{\"a\": 2 \"b\": 3}\n")
        }
        #expect(throws: DataError(file: "t.jsonl", line: 1, column: 1, "expected a JSON object '{'")) { try read("[1, 2]\n") }
        #expect(throws: DataError(file: "t.jsonl", line: 1, column: 7, "nested objects are not supported (key 'a')")) {
            try read("{\"a\": {\"b\": 1}}\n")
        }
        #expect(throws: DataError(file: "t.jsonl", line: 1, column: 7, "unterminated string")) { try read("{\"a\": \"open}\n") }
    }

    /// An empty key would become a column (a task) with no name, as an empty CSV header name would.
    @Test func anEmptyKeyNamesItsLineAndColumn() {
        #expect(throws: DataError(file: "t.jsonl", line: 2, column: 10, "empty key \"\"; every key names a column")) {
            try read("{\"a\": 1}\n{\"a\": 2, \"\": \"x\"}\n")
        }
    }
}

@Suite struct TOMLTests {
    @Test func parsesSpecSubset() throws {
        let doc = try TOMLDocument.parse("""
        # comment
        id = "id"   # trailing
        split = [0.8, 0.1,
                 0.1]
        [[task]]
        name = 'polarity'
        weight = 2
        class_weights = { pos = 2.0, neg = 1 }
        [[task]]
        name = "score"
        """, file: "spec.toml")
        #expect(doc.root["id"] == .string("id"))
        #expect(doc.root["split"] == .array([.float(0.8), .float(0.1), .float(0.1)]))
        #expect(doc.arrays["task"]?.count == 2)
        #expect(doc.arrays["task"]?[0]["weight"] == .integer(2))
        #expect(doc.arrays["task"]?[0].entries["weight"]?.line == 7)
        guard case .table(let weights)? = doc.arrays["task"]?[0]["class_weights"] else { Issue.record("no inline table"); return }
        #expect(weights["pos"] == .float(2.0))
    }

    @Test func errorsNameLineAndColumn() {
        #expect(throws: DataError(file: "s.toml", line: 2, column: 5, "expected a value, found 'yes'")) {
            try TOMLDocument.parse("a = 1\nb = yes\n", file: "s.toml")
        }
        #expect(throws: DataError(file: "s.toml", line: 2, key: "a", "defined twice")) {
            try TOMLDocument.parse("a = 1\na = 2\n", file: "s.toml")
        }
    }
}

@Suite struct DelimiterSniffingTests {
    /// A `.csv` that is tab-separated (as spreadsheets export it) reads as tab-separated; a real
    /// CSV whose cells hold tabs stays comma-separated.
    @Test func aTabSeparatedCSVIsReadByItsTabs() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mtl-sniff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tabbed = directory.appendingPathComponent("t.csv").path
        try "id\ttext\tlabel\n1\tgood, fine\tpos\n".write(toFile: tabbed, atomically: true, encoding: .utf8)
        let table = try DatasetSource.readTable(tabbed)
        #expect(table.header == ["id", "text", "label"] && table.column("text") == ["good, fine"])
        let commas = directory.appendingPathComponent("c.csv").path
        try "id,text\n1,a\tb\n".write(toFile: commas, atomically: true, encoding: .utf8)
        #expect(try DatasetSource.readTable(commas).column("text") == ["a\tb"])
    }
}
