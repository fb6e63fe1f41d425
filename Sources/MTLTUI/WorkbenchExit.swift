import CNCursesW

/// How the workbench ended: what to print once the terminal is restored, and the exit status.
public struct WorkbenchExit: Sendable, Equatable {
    /// A save asked for on the way out, and why it failed (nil: it succeeded).
    public struct Save: Sendable, Equatable {
        public var run: Int
        public var directory: String
        public var failure: String?
        /// The default directory it did not replace (an earlier checkpoint is there), when
        /// `directory` is the fresh name taken beside it: said after every quit.
        public var instead: String?

        public init(run: Int, directory: String, failure: String?, instead: String? = nil) {
            self.run = run
            self.directory = directory
            self.failure = failure
            self.instead = instead
        }
    }

    public var saves: [Save]
    /// Runs that had trained and were left unsaved.
    public var unsaved: [Int]
    /// SIGINT, SIGTERM or SIGHUP when one ended the session; nil after `q`.
    public var signal: Int32?

    public init(saves: [Save], unsaved: [Int], signal: Int32? = nil) {
        self.saves = saves
        self.unsaved = unsaved
        self.signal = signal
    }

    /// Lines for stderr: each failed save; after a signal, where each run was saved too, and
    /// which runs were lost (after SIGTERM or SIGHUP, that --save would have kept them).
    public var messages: [String] {
        var lines = saves.compactMap { save in save.failure.map { "error: run \(save.run) not saved: \($0)" } }
        guard let signal else {
            return lines + saves.compactMap { save in
                guard save.failure == nil, let instead = save.instead else { return nil }
                return "run \(save.run) saved to \(save.directory) (\(instead) holds an earlier checkpoint)"
            }
        }
        let cause = signal == SIGINT ? "interrupted" : "stopped by \(StopSignals.name(signal))"
        lines += saves.filter { $0.failure == nil }.map { save in
            "\(cause): run \(save.run) saved to \(save.directory)" + (save.instead.map { " (\($0) holds an earlier checkpoint)" } ?? "")
        }
        if !unsaved.isEmpty {
            let runs = (unsaved.count == 1 ? "run " : "runs ") + unsaved.map(String.init).joined(separator: ", ")
            lines.append("\(cause): \(runs) not saved" + (signal == SIGINT ? "" : " (with --save DIR the workbench saves on SIGTERM and SIGHUP)"))
        }
        return lines
    }

    /// 1 when a save failed; after a signal, 128 + its number as shells report it; else 0.
    public var status: Int32 {
        if saves.contains(where: { $0.failure != nil }) { return 1 }
        return signal.map(StopSignals.exitStatus) ?? 0
    }
}
