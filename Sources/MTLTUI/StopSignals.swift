import CNCursesW

/// SIGINT, SIGTERM and SIGHUP as flags the main loop polls, so the program always leaves
/// through its normal exit path (endwin for the workbench, a saved checkpoint for `train`).
///
/// Signal sources on a Dispatch queue are not used: in these processes the signals start
/// blocked on every thread, so they would never arrive. The flags live in the C shim, which
/// only this module reads (each Swift module that imports it gets its own copy of them).
public enum StopSignals {
    /// Installs the handlers and unblocks the signals on the calling (main) thread.
    public static func install() { mtl_install_stop_handlers() }

    /// Whether any of the three has arrived: what stops a headless run.
    public static var received: Bool { first != nil }

    /// The first to arrive, nil before any: the one whose exit status a stopped run reports.
    public static var first: Int32? { nonZero(mtl_first_stop_signal()) }

    /// How many SIGINTs (Ctrl-C) have arrived: the workbench asks at one, quits at the next.
    public static var interrupts: Int { Int(mtl_interrupt_count()) }

    /// SIGTERM or SIGHUP, once one has arrived: no one is left to ask.
    public static var termination: Int32? { nonZero(mtl_termination_signal()) }

    /// What a shell reports for a command a signal ended: 128 + its number (130 for SIGINT).
    public static func exitStatus(_ signal: Int32) -> Int32 { 128 + signal }

    /// The exit status of a run that stopped: 128 + the first signal, as shells report it; a
    /// `stop` command (no signal) reads as Ctrl-C's 130.
    public static var stoppedStatus: Int32 { exitStatus(first ?? SIGINT) }

    /// The signal's name, for messages.
    public static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        default: "signal \(signal)"
        }
    }

    private static func nonZero(_ value: Int32) -> Int32? { value == 0 ? nil : value }
}
