import Foundation

/// The colour roles a screen uses; a theme gives each a colour.
public enum Role: String, CaseIterable, Sendable {
    case background = "main_bg"
    case text = "main_fg"
    case title
    case highlight = "hi_fg"
    case muted = "inactive_fg"
    case border = "div_line"
    case selectedBackground = "selected_bg"
    case selectedText = "selected_fg"
    case good = "good"
    case warning = "warning"
    case bad = "bad"
    case info = "info"
    case chartRaw = "graph_raw"
    case marker = "marker"
    case task1, task2, task3, task4, task5, task6

    /// The colour role of task `i` (cycling through six).
    public static func task(_ i: Int) -> Role { [.task1, .task2, .task3, .task4, .task5, .task6][i % 6] }
}

/// An RGB colour.
public struct RGB: Hashable, Sendable {
    public var r: UInt8, g: UInt8, b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// `#RRGGBB` or `RRGGBB`.
    public init?(hex: String) {
        let digits = hex.hasPrefix("#") ? String(hex.dropFirst()) : hex
        guard digits.count == 6, let value = UInt32(digits, radix: 16) else { return nil }
        self.init(UInt8(value >> 16), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF))
    }
}

/// Colours by role, read from btop-style `themes/NAME.theme` files: `theme[main_fg]="#cccccc"`.
/// Roles a file leaves out keep the built-in dark theme's colour. The screen's background is
/// `main_bg`; without one (the built-in theme, or `main_bg=""` as in btop) it is the terminal's own.
public struct Theme: Sendable, Equatable {
    public var name: String
    public var colors: [Role: RGB]

    public static let builtIn = Theme(name: "default", colors: [
        .text: RGB(0xd0, 0xd0, 0xd0), .title: RGB(0xff, 0xff, 0xff),
        .highlight: RGB(0x5f, 0xd7, 0xff), .muted: RGB(0x6c, 0x6c, 0x6c), .border: RGB(0x44, 0x44, 0x44),
        .selectedBackground: RGB(0x00, 0x5f, 0x87), .selectedText: RGB(0xff, 0xff, 0xff),
        .good: RGB(0x5f, 0xd7, 0x5f), .warning: RGB(0xff, 0xd7, 0x00), .bad: RGB(0xff, 0x5f, 0x5f),
        .info: RGB(0x87, 0xaf, 0xff), .chartRaw: RGB(0x58, 0x58, 0x58), .marker: RGB(0xff, 0x87, 0xd7),
        .task1: RGB(0x5f, 0xd7, 0xff), .task2: RGB(0xff, 0xaf, 0x5f), .task3: RGB(0xaf, 0x87, 0xff),
        .task4: RGB(0x87, 0xd7, 0x87), .task5: RGB(0xff, 0x87, 0x87), .task6: RGB(0xd7, 0xd7, 0x5f),
    ])

    /// A role's colour; `.background` without one stands for the terminal's, read as the text's.
    public func color(_ role: Role) -> RGB { colors[role] ?? Theme.builtIn.colors[role] ?? color(.text) }

    /// The screen's background colour; nil keeps the terminal's own.
    public var background: RGB? { colors[.background] }

    /// Parses a theme file; a malformed line or unknown key is an error naming its line.
    public static func parse(_ text: String, name: String, file: String) throws -> Theme {
        var theme = Theme(name: name, colors: builtIn.colors)
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard line.hasPrefix("theme["), let close = line.firstIndex(of: "]"),
                  let equals = line[close...].firstIndex(of: "=") else {
                throw ThemeError(message: "\(file):\(index + 1): expected theme[key]=\"#RRGGBB\"")
            }
            let key = String(line[line.index(line.startIndex, offsetBy: 6)..<close])
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            guard let role = Role(rawValue: key) else {
                throw ThemeError(message: "\(file):\(index + 1): unknown key '\(key)' (keys: \(Role.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            if role == .background, value.isEmpty {
                theme.colors[role] = nil   // the terminal's own background
                continue
            }
            guard let color = RGB(hex: value) else {
                throw ThemeError(message: "\(file):\(index + 1): \(key): '\(value)' is not a colour like \"#RRGGBB\"")
            }
            theme.colors[role] = color
        }
        return theme
    }

    /// Theme names in `directory` (files `NAME.theme`), sorted, with the built-in `default` first.
    public static func available(in directory: String) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let names = files.filter { $0.hasSuffix(".theme") }.map { String($0.dropLast(6)) }.filter { $0 != "default" }.sorted()
        return ["default"] + names
    }

    /// Loads `NAME` from `directory`; `default` without a file is the built-in theme.
    public static func load(_ name: String, from directory: String) throws -> Theme {
        let path = (directory as NSString).appendingPathComponent("\(name).theme")
        guard let data = FileManager.default.contents(atPath: path) else {
            if name == "default" { return builtIn }
            throw ThemeError(message: "--theme: no theme '\(name)' (themes: \(available(in: directory).joined(separator: ", ")))")
        }
        return try parse(String(decoding: data, as: UTF8.self), name: name, file: path)
    }
}

public struct ThemeError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
