import MTLData
import MTLEngine

/// Turns keys into view changes and effects (trainer commands, save, quit). Pure: the same
/// key, state and snapshot always give the same result, so tests drive it without a terminal.
public enum Controller {
    /// Whether `key` toggles or cycles a setting of the run (`Action.followsTheRunState`) rather
    /// than typing into a prompt or picker: such a key must see the run's state after the last
    /// command it was sent, so the workbench holds it until the run has taken that command.
    static func followsTheRunState(_ key: Key, _ state: ViewState) -> Bool {
        guard state.prompt == nil, state.picker == nil, state.schedulePicker == nil, state.relabel == nil else { return false }
        return KeyMap.action(for: key, in: state.view)?.followsTheRunState == true
    }

    /// Whether quitting now would lose something, so `q` and Ctrl-C ask first: the run is
    /// training, or a run that trained was never saved.
    static func asksBeforeQuitting(_ state: ViewState, _ snapshot: TrainerSnapshot) -> Bool {
        snapshot.state.isActive || (!state.unsavedRuns.isEmpty && (state.runCount > 1 || snapshot.step > 0))
    }

    /// Ctrl-C (a SIGINT the workbench polled): opens the quit prompt when quitting would lose
    /// something, its note saying another Ctrl-C quits; quits at once when nothing would be
    /// lost or the prompt is open already. Marks the quit as the signal's (exit status 130).
    public static func interrupt(state: inout ViewState, snapshot: TrainerSnapshot) -> [Effect] {
        state.quitByInterrupt = true
        guard state.prompt != .quit, asksBeforeQuitting(state, snapshot) else { return [.quit(save: false)] }
        state.note = nil
        state.prompt = .quit
        return []
    }

