import COpenBLAS

/// Row-major single-precision matrix products through OpenBLAS, the only place that calls it.
public enum BLAS {
    /// C[m×n] = alpha · op(A) · op(B) + beta · C, all row-major.
    /// `transA`: A is stored k×m and used transposed; `transB`: B is stored n×k.
    @inline(__always)
    public static func gemm(_ m: Int, _ n: Int, _ k: Int,
                            _ a: UnsafePointer<Float>, transA: Bool = false,
                            _ b: UnsafePointer<Float>, transB: Bool = false,
                            _ c: UnsafeMutablePointer<Float>, alpha: Float = 1, beta: Float = 0) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            if beta == 0 { c.update(repeating: 0, count: m * n) }
            return
        }
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(transA ? m : k),
                    b, Int32(transB ? k : n),
                    beta, c, Int32(n))
    }

    /// Threads OpenBLAS uses for every later call, process-wide.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }

    /// The kernel family OpenBLAS picked for this CPU (e.g. `Haswell`, `Cooperlake`).
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }
}
