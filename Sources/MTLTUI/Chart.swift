import Foundation

/// A line chart drawn with braille dots (2 × 4 per cell) — or `*` without Unicode — with
/// y tick labels, an x axis in steps with epoch ticks, and vertical markers.
///
/// ```swift
/// var chart = LineChart()
/// chart.series = [.init(points: raw, style: Style(.chartRaw)), .init(points: smooth, style: Style(.task1))]
/// chart.draw(into: &grid, x: 0, y: 2, width: 60, height: 12)
/// ```
public struct LineChart {
    public struct Series {
        public var points: [(x: Double, y: Double)]
        public var style: Style
        /// Points drawn as 2 × 2 dot blocks, unconnected (e.g. one validation loss per epoch).
        public var dots = false
        /// Whether the series sets the y range. One that does not (another run's curve) widens
        /// it by at most half the others' span each way and is clipped at the frame beyond, so
        /// one diverged run cannot flatten the rest.
        public var scales = true

        public init(points: [(x: Double, y: Double)], style: Style, dots: Bool = false, scales: Bool = true) {
            self.points = points
            self.style = style
            self.dots = dots
            self.scales = scales
        }
    }

    public var series: [Series] = []
    public var logY = false
    public var unicode = true
    /// Steps where the user changed something: a dim vertical line.
    public var markers: [Double] = []
    /// Labelled x ticks, e.g. epoch boundaries.
    public var xTicks: [(x: Double, label: String)] = []
    /// Fixes the x range (e.g. to the whole run so far); nil takes it from the data.
    public var xRange: ClosedRange<Double>?

    public init() {}

    static let labelWidth = 7

    /// The y range after the log transform, padded when flat; nil with no finite points. It is
    /// the scaling series' (every series' when none scales), widened towards the others' values
    /// by at most half its span each way.
    func yRange() -> ClosedRange<Double>? {
        func values(_ scaling: Bool) -> [Double] {
            series.filter { $0.scales == scaling }.flatMap { $0.points.map { transform($0.y) } }.filter(\.isFinite)
        }
        var own = values(true), others = values(false)
        if own.isEmpty { swap(&own, &others) }
        guard var low = own.min(), var high = own.max() else { return nil }
        if high - low < 1e-12 { low -= 0.5; high += 0.5 }
        if let least = others.min(), let most = others.max() {
            let reach = (high - low) / 2
            (low, high) = (max(min(low, least), low - reach), min(max(high, most), high + reach))
        }
        return low...high
    }

    func transform(_ y: Double) -> Double { logY ? (y > 0 ? log10(y) : -.infinity) : y }

