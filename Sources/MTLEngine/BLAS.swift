import COpenBLAS

/// Row-major single-precision matrix products through OpenBLAS, the only place that calls it.
public enum BLAS {
    /// C[m×n] = alpha · op(A) · op(B) + beta · C, all row-major.
    /// `transA`: A is stored k×m and used transposed; `transB`: B is stored n×k.
    ///
    /// A large product is computed as up to 4 blocks of C's rows (or columns, when C is wider
    /// than tall), one single-threaded OpenBLAS call each, run on `Parallel.threads` threads.
    /// The blocks depend on the shape only: OpenBLAS picks its kernels by shape, so a split that
    /// followed the thread count would change the last bits with it.
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
        let lda = transA ? m : k, ldb = transB ? k : n
        let blocks = min(4, max(m, n), m * n * k / minimumProductsPerBlock)
        guard blocks > 1 else {
            sgemm(m, n, k, a, lda, transA, b, ldb, transB, c, n, alpha, beta)
            return
        }
        if m >= n {
            Parallel.blocks(m, count: blocks) { rows in
                let part = transA ? a + rows.lowerBound : a + rows.lowerBound * k
                sgemm(rows.count, n, k, part, lda, transA, b, ldb, transB, c + rows.lowerBound * n, n, alpha, beta)
            }
        } else {
            Parallel.blocks(n, count: blocks) { columns in
                let part = transB ? b + columns.lowerBound * k : b + columns.lowerBound
                sgemm(m, columns.count, k, a, lda, transA, part, ldb, transB, c + columns.lowerBound, n, alpha, beta)
            }
        }
    }

    /// Σ a[i]·b[i], accumulated in double precision (`dsdot`): L-BFGS's inner products over
    /// millions of weights.
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Double {
        count > 0 ? cblas_dsdot(Int32(count), a, 1, b, 1) : 0
    }

    /// y += alpha · x.
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        if count > 0 { cblas_saxpy(Int32(count), alpha, x, 1, y, 1) }
    }

    /// x *= alpha.
    public static func scale(_ alpha: Float, _ x: UnsafeMutablePointer<Float>, count: Int) {
        if count > 0 { cblas_sscal(Int32(count), alpha, x, 1) }
    }

    /// Multiply-adds below which a block costs less than handing it to another thread.
    static let minimumProductsPerBlock = 1 << 18

    @inline(__always)
    private static func sgemm(_ m: Int, _ n: Int, _ k: Int,
                              _ a: UnsafePointer<Float>, _ lda: Int, _ transA: Bool,
                              _ b: UnsafePointer<Float>, _ ldb: Int, _ transB: Bool,
                              _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float) {
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
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
