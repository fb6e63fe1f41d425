// CSV and TSV: the first byte picks the delimiter (a tab for TSV, anything else for CSV), the
// rest is the file. A table that reads also goes through spec inference, as a data file
// without a spec.toml does. Thrown errors are the expected outcome for bad input.
import MTLData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let delimiter: UInt8 = data[0] == 0x09 ? 0x09 : UInt8(ascii: ",")
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if let table = try? DelimitedReader.read(bytes: bytes, file: "fuzz.csv", delimiter: delimiter) {
        _ = try? SpecInference.infer(table)
    }
    return 0
}
