// JSON Lines: the input is the file. A table that reads also goes through spec inference, as a
// data file without a spec.toml does. Thrown errors are the expected outcome for bad input.
import MTLData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let table = try? JSONLReader.read(bytes: bytes, file: "fuzz.jsonl") {
        _ = try? SpecInference.infer(table)
    }
    return 0
}