    public func draw(into grid: inout Grid, x: Int, y: Int, width: Int, height: Int) {
        let plotX = x + Self.labelWidth + 1, plotWidth = width - Self.labelWidth - 1, plotHeight = height - 1
        guard plotWidth >= 2, plotHeight >= 1 else { return }
        // Axis lines and labels.
        let axisStyle = Style(.border)
        for row in 0..<plotHeight { grid.put(unicode ? "│" : "|", x: plotX - 1, y: y + row, style: axisStyle) }
        grid.put(unicode ? "└" : "+", x: plotX - 1, y: y + plotHeight, style: axisStyle)
        for column in 0..<plotWidth { grid.put(unicode ? "─" : "-", x: plotX + column, y: y + plotHeight, style: axisStyle) }
        guard let yr = yRange() else {
            grid.put("no data yet", x: plotX + 1, y: y + plotHeight / 2, style: Style(.muted))
            return
        }
        let xs = series.flatMap { $0.points.map(\.x) }
        let xr = xRange ?? ((xs.min() ?? 0)...max(xs.max() ?? 1, (xs.min() ?? 0) + 1))
        for (row, fraction) in tickRows(plotHeight) {
            let value = yr.upperBound - fraction * (yr.upperBound - yr.lowerBound)
            let label = Self.format(logY ? pow(10, value) : value)
            grid.put(String(repeating: " ", count: max(0, Self.labelWidth - label.count)) + label, x: x, y: y + row, style: Style(.muted))
        }
        // Dots.
        let dotsWide = plotWidth * 2, dotsHigh = plotHeight * 4
        var bits = [UInt8](repeating: 0, count: plotWidth * plotHeight)
        var styles = [Style?](repeating: nil, count: plotWidth * plotHeight)
        func dotX(_ v: Double) -> Int { Int(((v - xr.lowerBound) / max(xr.upperBound - xr.lowerBound, 1e-12) * Double(dotsWide - 1)).rounded()) }
        // Dot rows as fractions: a value off the range lies above or below the frame.
        func rowOf(_ v: Double) -> Double { (yr.upperBound - transform(v)) / (yr.upperBound - yr.lowerBound) * Double(dotsHigh - 1) }
        func dotY(_ v: Double) -> Int { Int(max(-2, min(Double(dotsHigh + 1), rowOf(v))).rounded()) }
        func set(_ dx: Int, _ dy: Int, _ style: Style) {
            guard dx >= 0, dy >= 0, dx < dotsWide, dy < dotsHigh else { return }
            let cell = (dy / 4) * plotWidth + dx / 2
            bits[cell] |= Self.brailleBit(column: dx % 2, row: dy % 4)
            styles[cell] = style
        }
        for s in series {
            let points = s.points.filter { transform($0.y).isFinite }
            if s.dots {
                for p in points {
                    let dx = dotX(p.x), dy = dotY(p.y)
                    for (ox, oy) in [(0, 0), (1, 0), (0, 1), (1, 1)] { set(dx - 1 + ox, dy - 1 + oy, s.style) }
                }
                continue
            }
            // Lines between points, each cut where it leaves the frame.
            var previous: (x: Double, y: Double)?
            for p in points {
                let current = (x: Double(dotX(p.x)), y: rowOf(p.y))
                if let previous {
                    if let cut = Self.clip(previous, current, rows: 0...Double(dotsHigh - 1)) {
                        Self.line(from: (Int(cut.0.x.rounded()), Int(cut.0.y.rounded())),
                                  to: (Int(cut.1.x.rounded()), Int(cut.1.y.rounded()))) { set($0, $1, s.style) }
                    }
                } else {
                    set(Int(current.x), dotY(p.y), s.style)
                }
                previous = current
            }
        }
        // Markers behind the lines.
        for m in markers where xr.contains(m) {
            let column = dotX(m) / 2
            for row in 0..<plotHeight where bits[row * plotWidth + column] == 0 {
                grid.put(unicode ? "┊" : ":", x: plotX + column, y: y + row, style: Style(.marker, dim: true))
            }
        }
        for row in 0..<plotHeight {
            for column in 0..<plotWidth where bits[row * plotWidth + column] != 0 {
                let b = bits[row * plotWidth + column]
                let text = unicode ? String(Character(Unicode.Scalar(0x2800 + UInt32(b))!)) : "*"
                grid[plotX + column, y + row] = Cell(text: text, style: styles[row * plotWidth + column]!)
            }
        }
        // x ticks on the axis row: epoch labels where they fit, then the last step at the right.
        var free = plotX
        for tick in xTicks where xr.contains(tick.x) {
            let column = plotX + dotX(tick.x) / 2
            guard column >= free, column + tick.label.count < x + width else { continue }
            grid.put(unicode ? "┴" : "+", x: column, y: y + plotHeight, style: axisStyle)
            grid.put(tick.label, x: column + 1, y: y + plotHeight, style: Style(.muted))
            free = column + tick.label.count + 2
        }
        let right = "\(Int(xr.upperBound))"
        if plotX + plotWidth - right.count >= free {
            grid.put(right, x: plotX + plotWidth - right.count, y: y + plotHeight, style: Style(.muted))
        }
    }

    /// Rows for y labels: top, middle and bottom, fewer when the plot is short.
    func tickRows(_ height: Int) -> [(Int, Double)] {
        if height == 1 { return [(0, 0)] }
        if height < 5 { return [(0, 0), (height - 1, 1)] }
        return [(0, 0), (height / 2, Double(height / 2) / Double(height - 1)), (height - 1, 1)]
    }

    /// The bit of the braille dot at (column 0–1, row 0–3) in U+2800…U+28FF.
    static func brailleBit(column: Int, row: Int) -> UInt8 {
        let left: [UInt8] = [0x01, 0x02, 0x04, 0x40], right: [UInt8] = [0x08, 0x10, 0x20, 0x80]
        return column == 0 ? left[row] : right[row]
    }

