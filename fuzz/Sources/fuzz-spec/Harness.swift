// spec.toml: the input is the file, checked for UTF-8 as the dataset loader does, then parsed
// into a DatasetSpec (TOML parser and spec validation). A spec that parses is written back
// out as TOML and parsed again. Thrown errors are the expected outcome for bad input.
import MTLData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let text = String(validating: bytes, as: UTF8.self) else { return 0 }
    if let spec = try? DatasetSpec.parse(toml: text, file: "spec.toml") {
        _ = try? DatasetSpec.parse(toml: spec.tomlText(), file: "spec.toml")
    }
    return 0
}
