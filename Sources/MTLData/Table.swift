/// A rectangular table of text cells as read from a file, stored by column.
///
/// Empty cells mean "missing". `rowLines[r]` is the 1-based line where row `r` starts, so every
/// later error about a value can name its place in the file.
public struct Table: Sendable {
    public var file: String
    public var header: [String]
    public var columns: [[String]]
    public var rowLines: [Int]

    public init(file: String, header: [String], columns: [[String]], rowLines: [Int]) {
        self.file = file
        self.header = header
        self.columns = columns
        self.rowLines = rowLines
    }

    public var rowCount: Int { rowLines.count }

    public func columnIndex(_ name: String) -> Int? { header.firstIndex(of: name) }

    public func column(_ name: String) -> [String]? {
        columnIndex(name).map { columns[$0] }
    }

    /// An error pointing at one cell.
    public func error(row: Int, column name: String, _ message: String) -> DataError {
        DataError(file: file, line: rowLines[row], key: "column '\(name)'", message)
    }
}
