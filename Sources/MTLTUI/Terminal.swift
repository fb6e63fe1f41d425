import CNCursesW
import Foundation
import MTLData

/// The only code that calls ncurses: starts and ends the screen, draws a `Grid`, reads keys.
/// Must be used from the main thread only (ncurses is not thread-safe).
final class Terminal {
    enum ColorMode: Equatable { case none, palette(Int) }

    private let screen: OpaquePointer
    private let window: UnsafeMutablePointer<WINDOW>
    let colorMode: ColorMode
    let unicode: Bool
    private var pairs: [Int: Int16] = [:]
    private var drawn: Grid?
    private var drawnTheme: Theme?
    private var ended = false

    /// Opens the screen on the controlling terminal; a TERM ncurses does not know is an error
    /// (plain `initscr` would exit the process).
    init(forceASCII: Bool, noColor: Bool) throws {
        // Before newterm saves the modes that endwin restores: the user's, not the held ones.
        TypeAhead.release()
        mtl_unblock_resize_signal()
        setlocale(LC_ALL, "")
        let codeset = String(cString: mtl_codeset())
        unicode = !forceASCII && codeset.uppercased().replacingOccurrences(of: "-", with: "") == "UTF8"
        guard let screen = newterm(nil, mtl_stdout(), mtl_stdin()) else {
            throw WorkbenchError(message: "cannot open the terminal: TERM=\(ProcessInfo.processInfo.environment["TERM"] ?? "(unset)") is unknown to ncurses (try TERM=xterm-256color)")
        }
        self.screen = screen
        set_term(screen)
        guard mtl_can_address_cursor() != 0 else {
            endwin()
            delscreen(screen)
            throw WorkbenchError(message: "cannot draw on TERM=\(ProcessInfo.processInfo.environment["TERM"] ?? "(unset)"): it cannot position the cursor (use 'mtl-tui train' for headless runs)")
        }
        window = mtl_stdscr()
        cbreak()
        noecho()
        keypad(window, true)
        curs_set(0)
        set_escdelay(25)
        if !noColor, has_colors() {
            start_color()
            use_default_colors()
            colorMode = mtl_colors() >= 8 ? .palette(Int(mtl_colors())) : .none
        } else {
            colorMode = .none
        }
    }

    var size: (width: Int, height: Int) { (Int(getmaxx(window)), Int(getmaxy(window))) }

    func end() {
        guard !ended else { return }
        ended = true
        let clear = Self.clearsOnExit(alternateScreen: mtl_string_capability("smcup").map { String(cString: $0) })
        endwin()
        // Without an alternate screen (the Linux console, vt100) the last frame would stay under
        // the shell's prompt: clear it and home the cursor (endwin leaves it on the last line).
        if clear, let sequence = mtl_string_capability("clear") {
            putp(sequence)
            fflush(mtl_stdout())
        }
        delscreen(screen)
    }

    /// Whether leaving must clear the screen itself: when the terminal has no alternate screen
    /// to switch back from (no `smcup`, or an empty one).
    static func clearsOnExit(alternateScreen: String?) -> Bool {
        alternateScreen?.isEmpty ?? true
    }

    /// Draws the rows that differ from the last frame, in runs of equally styled cells.
    func draw(_ grid: Grid, theme: Theme) {
        let resized = drawn?.width != grid.width || drawn?.height != grid.height
        let full = resized || drawnTheme != theme
        // After a resize the terminal may have reflowed the old frame, so ncurses' idea of what
        // is on screen is wrong: wclear makes the next refresh repaint every cell.
        if full, drawnTheme != theme {
            setBackground(theme)
            drawnTheme = theme
        }
        if resized { wclear(window) } else if full { werase(window) }
        for y in 0..<grid.height {
            if !full, let drawn, (0..<grid.width).allSatisfy({ drawn[$0, y] == grid[$0, y] }) { continue }
            // A changed row is rewritten whole, from a cleared line: nothing of an earlier frame
            // (the half of a wide character, the last cell) can survive at its right end.
            wmove(window, Int32(y), 0)
            wclrtoeol(window)
            var x = 0
            while x < grid.width {
                let style = grid[x, y].style
                var run = ""
                let start = x
                while x < grid.width, grid[x, y].style == style {
                    let text = grid[x, y].text
                    if !text.isEmpty { run += unicode ? Self.drawable(text, scalarWidth: Self.scalarWidth) : Self.ascii(text) }
                    x += 1
                }
                apply(style, theme: theme)
                // The last cell of the screen is left alone: writing it would scroll some terminals.
                if y == grid.height - 1, x == grid.width, !run.isEmpty { run.removeLast() }
                mvwaddstr(window, Int32(y), Int32(start), run)
            }
        }
        drawn = grid
        wnoutrefresh(window)
        doupdate()
    }

