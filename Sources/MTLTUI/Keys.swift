import MTLEngine

/// A key press, decoded by the terminal adapter.
public enum Key: Hashable, Sendable {
    case character(Character)
    case up, down, left, right, enter, escape, tab, backTab, backspace, resize
}

public enum View: Int, CaseIterable, Sendable {
    case dashboard = 1, controls, examples, confusion, help, gradients, runs

    public var title: String {
        switch self {
        case .dashboard: "Dashboard"
        case .controls: "Controls"
        case .examples: "Hard examples"
        case .confusion: "Confusion"
        case .help: "Help"
        case .gradients: "Gradients"
        case .runs: "Runs"
        }
    }
}

/// What a key does.
public enum Action: Sendable, Equatable {
    case togglePause, step, save, quit, help, back, nextView, previousView
    case show(View)
    case toggleLogY, smoothMore, smoothLess
    case up, down, left, right, open
    case increase, decrease, edit, unpin, toggleFreeze, halveRate, doubleRate
    case misclassified, wrongOnAll, search, nextTask, cycleTheme, nextStrategy, pickStrategy, pickSchedule, toggleEarlyStop, moreEpochs
    case toggleFocal, cycleOHEM, togglePseudoLabels
    case suspects
    case dropExample, upWeight, resetWeight, relabel, undoCorrection, cycleSplit, correctedOnly
    case previousRun, nextRun, branch, freshRun
}

extension Action {
    /// Toggles and cycles decide from the run's state in force (paused or not, the strategy,
    /// early stopping, …): a second press must wait until the run has taken the first, or both
    /// presses send the same command.
    var followsTheRunState: Bool {
        switch self {
        case .togglePause, .toggleFreeze, .nextStrategy, .toggleEarlyStop, .toggleFocal, .cycleOHEM, .togglePseudoLabels: true
        default: false
        }
    }
}

/// One line of the key table: the keys, how help names them, what they do and where.
public struct KeyBinding: Sendable {
    public var keys: [Key]
    public var label: String
    public var help: String
    /// Views where the binding applies; empty means everywhere.
    public var views: Set<View>
    public var action: Action
}

/// The key table: input handling looks keys up here and the help view is generated from it,
/// so the two cannot drift apart.
public enum KeyMap {
    static func c(_ s: String) -> [Key] { s.map { .character($0) } }

