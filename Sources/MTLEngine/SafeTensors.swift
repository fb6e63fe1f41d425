import Foundation

/// The safetensors format: an 8-byte little-endian header length, a JSON header mapping each
/// name to `{"dtype":"F32","shape":[…],"data_offsets":[begin,end]}`, then the raw
/// little-endian data. `safetensors.torch.load_file` reads what `encode` writes.
public enum SafeTensors {
    public struct Tensor: Sendable, Equatable {
        public var shape: [Int]
        public var values: [Float]

        public init(shape: [Int], values: [Float]) {
            self.shape = shape
            self.values = values
        }
    }

    public static func encode(_ tensors: [(String, Tensor)], metadata: [String: String] = [:]) -> [UInt8] {
        var header: [String] = []
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            header.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        var offset = 0
        for (name, tensor) in tensors {
            let bytes = tensor.values.count * 4
            header.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var json = Array("{\(header.joined(separator: ","))}".utf8)
        while json.count % 8 != 0 { json.append(0x20) }   // pad so the data starts aligned
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count + offset)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out += $0 }
        out += json
        for (_, tensor) in tensors {
            tensor.values.withUnsafeBufferPointer { values in
                for v in values {
                    var bits = v.bitPattern.littleEndian
                    withUnsafeBytes(of: &bits) { out += $0 }
                }
            }
        }
        return out
    }

    /// Reads F32 tensors; any other dtype, a bad header or a short file is an error naming `file`.
    /// Every size and offset in the header is checked against the file before it is used.
    public static func decode(_ bytes: [UInt8], file: String) throws -> [String: Tensor] {
        guard bytes.count >= 8 else { throw CheckpointError(file, "truncated safetensors file") }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length <= UInt64(bytes.count - 8) else { throw CheckpointError(file, "header length \(length) exceeds the file") }
        let headerEnd = 8 + Int(length)
        let dataLength = bytes.count - headerEnd
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])) } catch {
            throw CheckpointError(file, "header is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw CheckpointError(file, "header is not a JSON object") }
        var tensors: [String: Tensor] = [:]
        for (name, entry) in header where name != "__metadata__" {
            guard let info = entry as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = integers(info["shape"]), let offsets = integers(info["data_offsets"]),
                  offsets.count == 2 else {
                throw CheckpointError(file, "tensor '\(name)': malformed header entry")
            }
            guard dtype == "F32" else { throw CheckpointError(file, "tensor '\(name)': dtype \(dtype) is not supported (F32 only)") }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw CheckpointError(file, "tensor '\(name)': negative dimension in shape \(shape)") }
            var count = 1
            for dimension in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard !overflow, product <= dataLength / 4 else {
                    throw CheckpointError(file, "tensor '\(name)': shape \(shape) is larger than the file")
                }
                count = product
            }
            guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataLength, offsets[1] - offsets[0] == count * 4 else {
                throw CheckpointError(file, "tensor '\(name)': data_offsets \(offsets) do not match its shape \(shape) within the file")
            }
            let begin = headerEnd + offsets[0]
            var values = [Float](repeating: 0, count: count)
            for i in 0..<count {
                let o = begin + 4 * i
                let bits = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
                values[i] = Float(bitPattern: bits)
            }
            tensors[name] = Tensor(shape: shape, values: values)
        }
        return tensors
    }

    /// A JSON array of whole numbers, or nil (a fraction, a string or a number beyond 2^53 is not one).
    private static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var out: [Int] = []
        for item in array {
            guard let number = item as? NSNumber else { return nil }
            let d = number.doubleValue
            guard d.rounded() == d, abs(d) <= 9_007_199_254_740_992, let whole = Int(exactly: d) else { return nil }
            out.append(whole)
        }
        return out
    }

    private static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// A checkpoint that cannot be read or written, with the file it concerns.
public struct CheckpointError: Error, CustomStringConvertible {
    public var file: String
    public var message: String

    public init(_ file: String, _ message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}
