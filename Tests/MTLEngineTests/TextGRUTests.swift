import Foundation
import MTLData
import Testing
@testable import MTLEngine

/// A GRU layer in its own flat buffer with one ragged batch: samples sit at `starts` with one
/// stray token between them, which the layer must never read.
struct GRUCase {
    let layer: TextGRU
    let tensors: [ParameterTensor]
    let parameters: FloatBuffer
    let tokens: Buffer<Int32>
    let starts: Buffer<Int>
    let lengths: Buffer<Int>
    let batch: Int
    let workspace: TextGRU.Workspace

    init(vocabulary: Int, embedding: Int, hidden: Int, bidirectional: Bool, lengths sampleLengths: [Int], seed: UInt64) {
        var layout = LayoutBuilder()
        layer = TextGRU.add(to: &layout, prefix: "trunk", vocabulary: vocabulary, embedding: embedding,
                            hidden: hidden, bidirectional: bidirectional)
        tensors = layout.tensors
        parameters = FloatBuffer(count: layout.total)
        var random = SeededRandom(seed: seed)
        // Larger than the default start, so that the gates saturate somewhere.
        for i in 0..<layout.total { parameters[i] = (random.nextFloat() * 2 - 1) * 0.6 }
        batch = sampleLengths.count
        let total = sampleLengths.reduce(0, +) + batch
        tokens = Buffer(count: total, zero: 0)
        starts = Buffer(count: batch, zero: 0)
        lengths = Buffer(count: batch, zero: 0)
        var cursor = 0
        for (b, length) in sampleLengths.enumerated() {
            starts[b] = cursor
            lengths[b] = length
            for i in 0..<length { tokens[cursor + i] = Int32(1 + Int(random.next() % UInt64(vocabulary - 1))) }
            tokens[cursor + length] = Int32(vocabulary - 1)
            cursor += length + 1
        }
        workspace = TextGRU.Workspace(layer, batch: batch, maxTokens: total)
    }

    var width: Int { layer.outputWidth }

    /// The pooled output `[B, width]` (row stride `stride`) through the layer.
    func forward(into output: FloatBuffer, stride: Int, training: Bool = true) {
        layer.forward(tokens: tokens.pointer, starts: starts.pointer, lengths: lengths.pointer, batch: batch,
                      output: output.pointer, outputStride: stride, parameters: parameters.pointer,
                      workspace: workspace, training: training)
    }

    func backward(_ dy: FloatBuffer, stride: Int, into gradients: FloatBuffer, gruFrozen: Bool = false, embeddingFrozen: Bool = false) {
        layer.backward(batch: batch, outputGradient: dy.pointer, gradientStride: stride, parameters: parameters.pointer,
                       gradients: gradients.pointer, workspace: workspace, gruFrozen: gruFrozen, embeddingFrozen: embeddingFrozen)
    }

    /// The same network written plainly in double precision, one sample and one step at a time,
    /// from PyTorch's equations: `[max ‖ mean]` per sample.
    func reference(_ p: [Double]) -> [Double] {
        let e = layer.embedding, h = layer.hidden, count = layer.directions.count
        var out = [Double](repeating: 0, count: batch * width)
        for b in 0..<batch {
            let length = lengths[b]
            for (d, o) in layer.directions.enumerated() {
                var state = [Double](repeating: 0, count: h)
                var maxima = [Double](repeating: -.infinity, count: h), sums = [Double](repeating: 0, count: h)
                for s in 0..<length {
                    let id = Int(tokens[starts[b] + (d == 0 ? s : length - 1 - s)])
                    func input(_ row: Int) -> Double {
                        (0..<e).reduce(p[o.biasIH + row]) { $0 + p[o.weightIH + row * e + $1] * p[layer.embeddingWeight + id * e + $1] }
                    }
                    func recurrent(_ row: Int) -> Double {
                        (0..<h).reduce(p[o.biasHH + row]) { $0 + p[o.weightHH + row * h + $1] * state[$1] }
                    }
                    var next = state
                    for j in 0..<h {
                        let r = 1 / (1 + Foundation.exp(-(input(j) + recurrent(j))))
                        let z = 1 / (1 + Foundation.exp(-(input(h + j) + recurrent(h + j))))
                        let n = Foundation.tanh(input(2 * h + j) + r * recurrent(2 * h + j))
                        next[j] = (1 - z) * n + z * state[j]
                    }
                    state = next
                    for j in 0..<h {
                        maxima[j] = max(maxima[j], state[j])
                        sums[j] += state[j]
                    }
                }
                for j in 0..<h {
                    out[b * width + d * h + j] = maxima[j]
                    out[b * width + (count + d) * h + j] = sums[j] / Double(length)
                }
            }
        }
        return out
    }
}

