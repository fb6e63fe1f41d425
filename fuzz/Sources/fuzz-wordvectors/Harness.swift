// Word vectors (GloVe / word2vec text): the input is written to a temporary file, which
// WordVectors.load reads for a small fixed vocabulary that includes contractions. Thrown
// errors are the expected outcome for bad input; vectors that load must have the documented
// shape (`values` is ids.count × dimension), since the embedding copies them by that shape.
import Foundation
import MTLData

let vocabulary = Vocabulary(tokens: ["<pad>", "<unk>", "the", "good", "bad", "movie", "do", "n't", "don't", "film", "'s", "film's", "!", "a"])
let path = NSTemporaryDirectory() + "mtl-tui-fuzz-vectors-\(getpid()).txt"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Data(bytes: data, count: size)
    guard FileManager.default.createFile(atPath: path, contents: bytes) else { fatalError("cannot write \(path)") }
    defer { unlink(path) }
    if let vectors = try? WordVectors.load(path, for: vocabulary) {
        precondition(vectors.values.count == vectors.ids.count * vectors.dimension,
                     "\(vectors.ids.count) vectors of dimension \(vectors.dimension) hold \(vectors.values.count) values")
    }
    return 0
}
