import Foundation
import MTLData
import MTLEngine

/// View 6: how the tasks' gradients agree on each shared layer. The layers ranked by conflict
/// (j k select one); for the selected layer the task × task cosine matrix, shaded, the pairs'
/// magnitude similarity, and a sparkline of each pair's cosine over the measured steps with
/// the steps where the user changed something marked under it.
enum GradientsView {
    static func draw(_ grid: inout Grid, _ s: TrainerSnapshot, _ state: ViewState, y: Int, height: Int) {
        guard let conflict = s.conflict, !conflict.layers.isEmpty else {
            grid.put(unavailable(s), x: 1, y: y + 1, style: Style(.muted), limit: grid.width - 2)
            return
        }
        let ranked = conflict.layersByConflict
        let selected = state.gradientLayer.flatMap { name in ranked.firstIndex { $0.name == name } } ?? 0
        var header = "Gradient conflict · \(conflict.tasks.count) tasks · \(conflict.layers.count) shared layer\(conflict.layers.count == 1 ? "" : "s")"
        if let first = conflict.steps.first, let last = conflict.steps.last {
            header += " · \(conflict.steps.count) measurement\(conflict.steps.count == 1 ? "" : "s"), steps \(first)-\(last)"
        }
        grid.put(header, x: 1, y: y, style: Style(.title, bold: true), limit: grid.width - 2)
        grid.put("cosine: + the tasks agree, - they conflict · magnitude similarity: 1 same size, near 0 one task dominates",
                 x: 1, y: y + 1, style: Style(.muted), limit: grid.width - 2)
        guard !conflict.steps.isEmpty else {
            grid.put("no measurement yet: the first comes within the next few steps", x: 1, y: y + 3, style: Style(.muted))
            return
        }
        // Left: the ranking, its name column as wide as the longest name (up to half the
        // screen; a longer one ends in …), a space before the figures. The ranking sorts by
        // the mean of each pair's EMA cosine, and its column says so.
        let longest = ranked.map { TextWidth.of($0.name) }.max() ?? 5
        let left = max(30, min(longest + 20, grid.width / 2))
        let nameWidth = left - 20
        grid.put("Layers by conflict (j k)", x: 1, y: y + 3, style: Style(.title, bold: true), limit: left - 2)
        grid.put("  " + "layer".padded(nameWidth + 1) + "mean EMA".padded(9) + "share", x: 1, y: y + 4,
                 style: Style(.muted, bold: true), limit: left - 2)
        for (i, layer) in ranked.enumerated() where y + 5 + i < y + height {
            let mean = meanCosine(layer)
            let text = (i == selected ? Glyph.cursor(state.unicode) : " ") + " " + layer.name.padded(nameWidth) + " "
                + signed(mean).padded(9) + "\(Int((layer.conflictShare * 100).rounded()))%"
            let style = i == selected ? Style(.selectedText, background: .selectedBackground, bold: true) : Style(role(mean))
            grid.put(text, x: 1, y: y + 5 + i, style: style, limit: left - 2)
        }
        for r in (y + 3)..<(y + height) { grid.put(state.unicode ? "│" : "|", x: left, y: r, style: Style(.border)) }
        detail(&grid, s, conflict, ranked[min(selected, ranked.count - 1)], unicode: state.unicode,
               x: left + 2, y: y + 3, width: grid.width - left - 3, height: height - 3)
    }

    /// Why there is nothing to show, in one line.
    static func unavailable(_ s: TrainerSnapshot) -> String {
        if s.tasks.isEmpty { return "gradient conflict appears once training has started" }
        if s.tasks.count == 1 { return "gradient conflict compares tasks' gradients; this run has one task (\(s.tasks[0]))" }
        return "gradient conflict is measured every \(TrainingConfig().conflictEvery) steps; this run has it off (--conflict-every)"
            + " or its model shares no layer"
    }

