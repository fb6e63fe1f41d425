// safetensors: the input is the file, decoded by SafeTensors.decode; a file that decodes is
// encoded and decoded again. Thrown errors are the expected outcome for bad input.
import MTLEngine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let tensors = try? SafeTensors.decode(bytes, file: "fuzz.safetensors") {
        _ = try? SafeTensors.decode(SafeTensors.encode(tensors.sorted { $0.key < $1.key }), file: "again.safetensors")
    }
    return 0
}
