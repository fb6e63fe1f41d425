import MTLData

/// What a cell looks like: a colour role from the theme for text and background, and emphasis.
public struct Style: Hashable, Sendable {
    public var foreground: Role
    public var background: Role
    public var bold = false
    public var dim = false
    public var reverse = false
    /// A half-block image cell's two grey levels, drawn instead of the roles' colours.
    public var greys: CellGreys?

    public init(_ foreground: Role = .text, background: Role = .background, bold: Bool = false, dim: Bool = false, reverse: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.dim = dim
        self.reverse = reverse
    }

    public static let plain = Style()
}

/// One terminal cell: one grapheme cluster (a `Character`, however many scalars it has). A
/// wide character occupies its cell and the next, the continuation, which holds `""`.
public struct Cell: Hashable, Sendable {
    public var text: String
    public var style: Style

    public static let blank = Cell(text: " ", style: .plain)
}

/// A screen's worth of styled cells: what `render` produces and what tests read.
///
/// ```swift
/// var grid = Grid(width: 80, height: 24)
/// grid.put("PAUSED", x: 0, y: 0, style: Style(.warning, bold: true))
/// grid.row(0)   // "PAUSED      …"
/// ```
public struct Grid: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    /// For a terminal without Unicode (`--ascii`, a non-UTF-8 locale): every cell written holds
    /// ASCII, each other character its `ASCIIStandIn`, so what `text` prints is ASCII too.
    public var asciiOnly = false

    public init(width: Int, height: Int) {
        self.width = max(width, 0)
        self.height = max(height, 0)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    /// A cell. Setting one never leaves half a wide character: overwriting either half of one
    /// blanks the other half (a new wide character is followed by its continuation by `put`).
    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            var cell = newValue
            if asciiOnly { cell.text = ASCIIStandIn.cell(cell.text) }
            let i = y * width + x
            if cells[i].text.isEmpty, !cell.text.isEmpty, x > 0 {
                cells[i - 1].text = " "   // was the left half of a wide character
            }
            if x + 1 < width, cells[i + 1].text.isEmpty, !cells[i].text.isEmpty, TextWidth.of(cell.text) < 2 {
                cells[i + 1].text = " "   // was the right half of the wide character replaced here
            }
            cells[i] = cell
        }
    }

    /// Writes `text` from (x, y), at most `limit` columns (to the right edge by default), cutting
    /// with `…` when it does not fit. Returns the columns used.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain, limit: Int? = nil) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let available = min(limit ?? (width - x), width - max(x, 0))
        guard available > 0 else { return 0 }
        let text = asciiOnly ? ASCIIStandIn.text(TerminalText.neutralized(text)) : TerminalText.neutralized(text)
        let total = TextWidth.of(text)
        var column = x
        var used = 0
        for character in text {
            let w = TextWidth.of(character)
            if w == 0 {
                // A lone combining mark or format character: joined to nothing, so shown as
                // nothing (controls are visible: `neutralized` made them U+FFFD).
                continue
            }
            let reserve = total > available ? 1 : 0   // room for the ellipsis
            if used + w > available - reserve {
                if reserve == 1, used < available { self[column, y] = Cell(text: "…", style: style); used += 1 }
                break
            }
            if column >= 0 {
                self[column, y] = Cell(text: String(character), style: style)
                if w == 2 { self[column + 1, y] = Cell(text: "", style: style) }
            }
            column += w
            used += w
        }
        return used
    }

    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, style: Style = .plain) {
        for row in max(y, 0)..<min(y + h, height) {
            for column in max(x, 0)..<min(x + w, width) { self[column, row] = Cell(text: " ", style: style) }
        }
    }

    /// The text of row `y` (wide characters once), for tests and `--dump-screen`.
    public func row(_ y: Int) -> String {
        (0..<width).map { self[$0, y].text }.joined()
    }

    public var text: String { (0..<height).map { row($0) }.joined(separator: "\n") }
}

