import MTLEngine

/// `P`: pseudo-labelling on or off, and the Controls line showing the rule and the last
/// epoch's counts. The trainer applies the rule at the next epoch's start and logs it.
enum PseudoLabelKeys {
    /// The rule `P` turns on when the run had none: confident predictions only, from the next epoch.
    static let defaultRule = PseudoLabel(threshold: 0.95, startEpoch: 1)

    static func toggle(state: inout ViewState, snapshot s: TrainerSnapshot) -> [Effect] {
        guard s.state.isActive else { state.note = "training has ended"; return [] }
        if let rule = s.pseudoLabel {
            state.pseudoLabelTurnedOff = rule
            state.note = "pseudo-labels off from the next epoch"
            return [.command(.setPseudoLabel(nil))]
        }
        guard s.pseudoPool > 0 else {
            state.note = "no training row lacks every label: nothing to pseudo-label (--unlabeled FILE adds rows)"
            return []
        }
        let rule = state.pseudoLabelTurnedOff ?? defaultRule
        state.note = "pseudo-labels on from the next epoch: \(describe(rule)) on \(s.pseudoPool) rows"
        return [.command(.setPseudoLabel(rule))]
    }

    /// The Controls lines: the rule in force, then the last epoch's counts per task; or off.
    static func lines(_ s: TrainerSnapshot) -> [String] {
        guard let rule = s.pseudoLabel else { return ["pseudo-labels off · \(s.pseudoPool) unlabelled training rows (P)"] }
        var lines = ["pseudo-labels \(describe(rule)) on \(s.pseudoPool) rows (P)"]
        if let last = s.history.last, let counts = last.pseudoLabels, counts.count == s.tasks.count {
            lines.append("  epoch \(last.epoch) pseudo-labelled: " + zip(s.tasks, counts).map { "\($0) \($1)" }.joined(separator: " · "))
        }
        return lines
    }

    static func describe(_ rule: PseudoLabel) -> String {
        // Shortest decimals: 0.95, not 0.950.
        "p ≥ \(rule.threshold) from epoch \(rule.startEpoch)" + (rule.weight == 1 ? "" : ", weight \(rule.weight)")
    }
}
