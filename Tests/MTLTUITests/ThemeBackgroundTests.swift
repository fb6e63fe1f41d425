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

    /// Among 8 or 16 colours the nearest ANSI colour of a dark grey is black: the default
    /// theme's axes and raw loss curve vanished on a dark terminal. No text on the screen takes
    /// the colour it lies on, the terminal's own taken as black without a theme background.
    @Test func eightAndSixteenColoursNeverDrawTextInTheBackgroundsColour() throws {
        let grid = Screen.render(Fixture.running, ViewState(), Fixture.run.context, width: 120, height: 40)
        let styles = Set(grid.cells.filter { !$0.text.trimmingCharacters(in: .whitespaces).isEmpty && $0.style.greys == nil }.map(\.style))
        #expect(styles.contains { $0.foreground == .chartRaw } && styles.contains { $0.foreground == .border })
        let themes = try [Theme.builtIn] + ["default", "light", "high-contrast"].map { try Theme.load($0, from: Self.themes) }
        for theme in themes {
            for colors in [8, 16] {
                for style in styles {
                    let (fg, bg) = Palette.colors(style, theme: theme, colors: colors)
                    #expect(fg != (bg >= 0 ? bg : 0), "\(theme.name), \(colors) colours: \(style)")
                }
            }
        }
        // A grey stays a grey (not the nearest colour), dimmed where it stands in for black.
        for role in [Role.chartRaw, .border, .muted] {
            #expect(Palette.colors(Style(role), theme: .builtIn, colors: 8).fg == 7)
            #expect(Palette.dims(Style(role), theme: .builtIn, colors: 8))
            #expect(!Palette.dims(Style(role), theme: .builtIn, colors: 256))
        }
        #expect(Palette.colors(Style(.chartRaw), theme: .builtIn, colors: 16).fg == 8)
        #expect(!Palette.dims(Style(.text), theme: .builtIn, colors: 8))
    }
}
