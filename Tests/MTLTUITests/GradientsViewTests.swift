import Foundation
import MTLData
import MTLEngine
import Testing
@testable import MTLTUI

/// The Gradients view (6): ranking, matrix, pairs and sparklines, and why it can be empty.
@Suite struct GradientsViewTests {
    /// Three tasks, two shared layers of two parameters, measured at steps 10, 20 and 30.
    /// trunk.0: alpha and beta agree (cos 1), gamma is orthogonal to both (cos 0).
    /// trunk.1: beta turns from agreeing with alpha (+1) through orthogonal (0) to opposed (−1);
    /// gamma = −2·alpha throughout (cos −1, magnitude similarity 2·1·2/(1+4) = 0.8).
    static func conflict() throws -> GradientConflict {
        let layers = try JSONDecoder().decode([LayerRange].self, from: Data("""
            [{"name": "trunk.0", "offset": 0, "count": 2}, {"name": "trunk.1", "offset": 2, "count": 2}]
            """.utf8))
        var conflict = GradientConflict(tasks: ["alpha", "beta", "gamma"], layers: layers)
        for (step, beta1) in [(10, [Float(1), 0]), (20, [0, 1]), (30, [-1, 0])] {
            let alpha = FloatBuffer([1, 0, 1, 0]), beta = FloatBuffer([1, 0] + beta1), gamma = FloatBuffer([0, 1, -2, 0])
            conflict.record([alpha, beta, gamma], step: step)
        }
        return conflict
    }

    static func snapshot() throws -> TrainerSnapshot {
        var s = Fixture.run.snapshot
        s.tasks = ["alpha", "beta", "gamma"]
        s.conflict = try conflict()
        s.markers = [5, 20, 35]
        return s
    }

    static func render(_ s: TrainerSnapshot, unicode: Bool = true, _ adjust: (inout ViewState) -> Void = { _ in }) -> Grid {
        var state = ViewState()
        state.view = .gradients
        state.unicode = unicode
        adjust(&state)
        return Screen.render(s, state, Fixture.run.context, width: 120, height: 40)
    }

    /// Where `text` starts in the grid (first match), as cell coordinates.
    func find(_ text: String, in grid: Grid, from y0: Int = 0) -> (x: Int, y: Int)? {
        for y in y0..<grid.height {
            let cells = (0..<grid.width).map { grid[$0, y].text }
            let needle = text.map(String.init)
            for x in 0...(grid.width - needle.count) where Array(cells[x..<(x + needle.count)]) == needle { return (x, y) }
        }
        return nil
    }

    @Test func layersAreRankedMostConflictedFirstAndJKSelect() throws {
        let s = try Self.snapshot()
        let grid = Self.render(s)
        let t1 = try #require(find("▶ trunk.1", in: grid)), t0 = try #require(find("  trunk.0", in: grid))
        #expect(t1.y < t0.y)
        // trunk.1's mean EMA: (0.71 − 1 − 0.71) / 3; two of three pairs conflict now.
        #expect(grid.row(t1.y).contains("-0.33    67%"))
        #expect(grid.row(t0.y).contains("+0.33    0%"))
        #expect(grid.text.contains("trunk.1 · conflict share 67%"))
        var state = ViewState()
        state.view = .gradients
        _ = Controller.handle(.character("j"), state: &state, snapshot: s, context: Fixture.run.context)
        #expect(state.gradientLayer == "trunk.0")
        let second = Screen.render(s, state, Fixture.run.context, width: 120, height: 40)
        #expect(second.text.contains("trunk.0 · conflict share 0%"))
        #expect(find("▶ trunk.0", in: second) != nil)
        _ = Controller.handle(.down, state: &state, snapshot: s, context: Fixture.run.context)
        #expect(state.gradientLayer == "trunk.0")   // stops at the last layer
        _ = Controller.handle(.character("k"), state: &state, snapshot: s, context: Fixture.run.context)
        #expect(state.gradientLayer == "trunk.1")
    }

