/// A rectangular table of text cells as read from a file, stored by column.
///
/// Empty cells mean "missing". `rowLines[r]` is the 1-based line where row `r` starts, so every
/// later error about a value can name its place in the file.
public struct Table: Sendable {
    public var file: String
    public var header: [String] { didSet { indexOf = Table.index(header) } }
    public var columns: [[String]]
    public var rowLines: [Int]
    /// JSON Lines: for a key some rows lack, the first such row (a missing key is not an empty value).
    public var absentKeys: [String: Int] = [:]
    /// Column index by name, so looking a column up costs the same in a table of 100,000 columns.
    private var indexOf: [String: Int]

    public init(file: String, header: [String], columns: [[String]], rowLines: [Int]) {
        self.file = file
        self.header = header
        self.columns = columns
        self.rowLines = rowLines
        indexOf = Table.index(header)
    }

    /// A table of records, each its (key, cell) pairs with no key twice (JSON Lines): keys
    /// become columns in order of first appearance, and a key a record lacks is an empty cell,
    /// noted in `absentKeys`. `rowLines[r]` is the line record `r` was read from.
    public init(file: String, records: [[(key: String, value: String)]], rowLines: [Int]) {
        var header: [String] = [], columnOf: [String: Int] = [:]
        for record in records {
            for (key, _) in record where columnOf[key] == nil {
                columnOf[key] = header.count
                header.append(key)
            }
        }
        var columns = Array(repeating: [String](repeating: "", count: records.count), count: header.count)
        var present = Array(repeating: 0, count: header.count)
        var absent: [String: Int] = [:]
        for (r, record) in records.enumerated() {
            for (key, value) in record {
                let c = columnOf[key]!
                columns[c][r] = value
                present[c] += 1
            }
            // The first row without a key is the first whose count of that key falls behind.
            for c in header.indices where present[c] < r + 1 && absent[header[c]] == nil { absent[header[c]] = r }
        }
        self.init(file: file, header: header, columns: columns, rowLines: rowLines)
        absentKeys = absent
    }

    private static func index(_ header: [String]) -> [String: Int] {
        var index: [String: Int] = [:]
        index.reserveCapacity(header.count)
        for (i, name) in header.enumerated() where index[name] == nil { index[name] = i }
        return index
    }

    public var rowCount: Int { rowLines.count }

    public func columnIndex(_ name: String) -> Int? { indexOf[name] }

    public func column(_ name: String) -> [String]? {
        columnIndex(name).map { columns[$0] }
    }

    /// An error pointing at one cell.
    public func error(row: Int, column name: String, _ message: String) -> DataError {
        DataError(file: file, line: rowLines[row], key: "column '\(name)'", message)
    }
}