    public static func handle(_ key: Key, state: inout ViewState, snapshot: TrainerSnapshot, context: WorkbenchContext) -> [Effect] {
        state.note = nil
        if let prompt = state.prompt { return handlePrompt(prompt, key: key, state: &state, snapshot: snapshot) }
        if let cursor = state.picker { return StrategyPicker.handle(key, cursor: cursor, state: &state) }
        if let cursor = state.schedulePicker { return SchedulePicker.handle(key, cursor: cursor, snapshot: snapshot, state: &state) }
        if let picker = state.relabel { return CorrectionKeys.handlePicker(key, picker: picker, state: &state, context: context) }
        guard let action = KeyMap.action(for: key, in: state.view) else { return [] }
        let tasks = snapshot.tasks.count
        switch action {
        case .togglePause:
            switch snapshot.state {
            case .running, .starting: return [.command(.pause)]
            case .paused, .diverged: return [.command(.resume)]
            default: state.note = "training has ended"; return []
            }
        case .step:
            guard snapshot.state.isActive else { state.note = "training has ended (E trains 5 more epochs)"; return [] }
            return [.command(.step(1))]
        case .moreEpochs:
            guard snapshot.state.isActive || snapshot.state == .finished else {
                state.note = "this run was stopped; b branches it, R starts a fresh one"
                return []
            }
            return [.command(.addEpochs(5))]
        case .previousRun, .nextRun:
            guard state.runCount > 1 else { state.note = "one run: b branches it, R starts a fresh one"; return [] }
            return [.selectRun(action == .nextRun ? 1 : -1)]
        case .branch:
            return [.branch]
        case .freshRun:
            return [.freshRun]
        case .save:
            return [.saveCheckpoint]
        case .quit:
            if asksBeforeQuitting(state, snapshot) {
                state.prompt = .quit
                return []
            }
            return [.quit(save: false)]
        case .help:
            if state.view == .help { state.view = state.viewBeforeHelp } else { state.viewBeforeHelp = state.view; state.view = .help }
        case .back:
            if state.detail { state.detail = false }
            else if state.view == .help { state.view = state.viewBeforeHelp }
            else if state.view == .confusion, state.curveThreshold != nil { state.curveThreshold = nil }   // the curve cursor back to the threshold in use
            else if state.pair != nil || state.misclassifiedOnly || state.wrongOnAll || state.suspects || !state.search.isEmpty
                        || state.thresholdErrors != nil || state.valueCell != nil || state.correctedOnly {
                state.pair = nil; state.misclassifiedOnly = false; state.wrongOnAll = false; state.suspects = false; state.search = ""
                state.thresholdErrors = nil; state.valueCell = nil; state.correctedOnly = false
            }
        case .show(let view):
            if view == .help { state.viewBeforeHelp = state.view }
            state.view = view
        case .nextView:
            state.view = View(rawValue: state.view.rawValue % View.allCases.count + 1)!
        case .previousView:
            state.view = View(rawValue: (state.view.rawValue + View.allCases.count - 2) % View.allCases.count + 1)!
        case .toggleLogY:
            state.logY.toggle()
        case .smoothMore:
            state.smoothing = min(0.99, ((state.smoothing + 0.05) * 100).rounded() / 100)
        case .smoothLess:
            state.smoothing = max(0, ((state.smoothing - 0.05) * 100).rounded() / 100)
        case .nextTask:
            if tasks > 0 {
                state.task = (state.task + 1) % tasks; resetExamples(&state); state.curveLabel = 0; state.curveThreshold = nil
                // A cell of one task's matrix or grid means nothing in the next one's.
                state.confusionRow = 0; state.confusionColumn = 0
            }
        case .cycleTheme:
            return [.cycleTheme]
        case .nextStrategy:
            let all = WeightingStrategy.allCases
            let next = all[((all.firstIndex(of: snapshot.strategy) ?? 0) + 1) % all.count]
            return [.command(.setStrategy(next))]
        case .pickStrategy:
            state.picker = WeightingStrategy.allCases.firstIndex(of: snapshot.strategy) ?? 0
        case .pickSchedule:
            guard snapshot.state.isActive else { state.note = "training has ended"; return [] }
            state.schedulePicker = SchedulePicker.choices(snapshot).firstIndex { $0.schedule == snapshot.schedule } ?? 0
        case .toggleEarlyStop:
            if let rule = snapshot.earlyStop {
                state.earlyStopTurnedOff = rule
                return [.command(.setEarlyStop(nil))]
            }
            // Back on with the rule turned off, else the default a fresh run would get (auto).
            let tasks = Array(zip(snapshot.tasks, snapshot.taskKinds)).map { (name: $0.0, kind: $0.1) }
            let automatic = (try? EarlyStop.parse(EarlyStop.automatic, tasks: tasks)) ?? .standard
            return [.command(.setEarlyStop(state.earlyStopTurnedOff ?? automatic))]
        // Relative commands: the engine applies each to the value in force, so two presses in
        // one frame (before the snapshot shows the first) both count.
        case .halveRate:
            return [.command(.scaleLearningRate(factor: 0.5))]
        case .doubleRate:
            return [.command(.scaleLearningRate(factor: 2))]
        case .up, .down, .left, .right:
            move(action, state: &state, snapshot: snapshot, context: context)
        case .increase, .decrease:
            guard state.controlsRow < tasks else { return [] }
            // ×1.25 or ÷1.25 (0 raised becomes 0.1), to 3 decimals: done by the engine.
            return [.command(.scaleLossWeight(task: snapshot.tasks[state.controlsRow], factor: action == .increase ? 1.25 : 0.8))]
        case .edit:
            if state.controlsRow < tasks {
                state.prompt = .weight(task: state.controlsRow, text: "")
            }
        case .unpin:
            guard state.controlsRow < tasks else { return [] }
            let task = snapshot.tasks[state.controlsRow]
            guard snapshot.pinned.contains(task) else {
                state.note = "\(task) is not pinned (e types a weight and pins it)"
                return []
            }
            return [.command(.unpinLossWeight(task: task))]
        case .toggleFreeze:
            return toggleFreeze(state, snapshot)
        case .toggleFocal, .cycleOHEM:
            return LossShapeKeys.handle(action, state: &state, snapshot: snapshot)
        case .togglePseudoLabels:
            return PseudoLabelKeys.toggle(state: &state, snapshot: snapshot)
        case .dropExample, .upWeight, .resetWeight, .relabel, .undoCorrection, .cycleSplit, .correctedOnly:
            return CorrectionKeys.handle(action, state: &state, snapshot: snapshot, context: context)
        case .misclassified:
            state.misclassifiedOnly.toggle(); resetExamples(&state)
            let t = min(state.task, max(snapshot.taskKinds.count - 1, 0))
            if state.misclassifiedOnly, snapshot.taskKinds.indices.contains(t), snapshot.taskKinds[t] == .regression {
                state.note = "\(snapshot.tasks[t]) is a regression task: no row is misclassified (its rows are ordered by loss)"
            }
        case .wrongOnAll:
            state.wrongOnAll.toggle(); resetExamples(&state)
        case .suspects:
            state.suspects.toggle(); resetExamples(&state)
        case .search:
            state.prompt = .search(text: state.search)
        case .open:
            switch state.view {
            case .controls where state.controlsRow < tasks: state.prompt = .weight(task: state.controlsRow, text: "")
            case .controls: return toggleFreeze(state, snapshot)
            case .examples: state.detail.toggle()
            case .confusion where CurvesView.applies(snapshot, state, context):
                CurvesView.open(state: &state, snapshot: snapshot, context: context)
                resetExamples(&state)
            case .confusion where RegressionView.applies(snapshot, state, context):
                RegressionView.open(state: &state, snapshot: snapshot, context: context)
                resetExamples(&state)
            case .confusion:
                state.thresholdErrors = nil
                state.valueCell = nil
                state.pair = ViewState.Pair(truth: state.confusionRow, predicted: state.confusionColumn)
                state.misclassifiedOnly = false
                state.wrongOnAll = false
                state.exampleSplit = .validation
                state.view = .examples
                resetExamples(&state)
            default: break
            }
        }
        return []
    }

