import Foundation

/// Numbers as the screens write them: C's `printf` writes a NaN with its sign bit set as
/// `-nan`, and arithmetic gives such NaNs as readily as others (0 × ∞, ∞ − ∞), so a diverged
/// run's values would read `-nan` here and `nan` there. Every NaN reads `nan`.
enum NumberText {
    /// `String(format: format, v)`, a NaN as `nan` in the same width (without a `+` flag).
    static func format(_ format: String, _ v: Double) -> String {
        v.isNaN ? String(format: format.replacingOccurrences(of: "%+", with: "%"), Double.nan) : String(format: format, v)
    }
}
