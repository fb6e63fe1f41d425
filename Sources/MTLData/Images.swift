/// Images as pixel features scaled to [0, 1]: a hex column (two hex digits per pixel, as in
/// fashion-mnist-1k) or one column per pixel (`p0…p63`, as in digits-8x8).
enum ImageDecoder {
    static func fit(_ table: Table, _ input: InputSpec) throws(DataError) -> DataEncoder.ImageEncoding {
        let encoding = input.imageEncoding ?? (table.columnIndex(input.column) != nil ? "hex" : "columns")
        var pixels: Int
        var scale: Float = 255
        if encoding == "hex" {
            let values = try DataEncoder.column(table, input.column, role: "image")
            guard let first = values.first(where: { !$0.isEmpty }) else {
                throw DataError(file: table.file, key: input.column, "image column has no values")
            }
            pixels = first.utf8.count / 2
        } else {
            guard let names = SpecInference.imageColumns(table, prefix: input.column) else {
                throw DataError(file: table.file, key: input.column, "no pixel columns \(input.column)0, \(input.column)1, …")
            }
            pixels = names.count
            var maximum = 0.0
            for name in names {
                let values = table.column(name)!
                for r in 0..<table.rowCount {
                    if let v = try DataEncoder.number(table, values, r, name) { maximum = max(maximum, v) }
                }
            }
            scale = maximum <= 1 ? 1 : maximum <= 16 ? 16 : 255
        }
        let side = Int(Double(pixels).squareRoot().rounded())
        let width = input.width ?? (input.height.map { pixels / $0 } ?? side)
        let height = input.height ?? (pixels / max(width, 1))
        guard width * height == pixels, width > 0 else {
            throw DataError(file: table.file, key: input.column,
                            "image has \(pixels) pixels, which is not width × height; set width and height in spec.toml")
        }
        return DataEncoder.ImageEncoding(column: input.column, encoding: encoding, width: width, height: height, scale: scale)
    }

    static func decode(_ table: Table, _ image: DataEncoder.ImageEncoding, into features: inout [Float],
                       rowWidth: Int, offset: Int) throws(DataError) {
        let pixels = image.width * image.height
        if image.encoding == "hex" {
            let values = try DataEncoder.column(table, image.column, role: "image")
            for r in 0..<table.rowCount {
                let bytes = Array(values[r].utf8)
                guard bytes.count == pixels * 2 else {
                    throw table.error(row: r, column: image.column,
                                      "image has \(bytes.count / 2) pixels, expected \(image.width)×\(image.height) = \(pixels)")
                }
                for p in 0..<pixels {
                    guard let hi = hexValue(bytes[2 * p]), let lo = hexValue(bytes[2 * p + 1]) else {
                        throw table.error(row: r, column: image.column, "invalid hex digit at pixel \(p)")
                    }
                    features[r * rowWidth + offset + p] = Float(hi * 16 + lo) / image.scale
                }
            }
        } else {
            for p in 0..<pixels {
                let name = "\(image.column)\(p)"
                guard let values = table.column(name) else {
                    throw DataError(file: table.file, key: name, "missing pixel column (image is \(image.width)×\(image.height))")
                }
                for r in 0..<table.rowCount {
                    guard let v = try DataEncoder.number(table, values, r, name) else {
                        throw table.error(row: r, column: name, "missing pixel value")
                    }
                    features[r * rowWidth + offset + p] = Float(v) / image.scale
                }
            }
        }
    }

    private static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: Int(b - 0x30)
        case 0x41...0x46: Int(b - 0x41 + 10)
        case 0x61...0x66: Int(b - 0x61 + 10)
        default: nil
        }
    }
}

/// Reads IDX files (the MNIST format): an image file `…idx3-ubyte` and a label file
/// `…idx1-ubyte` become a table with a `label` column and a hex `image` column.
public enum IDXReader {
    public static func table(images: [UInt8], imageFile: String, labels: [UInt8], labelFile: String) throws(DataError) -> Table {
        let (imageDims, imageData) = try parse(images, file: imageFile, expectedRank: 3)
        let (labelDims, labelData) = try parse(labels, file: labelFile, expectedRank: 1)
        guard imageDims[0] == labelDims[0] else {
            throw DataError(file: labelFile, "has \(labelDims[0]) labels but \(imageFile) has \(imageDims[0]) images")
        }
        let count = imageDims[0], pixels = imageDims[1] * imageDims[2]
        let digits = Array("0123456789abcdef".utf8)
        var hex: [String] = []
        hex.reserveCapacity(count)
        for i in 0..<count {
            var chars = [UInt8](repeating: 0, count: pixels * 2)
            for p in 0..<pixels {
                let v = imageData[i * pixels + p]
                chars[2 * p] = digits[Int(v >> 4)]
                chars[2 * p + 1] = digits[Int(v & 15)]
            }
            hex.append(String(decoding: chars, as: UTF8.self))
        }
        return Table(file: imageFile, header: ["label", "image"],
                     columns: [labelData.map { String($0) }, hex], rowLines: Array(1...count))
    }

    /// Dimensions and payload of one unsigned-byte IDX file.
    static func parse(_ bytes: [UInt8], file: String, expectedRank: Int) throws(DataError) -> ([Int], [UInt8]) {
        guard bytes.count >= 4 else { throw DataError(file: file, "truncated IDX file: no header") }
        guard bytes[0] == 0, bytes[1] == 0 else { throw DataError(file: file, "not an IDX file (bad magic number)") }
        guard bytes[2] == 0x08 else { throw DataError(file: file, "IDX element type 0x\(String(bytes[2], radix: 16)) is not unsigned bytes") }
        let rank = Int(bytes[3])
        guard rank == expectedRank else { throw DataError(file: file, "IDX file has \(rank) dimensions, expected \(expectedRank)") }
        guard bytes.count >= 4 + 4 * rank else { throw DataError(file: file, "truncated IDX file: header cut short") }
        var dims: [Int] = []
        for d in 0..<rank {
            let o = 4 + 4 * d
            dims.append(Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]))
        }
        let payload = bytes.count - 4 - 4 * rank
        var expected = 1
        for d in dims {
            let (product, overflow) = expected.multipliedReportingOverflow(by: d)
            guard !overflow else {
                throw DataError(file: file, "IDX header dimensions \(dims.map(String.init).joined(separator: "×")) are larger than any file")
            }
            expected = product
        }
        guard payload >= expected else {
            throw DataError(file: file, "truncated IDX file: \(payload) data bytes, expected \(expected) for \(dims.map(String.init).joined(separator: "×"))")
        }
        guard dims[0] > 0 else { throw DataError(file: file, "IDX file holds no items") }
        return (dims, Array(bytes[(4 + 4 * rank)..<(4 + 4 * rank + expected)]))
    }
}
