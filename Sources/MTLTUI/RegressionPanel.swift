import Foundation
import MTLData
import MTLEngine

/// How far a regression's predictions are from the true values, over the same rows the
/// predicted-against-true grid draws.
struct RegressionStats: Equatable {
    var count: Int
    var rmse: Double
    var mae: Double
    /// 1 − Σ(p − y)² / Σ(y − ȳ)²; nil for one row or a constant target, as the engine's metric.
    var r2: Double?
    /// The mean residual, predicted − true: above 0 the model predicts too high on average.
    var bias: Double
    /// Each row's predicted − true, sorted.
    var residuals: [Double]

    init(truths: [Double], predictions: [Double]) {
        count = truths.count
        residuals = zip(predictions, truths).map { $0 - $1 }.sorted()
        let n = Double(max(count, 1))
        let squares = residuals.reduce(0) { $0 + $1 * $1 }
        rmse = (squares / n).squareRoot()
        mae = residuals.reduce(0) { $0 + abs($1) } / n
        bias = residuals.reduce(0, +) / n
        let mean = truths.reduce(0, +) / n
        let total = truths.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        let scale = truths.reduce(0) { $0 + $1 * $1 }
        r2 = count > 1 && total > 1e-12 * max(scale, 1) ? 1 - squares / total : nil
    }

    /// The `q` quantile of the residuals, interpolated linearly between the nearest ranks (NumPy's default).
    func quantile(_ q: Double) -> Double {
        guard !residuals.isEmpty else { return .nan }
        let position = q * Double(residuals.count - 1)
        let below = Int(position.rounded(.down)), above = min(below + 1, residuals.count - 1)
        return residuals[below] + (residuals[above] - residuals[below]) * (position - Double(below))
    }

    /// The residuals counted in `bins` equal bins over −reach…reach, reach the largest |residual|
    /// (so 0 is the middle bin's centre when `bins` is odd).
    func histogram(bins: Int) -> (counts: [Int], reach: Double) {
        let largest = residuals.map(abs).max() ?? 0
        let reach = largest > 0 ? largest : 1
        var counts = [Int](repeating: 0, count: bins)
        for r in residuals { counts[max(0, min(bins - 1, Int(((r + reach) / (2 * reach) * Double(bins)).rounded(.down))))] += 1 }
        return (counts, reach)
    }
}

/// The numbers beside the grid: the errors, the residuals' quantiles and their histogram.
enum RegressionPanel {
    static let quantiles: [(name: String, q: Double)] = [("min", 0), ("10%", 0.1), ("25%", 0.25), ("median", 0.5),
                                                         ("75%", 0.75), ("90%", 0.9), ("max", 1)]

    static func number(_ v: Double) -> String { NumberText.format("%.3f", v) }

    static func signed(_ v: Double) -> String { v == 0 ? number(0) : NumberText.format("%+.3f", v) }

    /// A name and a right-aligned value (as wide as the widest of the panel's), then a note in
    /// parentheses, which a narrow panel leaves out (`FitText.withoutHints`).
    static func line(_ name: String, _ value: String, _ note: String = "") -> String {
        name.padded(8) + value.leftPadded(9) + (note.isEmpty ? "" : "  (\(note))")
    }

    static func draw(_ grid: inout Grid, _ m: RegressionView.Model, x: Int, y: Int, width: Int, height: Int, unicode: Bool) {
        guard width >= 16, height > 0 else { return }
        let s = m.stats
        var lines: [(text: String, style: Style)] = [
            (line("n", "\(s.count)", m.nonFinite > 0 ? "\(m.nonFinite) non-finite left out" : "validation rows"), Style(.text)),
            (line("RMSE", number(s.rmse)), Style(.text, bold: true)),
            (line("MAE", number(s.mae)), Style(.text, bold: true)),
            (line("R²", s.r2.map(number) ?? "—", s.r2 == nil ? "constant target" : ""), Style(.text, bold: true)),
            (line("bias", signed(s.bias), "mean predicted − true"), Style(.text)),
        ]
        // The blank line goes first where the residuals would not fit with their histogram.
        if height >= lines.count + 1 + quantiles.count + 3 { lines.append(("", .plain)) }
        lines.append(("residuals (predicted − true)", Style(.muted, bold: true)))
        lines += quantiles.map { (line($0.name, signed(s.quantile($0.q))), Style(.text)) }
        for (i, entry) in lines.prefix(height).enumerated() {
            grid.put(FitText.withoutHints(entry.text, width: width), x: x, y: y + i, style: entry.style, limit: width)
        }
        // The histogram in the rows left (at most 4, over its labels), at most 41 columns.
        let rows = min(4, height - lines.count - 1)
        guard rows >= 1 else { return }
        let columns = min(41, width) - (min(41, width) % 2 == 0 ? 1 : 0)
        let (counts, reach) = s.histogram(bins: columns)
        let most = max(counts.max() ?? 1, 1)
        let top = y + lines.count
        let eighths = unicode ? Array(" ▁▂▃▄▅▆▇█") : Array("  __--==#")
        for (column, count) in counts.enumerated() {
            // The bar's height in eighths of a row; any row at all shows at least one.
            let level = count == 0 ? 0 : max(1, Int((Double(count) / Double(most) * Double(rows * 8)).rounded()))
            for row in 0..<rows {
                let fill = max(0, min(8, level - 8 * (rows - 1 - row)))
                guard fill > 0 else { continue }
                grid.put(String(eighths[fill]), x: x + column, y: top + row, style: Style(Role.task(m.task)))
            }
        }
        let labels = top + rows, left = NumberText.format("%.3g", -reach), right = NumberText.format("%.3g", reach)
        grid.put(left, x: x, y: labels, style: Style(.muted))
        grid.put("0", x: x + columns / 2, y: labels, style: Style(.muted))
        grid.put(right, x: x + columns - TextWidth.of(right), y: labels, style: Style(.muted))
    }
}
