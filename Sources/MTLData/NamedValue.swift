/// Flag values that put a task or column name before a value: `--loss-weight NAME=W`,
/// `--task NAME:KIND`, `--early-stop TASK.METRIC:PATIENCE`. Real headers hold `=`, `:` and `.`
/// (`score.v2`, `a:b`, `x=y`) while the values after the name never do, so every flag splits
/// at the last separator and every name stays reachable.
public enum NamedValue {
    /// `text` split at its last `separator`: the name before it and the value after it, or no
    /// name and the whole text as the value when `text` holds no `separator`.
    ///
    /// ```swift
    /// NamedValue.split("x=y=0.5", at: "=")   // (name: "x=y", value: "0.5")
    /// NamedValue.split("0.5", at: "=")       // (name: nil, value: "0.5")
    /// ```
    public static func split(_ text: String, at separator: Character) -> (name: String?, value: String) {
        guard let index = text.lastIndex(of: separator) else { return (nil, text) }
        return (String(text[..<index]), String(text[text.index(after: index)...]))
    }
}
