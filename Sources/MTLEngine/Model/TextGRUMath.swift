/// Eight-lane helpers for the GRU's gate loops.
///
/// The GRU spends one sigmoid, one sigmoid and one tanh per hidden unit, row and time step
/// (batch 64 × length 200 × 128 units ≈ 5 M of them a step). libm's `exp` is a scalar call
/// (~10 ns), which would cost more than all the matrix products of the step; these run eight
/// lanes at once, to ~1e-7 relative error (Cephes' `expf` polynomial).
typealias Lanes = SIMD8<Float>
typealias IntLanes = SIMD8<Int32>

enum GateMath {
    /// e^x, lane by lane; inputs are clamped to [-87, 88] so the result stays a finite, normal float.
    @inline(__always)
    static func exp(_ input: Lanes) -> Lanes {
        var x = input
        x.replace(with: Lanes(repeating: 88), where: x .> 88)
        x.replace(with: Lanes(repeating: -87), where: x .< -87)
        // n = round(x / ln 2): adding 1.5 · 2^23 rounds to an integer and leaves it in the low
        // mantissa bits, so 2^n is that integer plus the exponent bias, shifted into place.
        let magic = Lanes(repeating: 12_582_912)
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        let bits = unsafeBitCast(shifted, to: SIMD8<UInt32>.self)
        let scale = unsafeBitCast((bits &- 0x4B40_0000 &+ 127) &<< 23, to: Lanes.self)
        // r = x − n · ln 2 in two parts (Cody–Waite), then e^r on [−ln2/2, ln2/2].
        let r = x - n * 0.693_359_375 + n * 2.121_944_40e-4
        var p = Lanes(repeating: 1.987_569_150_0e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        return (p * r * r + r + 1) * scale
    }

    /// 1 / (1 + e^−x).
    @inline(__always)
    static func sigmoid(_ x: Lanes) -> Lanes { 1 / (1 + exp(-x)) }

    /// tanh x = 1 − 2 / (1 + e^2x); its absolute error (~1e-7) stays that of `exp`.
    @inline(__always)
    static func tanh(_ x: Lanes) -> Lanes { 1 - 2 / (1 + exp(x + x)) }

    /// Up to eight floats from `p` (the rest zero): the tail of a row whose width is not a multiple of 8.
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ count: Int) -> Lanes {
        if count >= 8 { return UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }
        var v = Lanes()
        for k in 0..<count { v[k] = p[k] }
        return v
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Int32>, _ count: Int) -> IntLanes {
        if count >= 8 { return UnsafeRawPointer(p).loadUnaligned(as: IntLanes.self) }
        var v = IntLanes()
        for k in 0..<count { v[k] = p[k] }
        return v
    }

    @inline(__always)
    static func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
        if count >= 8 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self); return }
        for k in 0..<count { p[k] = v[k] }
    }

    @inline(__always)
    static func store(_ v: IntLanes, _ p: UnsafeMutablePointer<Int32>, _ count: Int) {
        if count >= 8 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: IntLanes.self); return }
        for k in 0..<count { p[k] = v[k] }
    }
}