/// max |a − b| / max |b| over a tensor.
func relativeError(_ actual: [Double], _ expected: [Double]) -> Double {
    var difference = 0.0, scale = 1e-12
    for (a, b) in zip(actual, expected) {
        difference = max(difference, abs(a - b))
        scale = max(scale, abs(b))
    }
    return difference / scale
}

@Suite struct TextGRUTests {
    /// Forward against the plain double-precision reference, and backward against central
    /// differences of the reference's loss Σ c ⊙ output, for every tensor; ragged lengths
    /// (1 to 7) and 9 hidden units (one eight-lane block and a one-lane tail).
    @Test(arguments: [true, false])
    func matchesReferenceAndNumericGradients(bidirectional: Bool) {
        checkAgainstReference(GRUCase(vocabulary: 9, embedding: 3, hidden: 9, bidirectional: bidirectional,
                                      lengths: [4, 7, 1, 7, 2, 5], seed: 3))
    }

    /// A batch large enough to run as two groups of samples through time (the longest few,
    /// then the rest), each with its own token-gradient table: the same checks.
    @Test(arguments: [true, false])
    func twoSampleGroupsMatchTheReference(bidirectional: Bool) {
        var random = SeededRandom(seed: 4)
        let lengths = (0..<34).map { _ in 1 + Int(random.next() % 3) }
        let c = GRUCase(vocabulary: 9, embedding: 3, hidden: 9, bidirectional: bidirectional, lengths: lengths, seed: 3)
        c.forward(into: FloatBuffer(count: c.batch * c.width), stride: c.width)
        #expect(c.workspace.groups.count == 2 && c.workspace.groups.allSatisfy { $0.count >= TextGRU.minimumGroup })
        checkAgainstReference(c)
    }

    func checkAgainstReference(_ c: GRUCase) {
        let width = c.width
        let output = FloatBuffer(count: c.batch * width)
        c.forward(into: output, stride: width)
        let p = c.parameters.array.map(Double.init)
        let expected = c.reference(p)
        #expect(relativeError(output.array.map(Double.init), expected) < 1e-5)

        var random = SeededRandom(seed: 9)
        let weights = (0..<(c.batch * width)).map { _ in Double(random.nextFloat() - 0.5) }
        let gradients = FloatBuffer(count: c.parameters.count)
        c.backward(FloatBuffer(weights.map(Float.init)), stride: width, into: gradients)

        func loss(_ q: [Double]) -> Double { zip(c.reference(q), weights).reduce(0) { $0 + $1.0 * $1.1 } }
        var q = p
        for tensor in c.tensors {
            var numeric: [Double] = []
            for i in tensor.offset..<(tensor.offset + tensor.count) {
                let step = 1e-6
                q[i] = p[i] + step
                let up = loss(q)
                q[i] = p[i] - step
                let down = loss(q)
                q[i] = p[i]
                numeric.append((up - down) / (2 * step))
            }
            let analytic = (tensor.offset..<(tensor.offset + tensor.count)).map { Double(gradients[$0]) }
            #expect(relativeError(analytic, numeric) < 1e-4, "\(tensor.name)")
            #expect(numeric.contains { abs($0) > 1e-3 }, "\(tensor.name) has a gradient to check")
        }
    }