    /// The matrix: symmetric latest cosines with a sign, a shade block as strong as |cos|, the
    /// bad colour for conflict and the good one for agreement.
    @Test func theCosineMatrixShowsSignedShadedValues() throws {
        for unicode in [true, false] {
            let grid = Self.render(try Self.snapshot(), unicode: unicode)
            let full = unicode ? "██" : "##", dot = unicode ? "·" : "."
            let header = try #require(find("cosine  alpha", in: grid))
            let rows = (1...3).map { grid.row(header.y + $0) }
            #expect(rows[0].contains("alpha     \(dot)         -1.00 \(full)    -1.00 \(full)"), "\(grid.text)")
            #expect(rows[1].contains("beta    -1.00 \(full)      \(dot)         +1.00 \(full)"), "\(grid.text)")
            #expect(rows[2].contains("gamma   -1.00 \(full)    +1.00 \(full)      \(dot)"), "\(grid.text)")
            let conflictCell = try #require(find("-1.00", in: grid, from: header.y + 1))
            #expect(grid[conflictCell.x, conflictCell.y].style == Style(.bad, bold: true))
            #expect(grid[conflictCell.x + 6, conflictCell.y].text == (unicode ? "█" : "#"))
            let agreeCell = try #require(find("+1.00", in: grid, from: header.y + 2))
            #expect(grid[agreeCell.x, agreeCell.y].style == Style(.good, bold: true))
            // The selected layer changed: trunk.0's matrix has the zero cosines, dim and unshaded.
            let other = Self.render(try Self.snapshot(), unicode: unicode) { $0.gradientLayer = "trunk.0" }
            let otherHeader = try #require(find("cosine  alpha", in: other))
            #expect(other.row(otherHeader.y + 1).contains("alpha     \(dot)         +1.00 \(full)    +0.00"), "\(other.text)")
            let zero = try #require(find("+0.00", in: other, from: otherHeader.y + 1))
            #expect(other[zero.x, zero.y].style == Style(.good, dim: true))
        }
    }

    /// Per pair: latest cosine, EMA and magnitude similarity; a sparkline from −1 to +1 over the
    /// measured steps; under it a marker at the user's change inside that range only.
    @Test func pairsHaveMagnitudeSimilarityASparklineAndChangeMarkers() throws {
        let grid = Self.render(try Self.snapshot())
        let ab = try #require(find("alpha|beta", in: grid))
        let ag = try #require(find("alpha|gamma", in: grid))
        #expect(grid.row(ab.y).contains("alpha|beta   -1.00   +0.71   1.00"), "\(grid.text)")
        #expect(grid.row(ag.y).contains("alpha|gamma  -1.00   -1.00   0.80"), "\(grid.text)")
        #expect(grid.text.contains("cosine at steps 10-30, -1 to +1"))
        // alpha|beta: +1 (█) at step 10, 0 (▅) at 20, −1 (▁) at 30.
        let line = Array(grid.row(ab.y))
        let blocks = line.enumerated().filter { "▁▂▃▄▅▆▇█".contains($0.element) }
        #expect(blocks.first?.element == "█" && blocks.last?.element == "▁")
        #expect(blocks.contains { $0.element == "▅" })
        #expect(grid[blocks.first!.offset, ab.y].style.foreground == .good)
        #expect(grid[blocks.last!.offset, ab.y].style.foreground == .bad)
        // alpha|gamma is −1 throughout.
        #expect(Array(grid.row(ag.y)).filter { "▁▂▃▄▅▆▇█".contains($0) }.allSatisfy { $0 == "▁" })
        // Markers: 5 and 35 are outside 10–30; 20 is halfway, where beta's first change shows.
        let markerRow = try #require(find("▲ your changes (steps 20)", in: grid))
        let sparkX = blocks.first!.offset, sparkWidth = blocks.count
        let markers = Array(grid.row(markerRow.y)).enumerated().filter { $0.element == "▲" && $0.offset >= sparkX }.map(\.offset)
        #expect(markers == [sparkX + Sparkline.column(of: 20, xRange: 10...30, width: sparkWidth)])
        #expect(line[markers[0]] == "▅")
    }

