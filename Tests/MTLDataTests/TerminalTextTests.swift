import Foundation
import MTLData
import Testing

@Suite struct TerminalTextTests {
    @Test func controlsFromDataBecomeAVisibleStandIn() {
        #expect(TerminalText.neutralized("a\u{1B}]0;pwned\u{7}b") == "a\u{FFFD}]0;pwned\u{FFFD}b")
        #expect(TerminalText.neutralized("\u{1B}[2J") == "\u{FFFD}[2J")
        // DEL, C1 (NEL and the one-byte CSI), carriage return, tab, line feed.
        #expect(TerminalText.neutralized("x\u{7F}\u{85}\u{9B}31m\r\t\ny") == "x\u{FFFD}\u{FFFD}\u{FFFD}31m\u{FFFD}\u{FFFD}\u{FFFD}y")
        // Bidi overrides and isolates cannot reorder what follows them.
        #expect(TerminalText.neutralized("a\u{202E}cod.exe\u{2066}b\u{2069}") == "a\u{FFFD}cod.exe\u{FFFD}b\u{FFFD}")
        // Messages of several lines keep their line breaks, nothing else.
        #expect(TerminalText.neutralized("one\ntwo\u{1B}", keepingLineBreaks: true) == "one\ntwo\u{FFFD}")
    }

    @Test func wrappingKeepsWordsWhole() {
        #expect("step 12  the wide fit chose C=316.2278 for polarity".wrapped(width: 20)
                == ["step 12  the wide", "fit chose C=316.2278", "for polarity"])
        // A word longer than the line is cut; wide characters count two columns.
        #expect("abcdefghij kl".wrapped(width: 4) == ["abcd", "efgh", "ij", "kl"])
        #expect("日本語 テキスト".wrapped(width: 6) == ["日本語", "テキス", "ト"])
        #expect("one two three".wrapped(width: 7, limit: 2) == ["one two", "three"])
        #expect("a\nb".wrapped(width: 10) == ["a b"])
        #expect("".wrapped(width: 5).isEmpty)
    }

    @Test func ordinaryTextIsUntouched() {
        for text in ["plain", "café", "cafe\u{301}", "日本語", "👨‍👩‍👧‍👦", "🇫🇷", "👍🏽", "עברית", "a\u{200D}b", ""] {
            #expect(TerminalText.neutralized(text) == text)
        }
    }

    @Test func jsonKeepsTheDataButNoRawControl() throws {
        let value = "x\u{7F}\u{9B}2J\u{202E}y\u{1B}"
        let data = try JSONSerialization.data(withJSONObject: ["label": value])
        let json = TerminalText.escapingJSON(String(decoding: data, as: UTF8.self))
        #expect(!json.unicodeScalars.contains(where: TerminalText.isUnsafe))
        #expect(json.contains("\\u007F") && json.contains("\\u009B") && json.contains("\\u202E"))
        let back = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String]
        #expect(back?["label"] == value)
    }

    @Test func widthsPerGraphemeCluster() {
        #expect(TextWidth.of("👨‍👩‍👧‍👦" as Character) == 2)   // ZWJ family: one emoji
        #expect(TextWidth.of("🇫🇷" as Character) == 2)        // flag: two regional indicators
        #expect(TextWidth.of("e\u{301}" as Character) == 1)   // combining acute
        #expect(TextWidth.of("1\u{FE0F}\u{20E3}" as Character) == 2)   // keycap, emoji presentation
        #expect(TextWidth.of("\u{915}\u{93F}" as Character) == 2)       // Devanagari ki: a spacing vowel sign
        #expect(TextWidth.of("日本") == 4)
        #expect("👨‍👩‍👧‍👦x".padded(4) == "👨‍👩‍👧‍👦x ")
        #expect("日本語".padded(6) == "日本語")
        #expect("日本語".padded(5) == "日本…")             // cut: ends in an ellipsis
        #expect("ab日本".padded(4) == "ab… ")             // a wide character never straddles the end
        #expect("exclaim|long|question".padded(15) == "exclaim|long|q…")
        #expect("abc".padded(1) == "…" && "abc".padded(0) == "")
    }
}