    /// Frozen parts get nothing; the rest is the same as unfrozen; gradients add to what the
    /// buffer holds; backward can run twice on one forward pass (per-task backward passes).
    @Test func frozenPartsAndAccumulation() {
        let c = GRUCase(vocabulary: 11, embedding: 4, hidden: 10, bidirectional: true, lengths: [3, 6, 6, 1], seed: 5)
        let stride = c.width + 3
        let output = FloatBuffer(count: c.batch * stride)
        output.fill(7)
        c.forward(into: output, stride: stride)
        for b in 0..<c.batch {
            for k in c.width..<stride { #expect(output[b * stride + k] == 7, "columns after the GRU's stay") }
        }
        var random = SeededRandom(seed: 2)
        let dy = FloatBuffer((0..<(c.batch * stride)).map { _ in random.nextFloat() - 0.5 })
        let full = FloatBuffer(count: c.parameters.count)
        c.backward(dy, stride: stride, into: full)
        let embedding = c.tensors.filter { $0.layer == "embedding" }.flatMap { $0.offset..<($0.offset + $0.count) }
        let gru = c.tensors.filter { $0.layer == "gru" }.flatMap { $0.offset..<($0.offset + $0.count) }
        #expect(embedding.contains { full[$0] != 0 } && gru.contains { full[$0] != 0 })

        let base: Float = 0.25
        for (gruFrozen, embeddingFrozen) in [(true, false), (false, true), (true, true)] {
            let g = FloatBuffer(count: c.parameters.count)
            g.fill(base)
            c.backward(dy, stride: stride, into: g, gruFrozen: gruFrozen, embeddingFrozen: embeddingFrozen)
            // Frozen: untouched, bit for bit. Learning: what it held plus the gradient (bias
            // column sums add row by row, so the rounding differs).
            for i in gru { #expect(gruFrozen ? g[i] == base : abs(g[i] - (base + full[i])) <= 1e-6) }
            for i in embedding { #expect(embeddingFrozen ? g[i] == base : abs(g[i] - (base + full[i])) <= 1e-6) }
        }
        let twice = FloatBuffer(count: c.parameters.count)
        c.backward(dy, stride: stride, into: twice)
        c.backward(dy, stride: stride, into: twice)
        #expect((0..<twice.count).allSatisfy { abs(twice[$0] - 2 * full[$0]) <= 1e-6 * max(1, abs(full[$0])) })
    }

    /// Inference gives the training pass's output; a larger workspace than the batch is fine.
    @Test func inferenceMatchesTrainingForward() {
        let c = GRUCase(vocabulary: 11, embedding: 4, hidden: 8, bidirectional: true, lengths: [5, 2, 8], seed: 8)
        let training = FloatBuffer(count: c.batch * c.width), inference = FloatBuffer(count: c.batch * c.width)
        c.forward(into: training, stride: c.width, training: true)
        c.forward(into: inference, stride: c.width, training: false)
        #expect(training.array == inference.array)
    }

    @Test func tensorsAreNamedAndShapedAsPyTorchAndStartInItsRange() {
        var layout = LayoutBuilder()
        let layer = TextGRU.add(to: &layout, prefix: "trunk", vocabulary: 20, embedding: 6, hidden: 16, bidirectional: true)
        let names = layout.tensors.map(\.name)
        #expect(names == ["trunk.embedding.weight",
                          "trunk.gru.weight_ih_l0", "trunk.gru.weight_hh_l0", "trunk.gru.bias_ih_l0", "trunk.gru.bias_hh_l0",
                          "trunk.gru.weight_ih_l0_reverse", "trunk.gru.weight_hh_l0_reverse",
                          "trunk.gru.bias_ih_l0_reverse", "trunk.gru.bias_hh_l0_reverse"])
        #expect(layout.tensors.map(\.exportShape)[0...2] == [[20, 6], [48, 6], [48, 16]])
        #expect(layout.layers.map(\.name) == ["embedding", "gru"])
        let p = FloatBuffer(count: layout.total)
        var random = SeededRandom(seed: 1)
        for tensor in layout.tensors { layer.initialize(tensor, p.pointer, random: &random) }
        for tensor in layout.tensors {
            let values = (tensor.offset..<(tensor.offset + tensor.count)).map { p[$0] }
            let bound: Float = tensor.layer == "embedding" ? 0.05 : 0.25
            #expect(values.allSatisfy { abs($0) <= bound } && values.contains { abs($0) > bound * 0.9 }, "\(tensor.name)")
        }
    }
}

/// Two threads (the directions side by side, the token tables in two parts) change no bit.
@Suite(.serialized) struct TextGRUParallelTests {
    func run(threads: Int) -> (output: [Float], gradients: [Float]) {
        Parallel.threads = threads
        defer { Parallel.threads = 1 }
        // ~800 distinct tokens: enough for the tables to split in two.
        let c = GRUCase(vocabulary: 2000, embedding: 8, hidden: 16, bidirectional: true,
                        lengths: (0..<16).map { 30 + 3 * $0 }, seed: 4)
        let output = FloatBuffer(count: c.batch * c.width)
        c.forward(into: output, stride: c.width)
        #expect(c.workspace.distinct >= 512)
        var random = SeededRandom(seed: 6)
        let dy = FloatBuffer((0..<(c.batch * c.width)).map { _ in random.nextFloat() - 0.5 })
        let g = FloatBuffer(count: c.parameters.count)
        c.backward(dy, stride: c.width, into: g)
        return (output.array, g.array)
    }

