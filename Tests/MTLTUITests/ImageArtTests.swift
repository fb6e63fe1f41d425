import MTLData
import MTLEngine
import Testing
@testable import MTLTUI

/// Images as half blocks in grey levels, rendered to the cell grid.
@Suite struct ImageArtTests {
    /// A 28×28 test pattern whose every pixel differs from its neighbours.
    static func pattern(_ x: Int, _ y: Int) -> Float { Float((x * 7 + y * 13) % 29) / 28 }

    /// The fixture's run, its rows given 28×28 images after one feature column.
    static let context: WorkbenchContext = {
        var context = Fixture.run.context
        let width = 1 + 28 * 28, rows = context.inputText.count
        context.featureWidth = width
        context.image = WorkbenchContext.ImageLayout(offset: 1, width: 28, height: 28)
        context.features = (0..<(rows * width)).map { i in
            let p = i % width - 1
            return p < 0 ? 0.5 : pattern(p % 28, p / 28) * Float(i / width % 3 + 1) / 3
        }
        return context
    }()

    @Test func fullResolutionIsTwoPixelsPerCell() {
        var grid = Grid(width: 40, height: 20)
        let used = ImageArt.draw(&grid, width: 28, height: 28, pixel: Self.pattern, x: 2, y: 3, columns: 30, rows: 16, mode: .halfBlocks)
        #expect(used == (28, 14))
        for r in 0..<14 {
            for c in 0..<28 {
                let cell = grid[2 + c, 3 + r]
                #expect(cell.text == "▀")
                #expect(cell.style.greys == CellGreys(top: ImageArt.grey(Self.pattern(c, 2 * r)), bottom: ImageArt.grey(Self.pattern(c, 2 * r + 1))),
                        "cell \(c), \(r)")
            }
        }
        #expect(grid[30, 3].text == " " && grid[2, 17].text == " " && grid[1, 3].style.greys == nil)
    }

    /// Too little room: scaled down by box averages, keeping the aspect ratio; never scaled up.
    @Test func smallerRoomsScaleDown() {
        #expect(ImageArt.fit(width: 28, height: 28, columns: 14, rows: 20) == (14, 14))
        #expect(ImageArt.fit(width: 28, height: 28, columns: 40, rows: 4) == (8, 8))
        #expect(ImageArt.fit(width: 8, height: 8, columns: 40, rows: 40) == (8, 8))
        var grid = Grid(width: 20, height: 10)
        // A 4×4 image of 2×2 blocks at half size: each cell is one block's mean.
        let quads: (Int, Int) -> Float = { x, y in Float((y / 2) * 2 + x / 2) / 3 }
        #expect(ImageArt.draw(&grid, width: 4, height: 4, pixel: quads, x: 0, y: 0, columns: 2, rows: 5, mode: .halfBlocks) == (2, 1))
        #expect(grid[0, 0].style.greys == CellGreys(top: 0, bottom: ImageArt.grey(2 / 3)))
        #expect(grid[1, 0].style.greys == CellGreys(top: ImageArt.grey(1 / 3), bottom: 255))
    }

    /// Without colour each cell is a shade of its two pixels' mean; without Unicode an ASCII ramp.
    @Test func monochromeAndASCIIUseShades() {
        let column: (Int, Int) -> Float = { _, y in [0, 0, 1, 1, 0, 1, 0.5, 0.5][y] }
        var shades = Grid(width: 4, height: 4), ascii = Grid(width: 4, height: 4)
        ImageArt.draw(&shades, width: 1, height: 8, pixel: column, x: 0, y: 0, columns: 4, rows: 4, mode: .shades)
        ImageArt.draw(&ascii, width: 1, height: 8, pixel: column, x: 0, y: 0, columns: 4, rows: 4, mode: .ascii)
        #expect((0..<4).map { shades[0, $0].text } == [" ", "█", "▒", "▒"])
        #expect((0..<4).map { ascii[0, $0].text } == [" ", "@", "+", "+"])
        #expect((0..<4).allSatisfy { shades[0, $0].style.greys == nil && ascii[0, $0].text.unicodeScalars.allSatisfy(\.isASCII) })
        #expect(ImageArt.mode(unicode: true, greys: true) == .halfBlocks && ImageArt.mode(unicode: true, greys: false) == .shades
                && ImageArt.mode(unicode: false, greys: true) == .ascii)
    }

    /// The hard-example list gives each image row its thumbnail's four rows; the detail pane
    /// draws the selected row's image at full resolution.
    @Test func theExamplesViewDrawsThumbnailsAndTheFullImage() throws {
        var state = ViewState()
        state.view = .examples
        let grid = Screen.render(Fixture.run.snapshot, state, Self.context, width: 140, height: 44)
        let examples = try #require(Fixture.run.snapshot.examples)
        let list = ExampleList.indices(examples, state: state, context: Self.context)
        // The losses of the first entries start every fourth row.
        let lossRows = (0..<44).filter { grid.row($0).dropFirst(2).hasPrefix(String(format: "%6.3f", examples.losses[0][list[1]])) }
        let firstRow = try #require((0..<44).first { grid.row($0).contains(String(format: "%6.3f", examples.losses[0][list[0]])) })
        #expect(lossRows.first == firstRow + ExampleImages.thumbnailRows, "\(lossRows) after \(firstRow)")
        let thumbnailX = try #require((0..<140).first { grid[$0, firstRow].text == "▀" })
        for r in 0..<4 {
            for c in 0..<8 {
                let cell = grid[thumbnailX + c, firstRow + r]
                #expect(cell.text == "▀" && cell.style.greys != nil, "thumbnail cell \(c), \(r)")
            }
        }
        state.detail = true
        let detail = Screen.render(Fixture.run.snapshot, state, Self.context, width: 140, height: 44)
        let row = examples.rows[list[0]]
        let top = try #require((0..<44).first { y in (0..<28).allSatisfy { detail[1 + $0, y].text == "▀" } && detail[29, y].text != "▀" })
        for r in 0..<14 {
            for c in 0..<28 {
                let base = row * Self.context.featureWidth + 1
                let expected = CellGreys(top: ImageArt.grey(Self.context.features[base + 2 * r * 28 + c]),
                                         bottom: ImageArt.grey(Self.context.features[base + (2 * r + 1) * 28 + c]))
                #expect(detail[1 + c, top + r].style.greys == expected, "detail cell \(c), \(r)")
            }
        }
    }
}