    public static let bindings: [KeyBinding] = [
        KeyBinding(keys: c(" "), label: "space", help: "pause or resume training", views: [], action: .togglePause),
        KeyBinding(keys: c("n"), label: "n", help: "run one step (pauses first)", views: [], action: .step),
        KeyBinding(keys: c("s"), label: "s", help: "save a checkpoint", views: [], action: .save),
        KeyBinding(keys: c("q"), label: "q", help: "quit (asks while training or before losing an unsaved run, offers to save)", views: [], action: .quit),
        KeyBinding(keys: c("?"), label: "?", help: "help: this list", views: [], action: .help),
        KeyBinding(keys: c("123456"), label: "1-6", help: "dashboard, controls, hard examples, confusion, help, gradients", views: [], action: .show(.dashboard)),
        KeyBinding(keys: [.tab], label: "tab", help: "next view", views: [], action: .nextView),
        KeyBinding(keys: [.backTab], label: "shift-tab", help: "previous view", views: [], action: .previousView),
        KeyBinding(keys: [.escape], label: "esc", help: "back: close the detail, prompt or help; clear filters; curve cursor to the threshold in use", views: [], action: .back),
        KeyBinding(keys: c("E"), label: "E", help: "train 5 more epochs than planned (a finished run continues)", views: [], action: .moreEpochs),
        KeyBinding(keys: c("7"), label: "7", help: "runs: each run's origin, state and best metrics", views: [], action: .show(.runs)),
        KeyBinding(keys: c(")"), label: ")", help: "select the next run (it receives the controls)", views: [], action: .nextRun),
        KeyBinding(keys: c("("), label: "(", help: "select the previous run", views: [], action: .previousRun),
        KeyBinding(keys: c("b"), label: "b", help: "branch: copy the selected run into a new one that takes the next changes", views: [], action: .branch),
        KeyBinding(keys: c("R"), label: "R", help: "start a fresh run with the current settings and a new seed", views: [], action: .freshRun),
        KeyBinding(keys: c("t"), label: "t", help: "next colour theme", views: [], action: .cycleTheme),
        KeyBinding(keys: c("T"), label: "T", help: "next task (examples, confusion)", views: [.examples, .confusion], action: .nextTask),
        KeyBinding(keys: c("l"), label: "l", help: "log-scale loss axis", views: [.dashboard], action: .toggleLogY),
        KeyBinding(keys: c("]"), label: "]", help: "smooth the curves more", views: [.dashboard], action: .smoothMore),
        KeyBinding(keys: c("["), label: "[", help: "smooth the curves less", views: [.dashboard], action: .smoothLess),
        KeyBinding(keys: [.up, .character("k")], label: "↑ k", help: "move up (curves: previous label; help: scroll)", views: [.controls, .examples, .confusion, .gradients, .help], action: .up),
        KeyBinding(keys: [.down, .character("j")], label: "↓ j", help: "move down (curves: next label; help: scroll)", views: [.controls, .examples, .confusion, .gradients, .help], action: .down),
        KeyBinding(keys: [.left, .character("h")], label: "← h", help: "move left (curves: cursor to a higher threshold)", views: [.confusion], action: .left),
        KeyBinding(keys: [.right, .character("l")], label: "→ l", help: "move right (curves: cursor to a lower threshold)", views: [.confusion], action: .right),
        KeyBinding(keys: c("+="), label: "+", help: "raise the selected task's loss weight", views: [.controls], action: .increase),
        KeyBinding(keys: c("-"), label: "-", help: "lower the selected task's loss weight", views: [.controls], action: .decrease),
        KeyBinding(keys: c("e"), label: "e", help: "type the selected task's loss weight and pin it (strategies set the others)", views: [.controls], action: .edit),
        KeyBinding(keys: c("u"), label: "u", help: "unpin the selected task's weight (back to the strategy)", views: [.controls], action: .unpin),
        KeyBinding(keys: c("f"), label: "f", help: "freeze or unfreeze the selected layer", views: [.controls], action: .toggleFreeze),
        KeyBinding(keys: c("w"), label: "w", help: "next loss-weighting strategy (\(WeightingStrategy.allCases.map(\.rawValue).joined(separator: ", ")))", views: [.controls], action: .nextStrategy),
        KeyBinding(keys: c("W"), label: "W", help: "pick a loss-weighting strategy from a list", views: [], action: .pickStrategy),
        KeyBinding(keys: c("F"), label: "F", help: "focal loss on or off for the selected task (γ 2; classification tasks)", views: [.controls], action: .toggleFocal),
        KeyBinding(keys: c("o"), label: "o", help: "OHEM for the selected task: keep the hardest 50 %, 25 % of each batch, or all rows", views: [.controls], action: .cycleOHEM),
        KeyBinding(keys: c("L"), label: "L", help: "pick a learning-rate schedule from a list (constant, step, cosine, plateau)", views: [], action: .pickSchedule),
        KeyBinding(keys: c("P"), label: "P", help: "pseudo-labels on or off from the next epoch (the run's rule, else p ≥ 0.95)", views: [], action: .togglePseudoLabels),
        KeyBinding(keys: c("x"), label: "x", help: "early stopping on or off (off: every epoch runs, the last is kept)", views: [.controls], action: .toggleEarlyStop),
        KeyBinding(keys: c("<"), label: "<", help: "halve the learning rate", views: [.controls, .dashboard], action: .halveRate),
        KeyBinding(keys: c(">"), label: ">", help: "double the learning rate", views: [.controls, .dashboard], action: .doubleRate),
        KeyBinding(keys: c("m"), label: "m", help: "misclassified only", views: [.examples], action: .misclassified),
        KeyBinding(keys: c("a"), label: "a", help: "wrong on every task", views: [.examples], action: .wrongOnAll),
        KeyBinding(keys: c("/"), label: "/", help: "search the inputs", views: [.examples], action: .search),
        KeyBinding(keys: c("S"), label: "S", help: "suspect labels: likely wrong, most suspect first (confident learning; --oof: out-of-fold)", views: [.examples], action: .suspects),
        KeyBinding(keys: c("d"), label: "d", help: "drop the example from training (saved to the corrections file)", views: [.examples], action: .dropExample),
        KeyBinding(keys: c("u"), label: "u", help: "up-weight the example's loss ×2 per press", views: [.examples], action: .upWeight),
        KeyBinding(keys: c("U"), label: "U", help: "the example's loss weight back to 1", views: [.examples], action: .resetWeight),
        KeyBinding(keys: c("r"), label: "r", help: "relabel the example for the selected task (pick the class; multi-label: toggle)", views: [.examples], action: .relabel),
        KeyBinding(keys: c("z"), label: "z", help: "undo the last correction", views: [.examples], action: .undoCorrection),
        KeyBinding(keys: c("v"), label: "v", help: "list validation, training or test rows", views: [.examples], action: .cycleSplit),
        KeyBinding(keys: c("c"), label: "c", help: "corrected rows only", views: [.examples], action: .correctedOnly),
        KeyBinding(keys: [.enter], label: "enter", help: "open: weight editor, example detail, confusion or predicted-against-true cell, the errors at the curve cursor", views: [.controls, .examples, .confusion], action: .open),
    ]

    /// The action for `key` in `view`: view-specific bindings first, then global ones.
    public static func action(for key: Key, in view: View) -> Action? {
        if case .character(let c) = key, let digit = c.wholeNumberValue, let target = View(rawValue: digit) {
            return .show(target)
        }
        let scoped = bindings.first { !$0.views.isEmpty && $0.views.contains(view) && $0.keys.contains(key) }
        return scoped?.action ?? bindings.first { $0.views.isEmpty && $0.keys.contains(key) }?.action
    }
}
