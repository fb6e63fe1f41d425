/// Text from data (labels, column names, cells, file names) made safe to show on a terminal,
/// and its width in terminal columns. Everything that writes data to a terminal, the workbench's
/// grid as well as the headless tables and messages, goes through here.
///
/// ```swift
/// TerminalText.neutralized("a\u{1B}]0;pwned\u{7}b")   // "a�]0;pwned�b"
/// TextWidth.of("日本")                                 // 4
/// ```
public enum TerminalText {
    /// What a control character becomes. U+FFFD rather than caret notation (`^[`): it is one
    /// column wide whatever it replaces, so tables and the grid stay aligned, and it cannot be
    /// mistaken for data, as a literal `^[` in a label could. Terminals without UTF-8 show it as `?`.
    public static let standIn: Unicode.Scalar = "\u{FFFD}"

    /// Whether a scalar must never reach a terminal from data: C0 controls (escape, bell,
    /// carriage return, backspace…), DEL, C1 controls (U+0085, and U+009B, which some terminals
    /// take as CSI), and the bidirectional overrides and isolates, which can make a label read
    /// as something else.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// `text` with every unsafe scalar replaced by `standIn`; line feeds are kept when
    /// `keepingLineBreaks` (messages of several lines), and replaced otherwise (table cells).
    public static func neutralized(_ text: String, keepingLineBreaks: Bool = false) -> String {
        // Fast path over the bytes (every redraw passes here): an unsafe scalar is a byte below
        // 0x20 or 0x7F, or starts with 0xC2 (C1) or 0xE2 (the bidi controls).
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 || $0 == 0xE2 }),
              text.unicodeScalars.contains(where: { isUnsafe($0) && !(keepingLineBreaks && $0 == "\n") }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            out.append(isUnsafe(scalar) && !(keepingLineBreaks && scalar == "\n") ? standIn : scalar)
        }
        return String(out)
    }

    /// JSON text with the unsafe scalars the JSON writer leaves raw (DEL, C1 controls, bidi
    /// overrides) written as `\uXXXX` escapes: the data stays exact for a program and inert on
    /// a terminal. Only valid for JSON text, where such scalars can only occur inside strings.
    public static func escapingJSON(_ json: String) -> String {
        guard json.unicodeScalars.contains(where: isUnsafe) else { return json }
        var out = ""
        for scalar in json.unicodeScalars {
            if isUnsafe(scalar) {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// Columns a grapheme cluster (a Swift `Character`) takes in a terminal: 0 for lone combining
/// marks, format characters and controls; 2 for East Asian wide and fullwidth characters and
/// emoji (including sequences: ZWJ families, flags, skin tones, anything with VS16); 1 otherwise,
/// plus one per spacing mark after the first scalar (Indic vowel signs). Computed here rather
/// than with the C library's `wcwidth`, which measures scalars, not clusters, depends on the
/// locale and says -1 in the "C" locale.
public enum TextWidth {
    // Inlinable: the grid measures every character of every frame, from another module.
    @inlinable public static func of(_ text: String) -> Int { text.reduce(0) { $0 + of($1) } }

    @inlinable public static func of(_ character: Character) -> Int {
        let scalars = character.unicodeScalars
        guard let first = scalars.first else { return 0 }
        let v = first.value
        if v < 0x20 || (0x7F..<0xA0).contains(v) { return 0 }
        if v < 0x300 {
            // Latin, alone or with combining marks: 1, unless VS16 asks for an emoji (keycaps, ©️).
            return character.utf8.count <= 2 || !scalars.contains(where: { $0.value == 0xFE0F }) ? 1 : 2
        }
        let properties = first.properties
        switch properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if properties.isEmojiPresentation || scalars.contains(where: { $0.value == 0xFE0F }) { return 2 }
        if isWide(v) { return 2 }
        var width = 1
        for scalar in scalars.dropFirst() where scalar.properties.generalCategory == .spacingMark { width += 1 }
        return width
    }

    @usableFromInline static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
             0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
             0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            return true
        default:
            return false
        }
    }
}

extension String {
    /// Cut into lines of at most `width` terminal columns (at most `limit` of them), newlines
    /// as spaces and controls neutralised. Lines break after a space where the line has one, so
    /// words stay whole; a word longer than the width is cut, and a character wider than
    /// `width` still takes a line.
    public func wrapped(width: Int, limit: Int = .max) -> [String] {
        var rest = Substring(TerminalText.neutralized(String(map { $0.isNewline ? " " : $0 })))
        var lines: [String] = []
        while !rest.isEmpty, lines.count < limit {
            var take = 0, columns = 0
            for c in rest { let w = TextWidth.of(c); if columns + w > width { break }; columns += w; take += 1 }
            take = max(take, 1)
            let next = rest.dropFirst(take).first
            let cutsAWord = next != nil && next != " "
            if cutsAWord, let space = rest.prefix(take).lastIndex(of: " "), space > rest.startIndex {
                take = rest.distance(from: rest.startIndex, to: space) + 1
            }
            var line = rest.prefix(take)
            while line.count > 1, line.last == " " { line = line.dropLast() }
            lines.append(String(line))
            rest = rest.dropFirst(take).drop { $0 == " " }
        }
        return lines
    }

    /// Padded with spaces to exactly `width` terminal columns, or, when wider, cut and ended
    /// with `…` (as `Grid.put` cuts), so a cut column never reads as a whole value. A wide
    /// character that would straddle the end is left out and its place padded.
    public func padded(_ width: Int) -> String {
        let room = TextWidth.of(self) > width ? width - 1 : width   // a column for the ellipsis
        var out = "", columns = 0
        for c in self {
            let w = TextWidth.of(c)
            if columns + w > room { break }
            out.append(c)
            columns += w
        }
        if room < width, width > 0 { out += "…"; columns += 1 }
        return out + String(repeating: " ", count: max(0, width - columns))
    }
}