    /// Freezes or unfreezes the layer under the controls cursor (layers follow the tasks).
    static func toggleFreeze(_ state: ViewState, _ snapshot: TrainerSnapshot) -> [Effect] {
        let layer = state.controlsRow - snapshot.tasks.count
        guard layer >= 0, layer < snapshot.layers.count else { return [] }
        let name = snapshot.layers[layer].name
        return [.command(snapshot.frozen.contains(name) ? .unfreeze(name) : .freeze(name))]
    }

    static func resetExamples(_ state: inout ViewState) {
        state.exampleCursor = 0
        state.exampleRow = nil
        state.detail = false
    }

    static func move(_ action: Action, state: inout ViewState, snapshot: TrainerSnapshot, context: WorkbenchContext) {
        let delta = action == .up || action == .left ? -1 : 1
        switch state.view {
        case .controls:
            let count = snapshot.tasks.count + snapshot.layers.count
            state.controlsRow = max(0, min(count - 1, state.controlsRow + delta))
        case .examples:
            if let watched = context.watched {
                // A watched run's rows are the stream's events, not the dataset's.
                let count = WatchedExamplesView.shown(snapshot, state, context, watched: watched)?.rows.count ?? 0
                state.exampleCursor = max(0, min(count - 1, state.exampleCursor + delta))
                return
            }
            guard let examples = ExampleList.table(snapshot, state) else { return }
            let list = ExampleList.indices(examples, state: state, context: context)
            guard !list.isEmpty else { return }
            state.exampleCursor = max(0, min(list.count - 1, state.exampleCursor + delta))
            state.exampleRow = examples.rows[list[state.exampleCursor]]
        case .help:
            state.helpOffset = max(0, min(state.helpLimit, state.helpOffset + delta))
        case .gradients:
            let ranked = snapshot.conflict?.layersByConflict.map(\.name) ?? []
            guard !ranked.isEmpty else { return }
            let current = state.gradientLayer.flatMap { ranked.firstIndex(of: $0) } ?? 0
            state.gradientLayer = ranked[max(0, min(ranked.count - 1, current + delta))]
        case .confusion where CurvesView.applies(snapshot, state, context):
            CurvesView.move(action, state: &state, snapshot: snapshot, context: context)
        case .confusion where RegressionView.applies(snapshot, state, context):
            RegressionView.move(action, state: &state)
        case .confusion:
            let classes = context.classes.indices.contains(state.task) ? context.classes[state.task].count : 0
            guard classes > 0 else { return }
            if action == .up || action == .down {
                state.confusionRow = max(0, min(classes - 1, state.confusionRow + delta))
            } else {
                state.confusionColumn = max(0, min(classes - 1, state.confusionColumn + delta))
            }
        default:
            break
        }
    }

    static func handlePrompt(_ prompt: ViewState.Prompt, key: Key, state: inout ViewState, snapshot: TrainerSnapshot) -> [Effect] {
        switch prompt {
        case .quit:
            switch key {
            case .character("y"), .character("q"): return [.quit(save: false)]
            case .character("s"): return [.quit(save: true)]
            case .character("n"), .escape: state.prompt = nil; state.quitByInterrupt = false
            default: break
            }
            return []
        case .weight(let task, let text):
            switch key {
            case .escape: state.prompt = nil
            case .backspace: state.prompt = .weight(task: task, text: String(text.dropLast()))
            case .enter:
                state.prompt = nil
                guard let weight = Double(text), LossWeight.allows(weight) else {
                    state.note = "not a weight: '\(text)' (\(LossWeight.expected))"
                    return []
                }
                return [.command(.setLossWeight(task: snapshot.tasks[task], weight: weight))]
            case .character(let c) where c.isNumber || c == "." || c == "e" || c == "-":
                state.prompt = .weight(task: task, text: text + String(c))
            default: break
            }
            return []
        case .search(let text):
            switch key {
            case .escape: state.prompt = nil
            case .enter: state.prompt = nil; state.search = text; resetExamples(&state)
            case .backspace: state.prompt = .search(text: String(text.dropLast()))
            case .character(let c): state.prompt = .search(text: text + String(c))
            default: break
            }
            return []
        }
    }
}
