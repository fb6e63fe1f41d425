// Checkpoint sidecar: the input is model.json, read by Checkpoint.read(from:) beside the
// valid weight files of a tiny trained model (see CheckpointFixture). Thrown errors are the
// expected outcome for bad input.
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
    fixture.read(replacing: "model.json", with: UnsafeBufferPointer(start: data, count: size))
    return 0
}
