import MTLData
import Testing
@testable import MTLTUI

@Suite struct GridTests {
    @Test func truncatesWithAnEllipsis() {
        var grid = Grid(width: 10, height: 1)
        let used = grid.put("abcdefghijkl", x: 0, y: 0, limit: 6)
        #expect(used == 6)
        #expect(grid.row(0) == "abcde…    ")
    }

    @Test func wideCharactersTakeTwoCellsAndNeverBreakAlignment() {
        var grid = Grid(width: 12, height: 2)
        grid.put("日本語abc", x: 0, y: 0, limit: 5)      // 9 columns into 5: two wide chars and "…"
        grid.put("😀x", x: 0, y: 1)
        #expect(grid.row(0).hasPrefix("日本…"))
        #expect(grid[0, 0].text == "日" && grid[1, 0].text == "" && grid[2, 0].text == "本")
        #expect(grid[4, 0].text == "…" && grid[5, 0].text == " ")
        #expect(grid[0, 1].text == "😀" && grid[1, 1].text == "" && grid[2, 1].text == "x")
        // A wide character that would straddle the edge is not drawn half.
        var edge = Grid(width: 3, height: 1)
        edge.put("ab日", x: 0, y: 0)
        #expect(edge.row(0) == "ab…")
    }

    @Test func displayWidths() {
        #expect(TextWidth.of("abc") == 3)
        #expect(TextWidth.of("e\u{301}") == 1)           // e + combining acute: one cell
        #expect(TextWidth.of("한글") == 4)
        #expect(TextWidth.of("ｗ") == 2)                  // fullwidth
        #expect(TextWidth.of("👍🏽") == 2)
        #expect(TextWidth.of("\t") == 0)
    }
}

@Suite struct ChartTests {
    func draw(_ chart: LineChart, width: Int = 30, height: Int = 9) -> Grid {
        var grid = Grid(width: width, height: height)
        chart.draw(into: &grid, x: 0, y: 0, width: width, height: height)
        return grid
    }

    @Test func scalesToTheDataWithTicksAtTopMiddleAndBottom() {
        var chart = LineChart()
        chart.series = [.init(points: (0...10).map { (x: Double($0), y: Double($0)) }, style: Style(.task1))]
        let grid = draw(chart)
        #expect(grid.row(0).hasPrefix("   10.0│"))
        // Row 4 of 8 plot rows is 4/7 of the way down from 10 to 0.
        #expect(grid.row(4).hasPrefix("   " + LineChart.format(10 - 10 * 4.0 / 7) + "│"))
        #expect(LineChart.format(10 - 10 * 4.0 / 7) == "4.29")
        #expect(grid.row(7).hasPrefix("      0│"))
        #expect(grid.row(8).hasPrefix("       └"))
        #expect(grid.row(8).hasSuffix("10"))
        // A rising line: a dot at the bottom-left and at the top-right of the plot.
        #expect(grid[8, 7].text != " " && grid[29, 0].text != " ")
        #expect(grid[29, 7].text == " " && grid[8, 0].text == " ")
        #expect(grid.cells.contains { $0.text.unicodeScalars.first.map { (0x2800...0x28FF).contains($0.value) } ?? false })
    }

    @Test func logScaleSpreadsDecades() {
        var chart = LineChart()
        chart.logY = true
        chart.series = [.init(points: [(x: 0, y: 1000), (x: 1, y: 100), (x: 2, y: 10), (x: 3, y: 1)], style: Style(.task1))]
        let grid = draw(chart, height: 9)
        #expect(grid.row(0).hasPrefix("   1000│"))
        #expect(grid.row(4).hasPrefix("   19.3│"))     // 10^(3 − 3·4/7): row 4 of 8 across three decades
        #expect(grid.row(7).hasPrefix("   1.00│"))
        // Non-positive values cannot be drawn on a log axis and are skipped, not plotted at -inf.
        chart.series[0].points.append((x: 4, y: 0))
        #expect(draw(chart, height: 9).row(7).hasPrefix("   1.00│"))
    }

    @Test func markersEpochTicksAndASCIIFallback() {
        var chart = LineChart()
        chart.series = [.init(points: [(x: 0, y: 1), (x: 100, y: 1)], style: Style(.task1))]
        chart.xRange = 0...100
        chart.markers = [50]
        chart.xTicks = [(x: 25, label: "e1")]
        let grid = draw(chart, width: 30, height: 6)
        let markerColumn = 8 + Int((50.0 / 100 * 43).rounded()) / 2
        #expect(grid[markerColumn, 0].text == "┊")
        #expect(grid.row(5).contains("┴e1"))
        chart.unicode = false
        let ascii = draw(chart, width: 30, height: 6)
        #expect(ascii.cells.allSatisfy { $0.text.unicodeScalars.allSatisfy(\.isASCII) })
        #expect(ascii.row(2).contains("*"))
        #expect(ascii[markerColumn, 0].text == ":")
    }

    @Test func exponentialMovingAverage() {
        #expect(MTLTUI.exponentialMovingAverage([1, 0, 0], smoothing: 0.5) == [1, 0.5, 0.25])
        #expect(MTLTUI.exponentialMovingAverage([3, 5], smoothing: 0) == [3, 5])
    }

    @Test func brailleBitsFollowTheUnicodeLayout() {
        // Dots 1-2-3-7 down the left column, 4-5-6-8 down the right.
        #expect((0..<4).map { LineChart.brailleBit(column: 0, row: $0) } == [0x01, 0x02, 0x04, 0x40])
        #expect((0..<4).map { LineChart.brailleBit(column: 1, row: $0) } == [0x08, 0x10, 0x20, 0x80])
    }
}

@Suite struct ThemeTests {
    @Test func parsesBtopStyleLinesAndKeepsDefaultsForTheRest() throws {
        let theme = try Theme.parse("# comment\ntheme[main_fg]=\"#102030\"\n\ntheme[task1] = \"ff0000\"\n", name: "x", file: "x.theme")
        #expect(theme.color(.text) == RGB(0x10, 0x20, 0x30))
        #expect(theme.color(.task1) == RGB(255, 0, 0))
        #expect(theme.color(.bad) == Theme.builtIn.color(.bad))
    }

    @Test func malformedLinesNameTheirLine() {
        #expect(throws: ThemeError.self) { try Theme.parse("theme[main_fg]=\"#1020\"\n", name: "x", file: "x.theme") }
        do {
            _ = try Theme.parse("\ntheme[nope]=\"#102030\"\n", name: "x", file: "x.theme")
            Issue.record("no error")
        } catch let error as ThemeError {
            #expect(error.message.hasPrefix("x.theme:2: unknown key 'nope'"))
        } catch { Issue.record("\(error)") }
        do {
            _ = try Theme.parse("main_fg = red\n", name: "x", file: "x.theme")
            Issue.record("no error")
        } catch let error as ThemeError {
            #expect(error.message == "x.theme:1: expected theme[key]=\"#RRGGBB\"")
        } catch { Issue.record("\(error)") }
    }

    @Test func paletteFallbacks() {
        #expect(Palette.index(RGB(255, 0, 0), colors: 256) == 196)
        #expect(Palette.index(RGB(0x1c, 0x1c, 0x1c), colors: 256) == 234)
        #expect(Palette.index(RGB(255, 0, 0), colors: 16) == 9)
        #expect(Palette.index(RGB(250, 10, 10), colors: 8) == 1)
        #expect(Palette.index(RGB(250, 250, 250), colors: 8) == 7)
    }
}