    /// What ncurses gets for a cell's grapheme cluster. ncurses (and most terminals) measure
    /// scalar by scalar with `wcwidth`, the grid by cluster: where the two disagree (ZWJ
    /// sequences such as 👨‍👩‍👧‍👦, skin tones, emoji with VS16) the cluster would shift the rest of
    /// the row, so its first scalar stands in, padded with spaces to the grid's width.
    static func drawable(_ cluster: String, scalarWidth: (Unicode.Scalar) -> Int) -> String {
        if cluster.utf8.count == 1 { return cluster }
        let columns = TextWidth.of(cluster)
        let widths = cluster.unicodeScalars.map(scalarWidth)
        if !widths.contains(where: { $0 < 0 }), widths.reduce(0, +) == columns { return cluster }
        guard let first = cluster.unicodeScalars.first, let w = widths.first, w >= 1, w <= columns else {
            return String(TerminalText.standIn) + String(repeating: " ", count: max(columns - 1, 0))
        }
        return String(first) + String(repeating: " ", count: columns - w)
    }

    /// The C library's width of a scalar, as ncurses sees it (in the locale set at start).
    static func scalarWidth(_ scalar: Unicode.Scalar) -> Int { Int(mtl_width(wchar_t(scalar.value))) }

    /// A cell for a terminal without UTF-8: its `ASCIIStandIn` (`??` for a wide character, so
    /// columns stay aligned). A grid rendered for such a terminal (`asciiOnly`) is ASCII already.
    static func ascii(_ text: String) -> String {
        TextWidth.of(text) == 2 ? "??" : ASCIIStandIn.cell(text)
    }

    /// A key, or nil after `milliseconds` without one.
    func readKey(milliseconds: Int32) -> Key? {
        wtimeout(window, milliseconds)
        var character: wint_t = 0
        let result = wget_wch(window, &character)
        if result == ERR { return nil }
        if result == KEY_CODE_YES {
            switch Int32(character) {
            case KEY_UP: return .up
            case KEY_DOWN: return .down
            case KEY_LEFT: return .left
            case KEY_RIGHT: return .right
            case KEY_ENTER: return .enter
            case KEY_BACKSPACE: return .backspace
            case KEY_RESIZE: return .resize
            case mtl_key_backtab(): return .backTab
            default: return nil
            }
        }
        switch character {
        case 10, 13: return .enter
        case 27: return .escape
        case 9: return .tab
        case 8, 127: return .backspace
        default:
            guard let scalar = Unicode.Scalar(UInt32(character)) else { return nil }
            return .character(Character(scalar))
        }
    }

    private func apply(_ style: Style, theme: Theme) {
        var attributes = mtl_normal()
        if style.bold { attributes |= mtl_bold() }
        if style.dim { attributes |= mtl_dim() }
        if style.reverse { attributes |= mtl_reverse() }
        switch colorMode {
        case .none:
            // Monochrome: roles become emphasis, so selections and states stay visible.
            if style.background == .selectedBackground || style.background == .title { attributes |= mtl_reverse() }
            if [.muted, .chartRaw, .border].contains(style.foreground) { attributes |= mtl_dim() }
            if [.bad, .warning, .title, .highlight].contains(style.foreground) { attributes |= mtl_bold() }
            wattr_set(window, attributes, 0, nil)
        case .palette(let colors):
            let (fg, bg) = Palette.colors(style, theme: theme, colors: colors)
            if Palette.dims(style, theme: theme, colors: colors) { attributes |= mtl_dim() }
            wattr_set(window, attributes, pair(fg, bg), nil)
        }
    }

    /// What cleared cells show (`werase`, `wclrtoeol`, the last cell no frame writes): the
    /// theme's background, or the terminal's own (pair 0) without one or without colours.
    private func setBackground(_ theme: Theme) {
        guard case .palette(let colors) = colorMode, theme.background != nil else { return mtl_set_background(window, 0) }
        let (fg, bg) = Palette.colors(Style(), theme: theme, colors: colors)
        mtl_set_background(window, pair(fg, bg))
    }

    private func pair(_ fg: Int, _ bg: Int) -> Int16 {
        let key = (fg + 1) * 1024 + (bg + 1)
        if let known = pairs[key] { return known }
        let number = Int16(pairs.count + 1)
        guard Int32(number) < mtl_color_pairs() else { return 0 }
        init_pair(number, Int16(fg), Int16(bg))
        pairs[key] = number
        return number
    }
}

