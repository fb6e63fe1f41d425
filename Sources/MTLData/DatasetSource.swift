import Foundation

/// Where a dataset comes from: `DATA` is a data file, or a directory holding one data file
/// (`.csv`, `.tsv`, `.jsonl`, or an IDX image/label pair) and an optional `spec.toml`.
public struct DatasetSource: Sendable {
    public var table: Table
    /// The spec from `spec.toml`, if the directory had one.
    public var spec: DatasetSpec?
    public var specFile: String?

    public static func load(_ path: String) throws(DataError) -> DatasetSource {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(file: path, "no such file or directory")
        }
        if !isDirectory.boolValue {
            if let pair = try idxPair(path) { return DatasetSource(table: try readIDX(pair), spec: nil, specFile: nil) }
            return DatasetSource(table: try readTable(path), spec: nil, specFile: nil)
        }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path).sorted() } catch {
            throw DataError(file: path, "cannot list directory")
        }
        let dataFiles = names.filter { ["csv", "tsv", "jsonl", "ndjson"].contains(($0 as NSString).pathExtension.lowercased()) }
        let imageFiles = names.filter { $0.contains("idx3-ubyte") }
        let labelFiles = names.filter { $0.contains("idx1-ubyte") }
        let join = { (name: String) in (path as NSString).appendingPathComponent(name) }
        var table: Table
        if dataFiles.count == 1 {
            table = try readTable(join(dataFiles[0]))
        } else if dataFiles.count > 1 {
            throw DataError(file: path, "holds several data files (\(dataFiles.joined(separator: ", "))); pass one of them")
        } else if imageFiles.count == 1, labelFiles.count == 1 {
            table = try readIDX((join(imageFiles[0]), join(labelFiles[0])))
        } else if imageFiles.count > 1 {
            throw DataError(file: path, "holds several IDX image files (\(imageFiles.joined(separator: ", "))); pass one of them")
        } else {
            throw DataError(file: path, "holds no data file (.csv, .tsv, .jsonl, or an idx3-ubyte/idx1-ubyte pair)")
        }
        var source = DatasetSource(table: table, spec: nil, specFile: nil)
        if names.contains("spec.toml") {
            let specPath = join("spec.toml")
            let bytes = try readBytes(specPath)
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw DataError(file: specPath, "is not valid UTF-8")
            }
            source.spec = try DatasetSpec.parse(toml: text, file: specPath)
            source.specFile = specPath
            try source.spec!.check(against: table, specFile: specPath)
        }
        return source
    }

    /// For an IDX file given directly, the image file and the label file beside it, paired by
    /// the MNIST naming (`train-images-idx3-ubyte` ↔ `train-labels-idx1-ubyte`, `t10k-…`); nil for
    /// any other file. A missing partner is an error naming the file looked for.
    static func idxPair(_ path: String) throws(DataError) -> (images: String, labels: String)? {
        let name = (path as NSString).lastPathComponent
        let isImages = name.contains("idx3-ubyte"), isLabels = name.contains("idx1-ubyte")
        guard isImages || isLabels else { return nil }
        let partnerName = isImages
            ? name.replacingOccurrences(of: "images", with: "labels").replacingOccurrences(of: "idx3-ubyte", with: "idx1-ubyte")
            : name.replacingOccurrences(of: "labels", with: "images").replacingOccurrences(of: "idx1-ubyte", with: "idx3-ubyte")
        let partner = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(partnerName)
        guard FileManager.default.fileExists(atPath: partner) else {
            throw DataError(file: path, "IDX \(isImages ? "images need their labels" : "labels need their images") file "
                            + "'\(partnerName)' beside them; it is not there (pass a directory holding one images/labels pair)")
        }
        return isImages ? (path, partner) : (partner, path)
    }

    static func readIDX(_ pair: (images: String, labels: String)) throws(DataError) -> Table {
        try IDXReader.table(images: try readBytes(pair.images), imageFile: pair.images,
                            labels: try readBytes(pair.labels), labelFile: pair.labels)
    }

    public static func readTable(_ path: String) throws(DataError) -> Table {
        let bytes = try readBytes(path)
        switch (path as NSString).pathExtension.lowercased() {
        case "jsonl", "ndjson": return try JSONLReader.read(bytes: bytes, file: path)
        case "tsv", "tab": return try DelimitedReader.read(bytes: bytes, file: path, delimiter: 0x09)
        default: return try DelimitedReader.read(bytes: bytes, file: path, delimiter: headerIsTabSeparated(bytes) ? 0x09 : UInt8(ascii: ","))
        }
    }

    /// A `.csv` whose first line has tabs and no comma is tab-separated (spreadsheets export
    /// such files under .csv): read it so, rather than as one column named with the tabs.
    static func headerIsTabSeparated(_ bytes: [UInt8]) -> Bool {
        var tabs = 0
        for byte in bytes {
            if byte == 0x0A || byte == 0x0D { break }
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"") { return false }
            if byte == 0x09 { tabs += 1 }
        }
        return tabs > 0
    }

    static func readBytes(_ path: String) throws(DataError) -> [UInt8] {
        [UInt8](try mapFile(path))
    }

    /// The file's bytes, memory-mapped: large files (word vectors) cost no copy.
    static func mapFile(_ path: String) throws(DataError) -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(file: path, "no such file")
        }
        if isDirectory.boolValue { throw DataError(file: path, "is a directory, expected a file") }
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else {
            throw DataError(file: path, "cannot read file")
        }
        if data.isEmpty { throw DataError(file: path, "empty file") }
        return data
    }
}

extension DatasetSpec {
    /// The columns the spec names (inputs, tasks, sample weights, id, split) that `table` lacks.
    public func missingColumns(in table: Table) -> [String] {
        let named = inputs.map(\.column) + tasks.map(\.column) + tasks.compactMap(\.sampleWeightColumn)
            + [idColumn, splitColumn].compactMap { $0 }
        return named.filter { !Self.table(table, has: $0) }
    }

    /// A column by name, or an image input's pixel columns under that prefix.
    private static func table(_ table: Table, has column: String) -> Bool {
        table.columnIndex(column) != nil || SpecInference.imageColumns(table, prefix: column) != nil
    }

    /// Every column the spec names exists in the table.
    public func check(against table: Table, specFile: String) throws(DataError) {
        func exists(_ column: String) -> Bool { Self.table(table, has: column) }
        let available = table.header.joined(separator: ", ")
        for input in inputs where !exists(input.column) {
            throw DataError(file: specFile, line: input.sourceLine, key: "column", "unknown column '\(input.column)' (columns: \(available))")
        }
        for task in tasks {
            if !exists(task.column) {
                throw DataError(file: specFile, line: task.sourceLine, key: "column", "unknown column '\(task.column)' (columns: \(available))")
            }
            if let w = task.sampleWeightColumn, !exists(w) {
                throw DataError(file: specFile, line: task.sourceLine, key: "sample_weight", "unknown column '\(w)'")
            }
        }
        if let id = idColumn, !exists(id) { throw DataError(file: specFile, key: "id", "unknown column '\(id)'") }
        if let s = splitColumn, !exists(s) { throw DataError(file: specFile, key: "split_column", "unknown column '\(s)'") }
    }
}
