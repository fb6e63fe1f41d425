import MTLData

/// ReLU in place; `backward` zeroes the gradient where the output was zero.
public enum ReLU {
    public static func forward(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = max(x[i], 0) }
    }

    public static func backward(output y: UnsafePointer<Float>, gradient d: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count where y[i] <= 0 { d[i] = 0 }
    }
}

/// Inverted dropout: keeps each unit with probability 1 - rate and scales it by 1 / (1 - rate),
/// so inference needs no change. The mask is kept for backward.
public enum Dropout {
    public static func forward(_ x: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>, count: Int,
                               rate: Float, random: inout SeededRandom) {
        let scale = 1 / (1 - rate)
        for i in 0..<count {
            mask[i] = random.nextFloat() < rate ? 0 : scale
            x[i] *= mask[i]
        }
    }

    public static func backward(_ d: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { d[i] *= mask[i] }
    }
}
