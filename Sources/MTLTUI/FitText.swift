import MTLData

/// One line of text within a width without a value cut in half: whole fields yield, or the
/// hints in parentheses go first. Whatever is still too wide, `Grid.put` ends with `…`.
enum FitText {
    /// The fields joined by `separator` within `width` columns: while too wide, the field of
    /// lowest rank (the later of equals) is left out; the others keep their order.
    static func fields(_ fields: [(text: String, rank: Int)], width: Int, separator: String = " · ") -> String {
        var kept = fields.filter { !$0.text.isEmpty }
        func joined() -> String { kept.map(\.text).joined(separator: separator) }
        while TextWidth.of(joined()) > width, !kept.isEmpty {
            let lowest = kept.map(\.rank).min()!
            kept.remove(at: kept.lastIndex { $0.rank == lowest }!)
        }
        return joined()
    }

    /// Items on as few lines of at most `width` columns as they fit, `separator` between items
    /// on a line, never an item split; continuation lines start with `indent`. An item too wide
    /// for a line alone takes one (`Grid.put` then cuts it with `…`).
    static func packed(_ items: [String], width: Int, separator: String, indent: String = "") -> [String] {
        var lines: [String] = []
        for item in items {
            if let last = lines.last, TextWidth.of(last + separator + item) <= width {
                lines[lines.count - 1] = last + separator + item
            } else {
                lines.append(lines.isEmpty ? item : indent + item)
            }
        }
        return lines
    }

    /// `text` within `width` columns by leaving out its parenthesised hints, the last first
    /// (the key bar and Help list the same keys), so the values around them stay whole.
    static func withoutHints(_ text: String, width: Int) -> String {
        var text = text
        while TextWidth.of(text) > width, let open = text.range(of: " (", options: .backwards),
              let close = text[open.upperBound...].firstIndex(of: ")") {
            text.removeSubrange(open.lowerBound...close)
        }
        return text
    }
}