extension Grid {
    /// A frame around (x, y, width, height), its inside cleared; `title` sits in the top edge.
    /// Box-drawing characters, or `+ - |` without Unicode.
    public mutating func box(x: Int, y: Int, width: Int, height: Int, title: String = "", style: Style = Style(.border), unicode: Bool) {
        guard width >= 2, height >= 2 else { return }
        let (h, v, corners) = unicode ? ("─", "│", ["┌", "┐", "└", "┘"]) : ("-", "|", ["+", "+", "+", "+"])
        fill(x: x, y: y, width: width, height: height)
        for column in x + 1..<x + width - 1 {
            put(h, x: column, y: y, style: style)
            put(h, x: column, y: y + height - 1, style: style)
        }
        for row in y + 1..<y + height - 1 {
            put(v, x: x, y: row, style: style)
            put(v, x: x + width - 1, y: row, style: style)
        }
        put(corners[0], x: x, y: y, style: style)
        put(corners[1], x: x + width - 1, y: y, style: style)
        put(corners[2], x: x, y: y + height - 1, style: style)
        put(corners[3], x: x + width - 1, y: y + height - 1, style: style)
        if !title.isEmpty { put(" \(title) ", x: x + 2, y: y, style: Style(.title, bold: true), limit: width - 4) }
    }
}

/// Glyphs whose ASCII form a screen chooses itself, where the layout has room for it (`->`).
enum Glyph {
    static func cursor(_ unicode: Bool) -> String { unicode ? "▶" : ">" }
    static func pin(_ unicode: Bool) -> String { unicode ? "●" : "*" }
    static func current(_ unicode: Bool) -> String { unicode ? "●" : "*" }
    static func marker(_ unicode: Bool) -> String { unicode ? "▲" : "^" }
    static func arrow(_ unicode: Bool) -> String { unicode ? "→" : "->" }
    static func dot(_ unicode: Bool) -> String { unicode ? "·" : "." }
}

/// The ASCII stand-in of each character the screens draw, one column for one, for terminals
/// without Unicode (`--ascii`, non-UTF-8 locales); any other character (a word of the data in
/// another script, an emoji) becomes `?`, `??` when wide, so columns stay aligned.
enum ASCIIStandIn {
    static let table: [Character: Character] = [
        "·": "-", "…": "~", "—": "-", "–": "-", "−": "-", "×": "x", "÷": "/", "≥": ">", "≤": "<", "∞": "~",
        "±": "+", "Δ": "d", "α": "a", "γ": "g", "²": "2", "é": "e", "→": ">", "←": "<", "↑": "^", "↓": "v",
        "▶": ">", "●": "*", "◆": "X", "▲": "^", "✗": "x", "┊": ":", "━": "=",
        "─": "-", "│": "|", "┌": "+", "┐": "+", "└": "+", "┘": "+", "┴": "+", "▏": "|",
        "█": "#", "▇": "#", "▆": "=", "▅": "=", "▄": "-", "▃": "-", "▂": "_", "▁": "_", "▀": "\"",
        "░": ".", "▒": ":", "▓": "*", "╱": "/",
    ]

    /// One cell's grapheme cluster as ASCII (one column; the continuation of a wide one stays empty).
    static func cell(_ cluster: String) -> String {
        if cluster.utf8.allSatisfy({ $0 < 0x80 }) { return cluster }
        guard let character = cluster.first else { return cluster }
        if let standIn = table[character] { return String(standIn) }
        if let scalar = cluster.unicodeScalars.first, (0x2800...0x28FF).contains(scalar.value) {
            return scalar.value == 0x2800 ? " " : "."   // a braille chart cell: blank or dotted
        }
        return "?"
    }

    /// Text as ASCII, column for column: a wide character becomes `??`, one of no width nothing.
    static func text(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text }
        var out = ""
        for character in text {
            if character.isASCII { out.append(character); continue }
            let width = TextWidth.of(character)
            out += width == 2 ? "??" : width == 0 ? "" : cell(String(character))
        }
        return out
    }
}