    @Test func withoutMeasurementsOneLineSaysWhy() {
        var s = Fixture.run.snapshot
        s.conflict = nil
        let off = GradientsViewTests.render(s).text
        #expect(off.contains("gradient conflict is measured every 10 steps; this run has it off (--conflict-every)"))
        s.tasks = ["only"]
        #expect(GradientsViewTests.render(s).text.contains("gradient conflict compares tasks' gradients; this run has one task (only)"))
    }

    /// The real run's snapshot (measured every 10 steps) renders a matrix.
    @Test func aRealRunShowsItsMeasurements() {
        let text = GradientsViewTests.render(Fixture.run.snapshot).text
        #expect(Fixture.run.snapshot.conflict != nil)
        #expect(text.contains("cosine  task0") && text.contains("task0|task1") && text.contains("Layers by conflict"))
    }

    @Test func digitSixAndTabReachTheGradientsView() {
        var state = ViewState()
        func press(_ key: Key, in view: View) {
            state.view = view
            _ = Controller.handle(key, state: &state, snapshot: Fixture.run.snapshot, context: Fixture.run.context)
        }
        press(.character("6"), in: .dashboard)
        #expect(state.view == .gradients)
        press(.tab, in: .gradients)
        #expect(state.view == .runs)
        press(.tab, in: .runs)
        #expect(state.view == .dashboard)
        press(.backTab, in: .runs)
        #expect(state.view == .gradients)
        press(.tab, in: .help)
        #expect(state.view == .gradients)
        let grid = Screen.render(Fixture.run.snapshot, state, Fixture.run.context, width: 120, height: 40)
        #expect(grid.row(0).contains(" 6 Gradients "))
        let x = Array(grid.row(0)).firstIndex(of: "G")!
        #expect(grid[x, 0].style.bold)   // the current view's tab
        // Too narrow for every name: the others by number, the current one still named.
        let narrow = Screen.render(Fixture.run.snapshot, state, Fixture.run.context, width: 80, height: 24).row(0)
        #expect(narrow.contains(" 1  2  3  4  5  6 Gradients "), "\(narrow)")
    }

    /// An MMoE model's layer names at 80 columns: the name column is as wide as the names, a
    /// space before the figures, and the ranking's column says it averages the EMA cosines.
    @Test func layerNamesKeepTheirOwnColumnAt80() throws {
        let names = ["expert1.embedding", "expert2.conv", "expert2.dense"]
        let ranges = try JSONDecoder().decode([LayerRange].self, from: Data(("[" + names.enumerated().map { i, name in
            "{\"name\": \"\(name)\", \"offset\": \(2 * i), \"count\": 2}" }.joined(separator: ",") + "]").utf8))
        var conflict = GradientConflict(tasks: ["alpha", "beta", "gamma"], layers: ranges)
        conflict.record([FloatBuffer([1, 0, 1, 0, 1, 1]), FloatBuffer([1, 0, -1, 0, 0, 1]), FloatBuffer([0, 1, 0, 1, 1, 0])], step: 10)
        var s = try Self.snapshot()
        s.conflict = conflict
        var state = ViewState()
        state.view = .gradients
        let grid = Screen.render(s, state, Fixture.run.context, width: 80, height: 24)
        let header = try #require(find("mean EMA", in: grid), "\(grid.text)")
        #expect(grid.row(header.y).contains("layer") && !grid.text.contains("mean cos"), "\(grid.text)")
        for layer in conflict.layersByConflict {
            let figure = GradientsView.signed(GradientsView.meanCosine(layer))
            #expect(grid.text.contains(layer.name + " " + String(repeating: " ", count: 17 - layer.name.count) + figure), "\(grid.text)")
        }
    }
}