    /// The part of the segment from `a` to `b` whose y lies in `rows`; nil when none does.
    static func clip(_ a: (x: Double, y: Double), _ b: (x: Double, y: Double),
                     rows: ClosedRange<Double>) -> ((x: Double, y: Double), (x: Double, y: Double))? {
        func at(_ y: Double) -> (x: Double, y: Double) { (x: a.x + (b.x - a.x) * (y - a.y) / (b.y - a.y), y: y) }
        let (top, bottom) = (min(a.y, b.y), max(a.y, b.y))
        guard bottom >= rows.lowerBound, top <= rows.upperBound else { return nil }
        let from = a.y < rows.lowerBound || a.y > rows.upperBound ? at(min(max(a.y, rows.lowerBound), rows.upperBound)) : a
        let to = b.y < rows.lowerBound || b.y > rows.upperBound ? at(min(max(b.y, rows.lowerBound), rows.upperBound)) : b
        return (from, to)
    }

    /// Bresenham's line between two dots.
    static func line(from a: (Int, Int), to b: (Int, Int), _ plot: (Int, Int) -> Void) {
        var (x0, y0) = a
        let (x1, y1) = b
        let dx = abs(x1 - x0), dy = -abs(y1 - y0)
        let sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var error = dx + dy
        while true {
            plot(x0, y0)
            if x0 == x1 && y0 == y1 { return }
            let e2 = 2 * error
            if e2 >= dy { error += dy; x0 += sx }
            if e2 <= dx { error += dx; y0 += sy }
        }
    }

    /// Compact tick labels: 3 significant digits, at most 7 columns.
    static func format(_ v: Double) -> String {
        if v == 0 { return "0" }
        if v.isNaN { return "nan" }
        let a = abs(v)
        if a >= 1e5 || a < 1e-3 { return String(format: "%.1e", v) }
        if a >= 100 { return String(format: "%.0f", v) }
        if a >= 10 { return String(format: "%.1f", v) }
        if a >= 1 { return String(format: "%.2f", v) }
        return String(format: "%.3f", v)
    }
}

/// One row of block characters showing a value over the same x range as a chart above it.
public enum Sparkline {
    /// `points` in x order. `yRange` fixes the lowest and highest block (nil: 0 to the largest value); `styleOf` gives
    /// each cell a style from its value (nil: `style` throughout).
    public static func draw(_ points: [(x: Double, y: Double)], xRange: ClosedRange<Double>, into grid: inout Grid,
                            x: Int, y: Int, width: Int, style: Style, unicode: Bool,
                            yRange: ClosedRange<Double>? = nil, styleOf: ((Double) -> Style)? = nil) {
        guard width > 0, let top = points.map(\.y).max(), !points.isEmpty else { return }
        let levels = unicode ? Array("▁▂▃▄▅▆▇█") : Array("_.-=*#")
        let low = yRange?.lowerBound ?? 0, high = yRange?.upperBound ?? top
        let span = max(xRange.upperBound - xRange.lowerBound, 1e-12)
        var next = 0   // the first point after the column's x (points are in x order)
        for column in 0..<width {
            let at = xRange.lowerBound + span * Double(column) / Double(max(width - 1, 1))
            // The value in force at this x: the last point at or before it.
            while next < points.count, points[next].x <= at { next += 1 }
            let value = points[max(next - 1, 0)].y
            let level = high > low ? Int(((value - low) / (high - low) * Double(levels.count - 1)).rounded()) : 0
            grid.put(String(levels[max(0, min(levels.count - 1, level))]), x: x + column, y: y, style: styleOf?(value) ?? style)
        }
    }

    /// The column of a sparkline `width` wide that shows `value` on the x axis.
    public static func column(of value: Double, xRange: ClosedRange<Double>, width: Int) -> Int {
        let span = max(xRange.upperBound - xRange.lowerBound, 1e-12)
        return max(0, min(width - 1, Int(((value - xRange.lowerBound) / span * Double(max(width - 1, 1))).rounded(.up))))
    }
}

/// Exponential moving average, the usual way training curves are smoothed (TensorBoard's slider).
public func exponentialMovingAverage(_ values: [Double], smoothing: Double) -> [Double] {
    var out: [Double] = []
    out.reserveCapacity(values.count)
    var last: Double?
    for v in values {
        let next = last.map { smoothing * $0 + (1 - smoothing) * v } ?? v
        out.append(next)
        last = next
    }
    return out
}
