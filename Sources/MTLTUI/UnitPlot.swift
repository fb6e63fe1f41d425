import MTLData

/// A curve in the unit square — ROC or precision–recall — drawn in braille dots (`*` without
/// Unicode) inside a frame whose title carries the area, with both axes labelled 0, 0.5, 1
/// and marks (the threshold in use, the cursor) drawn over the curve.
struct UnitPlot {
    enum Mark { case operating, cursor }

    var title: String
    var xName: String
    /// The x axis name where `xName` does not fit.
    var xShort: String
    var yName: String
    var unicode: Bool
    /// (x, y) in [0, 1], in drawing order.
    var points: [(Double, Double)] = []
    /// The chance line from (0, 0) to (1, 1), dimmed.
    var diagonal = false
    /// Drawn in order, so a later mark covers an earlier one in the same cell.
    var marks: [(x: Double, y: Double, kind: Mark)] = []

    /// The plot area (in cells) inside a frame at (x, y, width, height): left of it the y labels,
    /// under it the x labels and the axis name.
    static func area(x: Int, y: Int, width: Int, height: Int) -> (x: Int, y: Int, width: Int, height: Int) {
        (x + 6, y + 1, width - 8, height - 4)
    }

    func draw(into grid: inout Grid, x: Int, y: Int, width: Int, height: Int, style: Style) {
        let plot = Self.area(x: x, y: y, width: width, height: height)
        guard plot.width >= 4, plot.height >= 2 else { return }
        grid.box(x: x, y: y, width: width, height: height, title: title, unicode: unicode)
        let axis = Style(.border), muted = Style(.muted)
        // Axes: y on the left of the plot, x under it.
        for row in 0..<plot.height { grid.put(unicode ? "│" : "|", x: plot.x - 1, y: plot.y + row, style: axis) }
        grid.put(unicode ? "└" : "+", x: plot.x - 1, y: plot.y + plot.height, style: axis)
        for column in 0..<plot.width { grid.put(unicode ? "─" : "-", x: plot.x + column, y: plot.y + plot.height, style: axis) }
        grid.put(yName, x: x + 1, y: plot.y + plot.height / 2 - 1, style: muted, limit: 4)
        for (label, row) in [("1", 0), ("0.5", (plot.height - 1) / 2), ("0", plot.height - 1)] {
            grid.put(String(repeating: " ", count: 4 - label.count) + label, x: plot.x - 5, y: plot.y + row, style: muted)
        }
        let labels = plot.y + plot.height + 1
        grid.put("0", x: plot.x, y: labels, style: muted)
        grid.put("0.5", x: plot.x + (plot.width - 1) / 2 - 1, y: labels, style: muted)
        grid.put("1", x: plot.x + plot.width - 1, y: labels, style: muted)
        // The axis name centred between the "0" and "0.5" labels.
        let gap = (plot.width - 1) / 2 - 3
        let name = TextWidth.of(xName) <= gap ? xName : xShort
        grid.put(name, x: plot.x + 2 + max(0, (gap - TextWidth.of(name)) / 2), y: labels, style: muted, limit: max(0, gap))
        // Dots: 2 × 4 per cell.
        let dotsWide = plot.width * 2, dotsHigh = plot.height * 4
        var bits = [UInt8](repeating: 0, count: plot.width * plot.height)
        var curve = [Bool](repeating: false, count: bits.count)
        func dot(_ v: (Double, Double)) -> (Int, Int) {
            (Int((min(max(v.0, 0), 1) * Double(dotsWide - 1)).rounded()), Int(((1 - min(max(v.1, 0), 1)) * Double(dotsHigh - 1)).rounded()))
        }
        func set(_ dx: Int, _ dy: Int, onCurve: Bool) {
            guard dx >= 0, dy >= 0, dx < dotsWide, dy < dotsHigh else { return }
            let cell = (dy / 4) * plot.width + dx / 2
            bits[cell] |= LineChart.brailleBit(column: dx % 2, row: dy % 4)
            if onCurve { curve[cell] = true }
        }
        if diagonal {
            var k = 0
            LineChart.line(from: dot((0, 0)), to: dot((1, 1))) { dx, dy in
                if k % 3 == 0 { set(dx, dy, onCurve: false) }   // dotted: every third dot
                k += 1
            }
        }
        var previous: (Int, Int)?
        for p in points {
            let current = dot(p)
            if let previous, previous == current { continue }   // thousands of points share a few hundred dots
            if let previous { LineChart.line(from: previous, to: current) { set($0, $1, onCurve: true) } } else { set(current.0, current.1, onCurve: true) }
            previous = current
        }
        for row in 0..<plot.height {
            for column in 0..<plot.width where bits[row * plot.width + column] != 0 {
                let b = bits[row * plot.width + column]
                let text = unicode ? String(Character(Unicode.Scalar(0x2800 + UInt32(b))!)) : "*"
                grid[plot.x + column, plot.y + row] = Cell(text: text, style: curve[row * plot.width + column] ? style : Style(.muted, dim: true))
            }
        }
        for mark in marks {
            let (dx, dy) = dot((mark.x, mark.y))
            let (text, markStyle) = mark.kind == .operating
                ? (Glyph.operatingMark(unicode), Style(.info, bold: true))
                : (Glyph.cursorMark(unicode), Style(.highlight, bold: true, reverse: true))
            grid[plot.x + dx / 2, plot.y + dy / 4] = Cell(text: text, style: markStyle)
        }
    }
}
