// Checkpoint weights: the input is model.safetensors, read by Checkpoint.read(from:) beside
// the valid model.json (and other files) of a tiny trained model (see CheckpointFixture), so
// decoded tensors go on to the shape checks and the copy into the model's layout. Thrown
// errors are the expected outcome for bad input.
import CheckpointFixture
import Foundation

let fixture = CheckpointFixture()

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    _ = fixture
    atexit { fixture.remove() }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    fixture.read(replacing: "model.safetensors", with: UnsafeBufferPointer(start: data, count: size))
    return 0
}
