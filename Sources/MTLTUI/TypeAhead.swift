import CNCursesW

/// Keys typed while the workbench prepares its data, before the screen opens. In the terminal's
/// cooked mode they would be echoed over the progress line and then read as commands once the
/// screen opens (a `q` opening the quit prompt, a digit changing the view). Only on a terminal.
public enum TypeAhead {
    /// Turns echo and line editing off until the screen opens. `exit` (every error path) and
    /// SIGINT, SIGTERM or SIGHUP (which still end the process) give the user's modes back first.
    public static func hold() { mtl_hold_typing() }

    /// The user's modes back; `Terminal` does it before ncurses saves them.
    static func release() { mtl_release_typing() }

    /// Drops what was typed and not read: the workbench calls it once its screen is open.
    static func discard() { mtl_discard_typeahead() }
}