/// Maps theme colours to what the terminal has: the xterm 256-colour cube and greys, or the
/// nearest of the 16 or 8 ANSI colours.
enum Palette {
    static let ansi: [RGB] = [
        RGB(0, 0, 0), RGB(205, 0, 0), RGB(0, 205, 0), RGB(205, 205, 0), RGB(0, 0, 238), RGB(205, 0, 205), RGB(0, 205, 205), RGB(229, 229, 229),
        RGB(127, 127, 127), RGB(255, 0, 0), RGB(0, 255, 0), RGB(255, 255, 0), RGB(92, 92, 255), RGB(255, 0, 255), RGB(0, 255, 255), RGB(255, 255, 255),
    ]

    /// A style's foreground and background palette indices (-1: the terminal's default). The
    /// theme's background fills the plain cells; a foreground the terminal would show in the
    /// background's colour (a white title on a light theme) falls back to the theme's text
    /// colour, so no text disappears. Among 8 or 16 colours a foreground never takes the
    /// background's: the next nearest stands in (a grey the next nearest grey).
    static func colors(_ style: Style, theme: Theme, colors: Int) -> (fg: Int, bg: Int) {
        if let greys = style.greys {
            return (index(RGB(greys.top, greys.top, greys.top), colors: colors),
                    index(RGB(greys.bottom, greys.bottom, greys.bottom), colors: colors))
        }
        let background = style.background == .background ? theme.background : theme.color(style.background)
        let bg = background.map { index($0, colors: colors) } ?? -1
        let under = beneath(bg: bg, colors: colors)
        let fg = index(theme.color(style.foreground), colors: colors, avoiding: under)
        return (fg == bg ? index(theme.color(.text), colors: colors, avoiding: under) : fg, bg)
    }

    /// The ANSI colour text lies on among 8 or 16: the background's, else the terminal's own,
    /// which a theme without `main_bg` (the default, for dark terminals) takes to be black.
    static func beneath(bg: Int, colors: Int) -> Int? { colors >= 256 ? nil : bg >= 0 ? bg : 0 }

    /// Whether a style's foreground is drawn dim: among 8 or 16 colours, a dark grey (the muted
    /// text, the raw curve, the axes) whose nearest colour is the background's takes the next
    /// nearest, often the text's own grey, and dim keeps it below the text.
    static func dims(_ style: Style, theme: Theme, colors: Int) -> Bool {
        guard style.greys == nil else { return false }
        let background = style.background == .background ? theme.background : theme.color(style.background)
        let bg = background.map { index($0, colors: colors) } ?? -1
        guard let under = beneath(bg: bg, colors: colors) else { return false }
        return index(theme.color(style.foreground), colors: colors) == under
    }

    /// The palette index nearest `c`, never `avoiding` among 8 or 16 colours; a grey (equal
    /// channels, near enough) takes the nearest grey of those left, not a colour.
    static func index(_ c: RGB, colors: Int, avoiding: Int? = nil) -> Int {
        if colors >= 256 {
            func level(_ v: UInt8) -> Int { v < 48 ? 0 : v < 115 ? 1 : (Int(v) - 35) / 40 }
            let cube = 16 + 36 * level(c.r) + 6 * level(c.g) + level(c.b)
            let average = (Int(c.r) + Int(c.g) + Int(c.b)) / 3
            let grey = average > 238 ? 255 : 232 + max(0, (average - 3) / 10)
            return distance(c, color256(grey)) < distance(c, color256(cube)) ? grey : cube
        }
        let choices = (0..<(colors >= 16 ? 16 : 8)).filter { $0 != avoiding }
        let channels = [Int(c.r), Int(c.g), Int(c.b)]
        let greys = choices.filter { [0, 7, 8, 15].contains($0) }
        let candidates = channels.max()! - channels.min()! <= 24 && !greys.isEmpty ? greys : choices
        return candidates.min { distance(c, ansi[$0]) < distance(c, ansi[$1]) }!
    }

    static func color256(_ i: Int) -> RGB {
        if i < 16 { return ansi[i] }
        if i >= 232 { let v = UInt8(8 + (i - 232) * 10); return RGB(v, v, v) }
        let n = i - 16, steps: [UInt8] = [0, 95, 135, 175, 215, 255]
        return RGB(steps[n / 36], steps[n / 6 % 6], steps[n % 6])
    }

    static func distance(_ a: RGB, _ b: RGB) -> Int {
        let dr = Int(a.r) - Int(b.r), dg = Int(a.g) - Int(b.g), db = Int(a.b) - Int(b.b)
        return 2 * dr * dr + 4 * dg * dg + 3 * db * db
    }
}

public struct WorkbenchError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
