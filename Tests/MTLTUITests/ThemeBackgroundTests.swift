import Foundation
import Testing
@testable import MTLTUI

/// A theme's `main_bg` is the screen's background; the default theme keeps the terminal's own.
@Suite struct ThemeBackgroundTests {
    static let themes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("themes").path

    @Test func theLightThemePaintsItsBackgroundAtEveryColourDepth() throws {
        let light = try Theme.load("light", from: Self.themes)
        #expect(light.background == RGB(0xfa, 0xfa, 0xfa))
        // Plain cells: the theme's text on its background, the nearest the terminal has.
        for (colors, background) in [(256, 231), (16, 15), (8, 7)] {
            let plain = Palette.colors(.plain, theme: light, colors: colors)
            #expect(plain.bg == background, "\(colors) colours")
            #expect(plain.fg != plain.bg && plain.fg == Palette.index(light.color(.text), colors: colors), "\(colors) colours")
            // A white heading would vanish on it: it takes the text colour instead.
            let title = Palette.colors(Style(.title, bold: true), theme: light, colors: colors)
            #expect(title.fg != title.bg, "\(colors) colours")
            // Explicit backgrounds (the title bar, selections) keep theirs.
            #expect(Palette.colors(Style(.title, background: .selectedBackground), theme: light, colors: colors).bg
                    == Palette.index(light.color(.selectedBackground), colors: colors))
        }
    }

    @Test func theDefaultThemeKeepsTheTerminalsBackground() throws {
        for theme in [Theme.builtIn, try Theme.load("default", from: Self.themes)] {
            #expect(theme.background == nil, "\(theme.name)")
            #expect(Palette.colors(.plain, theme: theme, colors: 256).bg == -1, "\(theme.name)")
        }
        #expect(try Theme.load("high-contrast", from: Self.themes).background == RGB(0, 0, 0))
        // btop's convention: an empty main_bg is the terminal's own; other keys need a colour.
        let parsed = try Theme.parse("theme[main_bg]=\"\"\n", name: "x", file: "x.theme")
        #expect(parsed.background == nil && parsed.color(.text) == Theme.builtIn.color(.text))
        #expect(throws: ThemeError.self) { try Theme.parse("theme[main_fg]=\"\"\n", name: "x", file: "x.theme") }
    }
}
