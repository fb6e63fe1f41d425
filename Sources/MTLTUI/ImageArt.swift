import MTLData

/// Grey levels of a half-block cell: `▀` in the upper pixel's grey over the lower pixel's.
public struct CellGreys: Hashable, Sendable {
    public var top: UInt8
    public var bottom: UInt8

    public init(top: UInt8, bottom: UInt8) {
        self.top = top
        self.bottom = bottom
    }
}

/// Images drawn so a person can tell a shirt from a coat: with colour, each cell shows two
/// pixels as a half block (`▀`, the upper pixel the foreground grey, the lower the background;
/// the terminal maps greys to its 256-colour grey ramp, or the nearest ANSI greys), so a 28×28
/// image takes 28×14 cells at full resolution. Without colour a cell shows the mean of its two
/// pixels as a shade (` ░▒▓█`), without Unicode as an ASCII ramp.
enum ImageArt {
    enum Mode: Equatable { case halfBlocks, shades, ascii }

    static let shades = Array(" ░▒▓█"), ramp = Array(" .:-=+*#%@")

    static func mode(unicode: Bool, greys: Bool) -> Mode { !unicode ? .ascii : greys ? .halfBlocks : .shades }

    /// The pixels shown for an image of `width` × `height` in at most `columns` × `rows` cells:
    /// full resolution when it fits, else scaled down (never up) keeping the aspect ratio.
    static func fit(width: Int, height: Int, columns: Int, rows: Int) -> (width: Int, height: Int) {
        guard width > 0, height > 0, columns > 0, rows > 0 else { return (0, 0) }
        let scale = min(1, Double(columns) / Double(width), Double(2 * rows) / Double(height))
        return (max(1, Int(Double(width) * scale)), max(1, Int(Double(height) * scale)))
    }

    /// Draws `pixel(x, y)` (in [0, 1], for x < width, y < height) at (x, y) within `columns` ×
    /// `rows` cells, box-averaged to `fit`'s size. Returns the cells used.
    @discardableResult
    static func draw(_ grid: inout Grid, width: Int, height: Int, pixel: (Int, Int) -> Float, x: Int, y: Int,
                     columns: Int, rows: Int, mode: Mode) -> (columns: Int, rows: Int) {
        let shown = fit(width: width, height: height, columns: columns, rows: rows)
        guard shown.width > 0 else { return (0, 0) }
        /// The mean of the source pixels under shown pixel (sx, sy); 0 below the image.
        func value(_ sx: Int, _ sy: Int) -> Float {
            guard sy < shown.height else { return 0 }
            let x0 = sx * width / shown.width, x1 = max(x0 + 1, (sx + 1) * width / shown.width)
            let y0 = sy * height / shown.height, y1 = max(y0 + 1, (sy + 1) * height / shown.height)
            var sum: Float = 0
            for py in y0..<y1 { for px in x0..<x1 { sum += pixel(px, py) } }
            return min(max(sum / Float((x1 - x0) * (y1 - y0)), 0), 1)
        }
        let cellRows = (shown.height + 1) / 2
        for r in 0..<cellRows {
            for c in 0..<shown.width {
                let top = value(c, 2 * r), bottom = value(c, 2 * r + 1)
                let cell: Cell
                switch mode {
                case .halfBlocks:
                    var style = Style.plain
                    style.greys = CellGreys(top: grey(top), bottom: grey(bottom))
                    cell = Cell(text: "▀", style: style)
                case .shades, .ascii:
                    let levels = mode == .shades ? shades : ramp
                    let mean = (top + bottom) / 2
                    cell = Cell(text: String(levels[min(levels.count - 1, Int(mean * Float(levels.count - 1) + 0.5))]), style: .plain)
                }
                if x + c < grid.width, y + r < grid.height { grid[x + c, y + r] = cell }
            }
        }
        return (shown.width, cellRows)
    }

    static func grey(_ v: Float) -> UInt8 { UInt8(min(max(v, 0), 1) * 255 + 0.5) }

    /// Draws row `row`'s image from the context's features.
    @discardableResult
    static func draw(_ grid: inout Grid, _ context: WorkbenchContext, row: Int, image: WorkbenchContext.ImageLayout,
                     x: Int, y: Int, columns: Int, rows: Int, mode: Mode) -> (columns: Int, rows: Int) {
        let base = row * context.featureWidth + image.offset
        return draw(&grid, width: image.width, height: image.height, pixel: { context.features[base + $1 * image.width + $0] },
                    x: x, y: y, columns: columns, rows: rows, mode: mode)
    }
}
