// IDX (MNIST) image and label files. Input layout: two bytes, big-endian, give the length L
// of the label file; the next L bytes are the label file and the rest the image file.
// Thrown errors are the expected outcome for bad input.
import MTLData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 2 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let labelLength = min(Int(bytes[0]) << 8 | Int(bytes[1]), size - 2)
    let labels = Array(bytes[2..<(2 + labelLength)])
    let images = Array(bytes[(2 + labelLength)...])
    _ = try? IDXReader.table(images: images, imageFile: "fuzz-idx3-ubyte", labels: labels, labelFile: "fuzz-idx1-ubyte")
    return 0
}