    static func detail(_ grid: inout Grid, _ s: TrainerSnapshot, _ conflict: GradientConflict, _ layer: GradientConflict.Layer,
                       unicode: Bool, x: Int, y: Int, width: Int, height: Int) {
        // The names as every other view shows them (the snapshot's; the same tasks in order).
        let tasks = s.tasks.count == conflict.tasks.count ? s.tasks : conflict.tasks
        let k = tasks.count
        var line = y
        let share = "\(Int((layer.conflictShare * 100).rounded()))%"
        grid.put("\(layer.name) · conflict share \(share) (pairs with cosine < 0 now) · mean EMA \(signed(meanCosine(layer)))",
                 x: x, y: line, style: Style(.title, bold: true), limit: width)
        line += 2
        // The cosine matrix: symmetric, 1 on the diagonal.
        let labelWidth = min(14, max(8, (tasks.map { TextWidth.of($0) }.max() ?? 4) + 1))
        let cellWidth = max(9, min(12, (width - labelWidth) / max(k, 1)))
        grid.put("cosine", x: x, y: line, style: Style(.muted, bold: true), limit: labelWidth)
        for (j, name) in tasks.enumerated() {
            grid.put(name.padded(cellWidth - 1), x: x + labelWidth + j * cellWidth, y: line, style: Style(Role.task(j), bold: true))
        }
        line += 1
        for i in 0..<k where line < y + height {
            grid.put(tasks[i].padded(labelWidth - 1), x: x, y: line, style: Style(Role.task(i), bold: true))
            for j in 0..<k {
                let cx = x + labelWidth + j * cellWidth
                if i == j {
                    grid.put("  " + Glyph.dot(unicode), x: cx, y: line, style: Style(.muted))
                    continue
                }
                let p = conflict.pair(i, j)
                let c = layer.cosine.indices.contains(p) ? layer.cosine[p] : .nan
                grid.put(heatCell(c, unicode: unicode), x: cx, y: line, style: heatStyle(c))
            }
            line += 1
        }
        line += 1
        guard line < y + height else { return }
        // The pairs: latest cosine, its EMA, magnitude similarity and the cosine over time.
        let names = conflict.pairs.map { "\(tasks[$0.0])|\(tasks[$0.1])" }
        let pairWidth = min(24, (names.map { TextWidth.of($0) }.max() ?? 4) + 2)
        let sparkX = x + pairWidth + 24, sparkWidth = width - pairWidth - 24
        let first = Double(conflict.steps.first!), last = Double(conflict.steps.last!)
        let range = first...max(last, first + 1)
        grid.put("pair".padded(pairWidth) + "cosine  EMA     mag sim", x: x, y: line, style: Style(.muted, bold: true), limit: width)
        if sparkWidth >= 8 {
            grid.put("cosine at steps \(conflict.steps.first!)-\(conflict.steps.last!), -1 to +1", x: sparkX, y: line,
                     style: Style(.muted, bold: true), limit: sparkWidth)
        }
        line += 1
        for (p, name) in names.enumerated() where line < y + height - 1 {
            let cosine = layer.cosine.indices.contains(p) ? layer.cosine[p] : .nan
            let ema = layer.cosineEMA.indices.contains(p) ? layer.cosineEMA[p] : .nan
            let magnitude = layer.magnitudeSimilarity.indices.contains(p) ? layer.magnitudeSimilarity[p] : .nan
            grid.put(name.padded(pairWidth), x: x, y: line, style: Style(.text, bold: true), limit: pairWidth)
            grid.put(signed(cosine).padded(8), x: x + pairWidth, y: line, style: heatStyle(cosine))
            grid.put(signed(ema).padded(8), x: x + pairWidth + 8, y: line, style: heatStyle(ema))
            grid.put(magnitude.isNaN ? "n/a" : String(format: "%.2f", magnitude), x: x + pairWidth + 16, y: line)
            if sparkWidth >= 8, layer.history.indices.contains(p) {
                let history = layer.history[p]
                let n = min(history.count, conflict.steps.count)
                let points = zip(conflict.steps.suffix(n), history.suffix(n)).compactMap { step, value in
                    value.isNaN ? nil : (x: Double(step), y: Double(value))
                }
                Sparkline.draw(points, xRange: range, into: &grid, x: sparkX, y: line, width: sparkWidth, style: .plain,
                               unicode: unicode, yRange: -1...1, styleOf: heatStyle)
            }
            line += 1
        }
        // Under the sparklines: the steps where the user changed something.
        guard sparkWidth >= 8, line < y + height else { return }
        let changes = s.markers.filter { range.contains(Double($0)) }
        grid.put(changes.isEmpty ? "no change of yours in this range" : "\(Glyph.marker(unicode)) your changes (steps \(changes.map(String.init).joined(separator: ", ")))",
                 x: x, y: line, style: Style(.marker), limit: pairWidth + 23)
        for m in changes {
            grid.put(Glyph.marker(unicode), x: sparkX + Sparkline.column(of: Double(m), xRange: range, width: sparkWidth), y: line,
                     style: Style(.marker, bold: true))
        }
    }

    /// Mean of a layer's cosine EMAs over its pairs (what the ranking sorts by); 1 when unmeasured.
    static func meanCosine(_ layer: GradientConflict.Layer) -> Double {
        let values = layer.cosineEMA.filter { !$0.isNaN }
        return values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
    }

    /// `+0.42` / `−0.31`: the sign always shown, so the matrix reads without colour.
    static func signed(_ v: Double) -> String { v.isNaN ? "n/a" : String(format: "%+.2f", v) }

    /// A matrix cell: the value and a shade block as strong as |cosine|.
    static func heatCell(_ c: Double, unicode: Bool) -> String {
        c.isNaN ? "  n/a" : signed(c) + " " + String(repeating: ConfusionView.shade(abs(c), unicode: unicode), count: 2)
    }

    /// Agreement in the good colour, conflict in the bad one; strong values bold, faint ones dim.
    static func heatStyle(_ c: Double) -> Style {
        guard !c.isNaN else { return Style(.muted) }
        return Style(role(c), bold: abs(c) >= 0.5, dim: abs(c) < 0.1)
    }

    static func role(_ c: Double) -> Role { c.isNaN ? .muted : c < 0 ? .bad : .good }
}
