import CNCursesW

/// SIGINT, SIGTERM and SIGHUP as a flag the main loop polls, so the program always leaves
/// through its normal exit path (endwin for the workbench, a saved checkpoint for `train`).
///
/// Signal sources on a Dispatch queue are not used: in these processes the signals start
/// blocked on every thread, so they would never arrive.
public enum StopSignals {
    /// Installs the handlers and unblocks the signals on the calling (main) thread.
    public static func install() { mtl_install_stop_handlers() }

    public static var received: Bool { mtl_stop_signalled() != 0 }
}