    @Test func twoThreadsGiveTheSameBits() {
        let one = run(threads: 1), two = run(threads: 2)
        #expect(one.output.map(\.bitPattern) == two.output.map(\.bitPattern))
        #expect(one.gradients.map(\.bitPattern) == two.gradients.map(\.bitPattern))
    }
}

/// The layer against `torch.nn.GRU` on a packed batch (fixtures by `scripts/gru_fixtures.py`).
@Suite struct TextGRUPyTorchParityTests {
    struct Tensor: Decodable {
        var shape: [Int]
        var values: [Float]
    }

    struct Config: Decodable {
        var vocabulary: Int
        var embedding: Int
        var hidden: Int
        var bidirectional: Bool
    }

    struct Fixture: Decodable {
        var config: Config
        var batch: Int
        var length: Int
        var lengths: [Int]
        var tokens: [Int32]
        var parameters: [String: Tensor]
        var pooled: [Float]
        var output_gradient: [Float]
        var gradients: [String: Tensor]
    }

    @Test(arguments: ["gru_bidirectional", "gru_unidirectional"])
    func matchesPyTorch(_ name: String) throws {
        let url = try #require(Bundle.module.resourceURL?.appendingPathComponent("Fixtures/\(name).json"))
        let f = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        let c = f.config
        var layout = LayoutBuilder()
        let layer = TextGRU.add(to: &layout, prefix: "trunk", vocabulary: c.vocabulary, embedding: c.embedding,
                                hidden: c.hidden, bidirectional: c.bidirectional)
        let p = FloatBuffer(count: layout.total)
        for tensor in layout.tensors {
            let stored = try #require(f.parameters[tensor.name], "\(tensor.name)")
            #expect(stored.shape == tensor.exportShape, "\(tensor.name)")
            tensor.imported(stored.values, into: p.pointer)
        }
        #expect(Set(f.parameters.keys) == Set(layout.tensors.map(\.name)))
        // The padded rows as the fixture stores them; each sample's own length.
        let tokens = Buffer<Int32>(count: f.tokens.count, zero: 0)
        for (i, id) in f.tokens.enumerated() { tokens[i] = id }
        let starts = Buffer<Int>(count: f.batch, zero: 0), lengths = Buffer<Int>(count: f.batch, zero: 0)
        for b in 0..<f.batch {
            starts[b] = b * f.length
            lengths[b] = f.lengths[b]
        }
        let width = layer.outputWidth
        let work = TextGRU.Workspace(layer, batch: f.batch, maxTokens: f.tokens.count)
        let output = FloatBuffer(count: f.batch * width)
        layer.forward(tokens: tokens.pointer, starts: starts.pointer, lengths: lengths.pointer, batch: f.batch,
                      output: output.pointer, outputStride: width, parameters: p.pointer, workspace: work, training: true)
        #expect(relativeError(output.array.map(Double.init), f.pooled.map(Double.init)) <= 1e-4)

        let dy = FloatBuffer(f.output_gradient)
        let g = FloatBuffer(count: layout.total)
        layer.backward(batch: f.batch, outputGradient: dy.pointer, gradientStride: width, parameters: p.pointer,
                       gradients: g.pointer, workspace: work, gruFrozen: false, embeddingFrozen: false)
        for tensor in layout.tensors {
            let expected = try #require(f.gradients[tensor.name]).values.map(Double.init)
            let actual = tensor.exported(from: g.pointer).map(Double.init)
            #expect(relativeError(actual, expected) <= 1e-4, "gradient \(tensor.name)")
        }
    }
}

/// The layer's forward + backward at the `bench --model gru` shape (Embedding 5000×64 → GRU 128,
/// batch 64, length 200), timed. Off by default; run it in a release build on one core:
///
///     swift build -c release --build-tests
///     MTL_GRU_BENCH=1 taskset -c 0 swift test -c release --skip-build --filter TextGRUBenchmark
///
/// `MTL_GRU_BENCH=2` runs it on two threads (then the CPU figure counts only the calling thread).
@Suite(.serialized) struct TextGRUBenchmark {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["MTL_GRU_BENCH"] != nil), arguments: [false, true])
    func forwardAndBackward(bidirectional: Bool) {
        Parallel.threads = Int(ProcessInfo.processInfo.environment["MTL_GRU_BENCH"] ?? "") ?? 1
        defer { Parallel.threads = 1 }
        let batch = 64, length = 200, steps = 20
        var layout = LayoutBuilder()
        let layer = TextGRU.add(to: &layout, prefix: "trunk", vocabulary: 5000, embedding: 64, hidden: 128,
                                bidirectional: bidirectional)
        let p = FloatBuffer(count: layout.total), g = FloatBuffer(count: layout.total)
        var random = SeededRandom(seed: 7)
        for tensor in layout.tensors { layer.initialize(tensor, p.pointer, random: &random) }
        let tokens = Buffer<Int32>(count: batch * length, zero: 0)
        for i in 0..<tokens.count { tokens[i] = Int32(2 + Int(random.next() % 4998)) }
        let starts = Buffer<Int>(count: batch, zero: 0), lengths = Buffer<Int>(count: batch, zero: length)
        for b in 0..<batch { starts[b] = b * length }
        let work = TextGRU.Workspace(layer, batch: batch, maxTokens: batch * length)
        let output = FloatBuffer(count: batch * layer.outputWidth)
        let dy = FloatBuffer((0..<(batch * layer.outputWidth)).map { _ in random.nextFloat() - 0.5 })
        func step() {
            layer.forward(tokens: tokens.pointer, starts: starts.pointer, lengths: lengths.pointer, batch: batch,
                          output: output.pointer, outputStride: layer.outputWidth, parameters: p.pointer,
                          workspace: work, training: true)
            layer.backward(batch: batch, outputGradient: dy.pointer, gradientStride: layer.outputWidth, parameters: p.pointer,
                           gradients: g.pointer, workspace: work, gruFrozen: false, embeddingFrozen: false)
        }
        /// Wall-clock and this thread's CPU seconds of `body` (CPU time: what a busy machine's
        /// other processes do not inflate as much).
        func seconds(_ body: () -> Void) -> (wall: Double, cpu: Double) {
            func cpu() -> Double {
                var t = timespec()
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
                return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
            }
            let start = DispatchTime.now().uptimeNanoseconds, startCPU = cpu()
            body()
            return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, cpu() - startCPU)
        }
        step()
        var forward: [Double] = [], wall: [Double] = [], cpu: [Double] = []
        for _ in 0..<steps {
            forward.append(seconds {
                layer.forward(tokens: tokens.pointer, starts: starts.pointer, lengths: lengths.pointer, batch: batch,
                              output: output.pointer, outputStride: layer.outputWidth, parameters: p.pointer,
                              workspace: work, training: true)
            }.cpu)
            let both = seconds(step)
            wall.append(both.wall)
            cpu.append(both.cpu)
        }
        let f = median(forward), w = median(wall), c = median(cpu)
        print(String(format: "TextGRU %@ B=%d L=%d E=64 H=128, %d thread(s), OpenBLAS %@: forward %.1f ms CPU; forward+backward %.1f ms wall = %.0f samples/s, %.1f ms CPU = %.0f samples/s",
                     bidirectional ? "bidirectional" : "unidirectional", batch, length, Parallel.threads, BLAS.coreName,
                     f * 1e3, w * 1e3, Double(batch) / w, c * 1e3, Double(batch) / c))
        #expect(output.array.allSatisfy(\.isFinite) && g.array.allSatisfy(\.isFinite))
    }
}
