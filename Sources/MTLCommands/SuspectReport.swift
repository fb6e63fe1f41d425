import Foundation
import MTLData
import MTLEngine

/// One task's suspects as `mtl-tui suspects` prints them. Multi-label tasks are checked label by
/// label, each label a binary present/absent task of its own.
struct SuspectReport {
    struct Entry {
        /// The label of a multi-label task; nil for binary and multiclass.
        var label: Int?
        var suspect: ConfidentLearning.Suspect
    }

    let task: DataEncoder.TaskEncoding
    /// Dataset rows (0-based) scored; `Suspect.index` points into it.
    let rows: [Int]
    /// Rows with a label.
    var labelled = 0
    /// Per class (per label of a multi-label task): the thresholds and the confident joint.
    var parts: [(name: String, result: ConfidentLearning.Result)] = []
    var entries: [Entry] = []
    let baseline: Bool
    /// self-confidence, margin or lowest-self-confidence.
    let ranking: String

    init(task: DataEncoder.TaskEncoding, targets: TaskTargets, rows: [Int], probabilities: [[Double]], ranking: String) {
        self.task = task
        self.rows = rows
        self.ranking = ranking
        baseline = ranking == "lowest-self-confidence"
        let order = ConfidentLearning.Ranking(rawValue: ranking) ?? .selfConfidence
        if task.spec.kind == .multilabel {
            let width = targets.width
            for c in 0..<width {
                let labels = rows.map { targets.mask[$0] > 0 ? (targets.values[$0 * width + c] > 0.5 ? 1 : 0) : nil }
                score(ConfidentLearning.twoClass(probabilities.map { $0[c] }), labels: labels, label: c, name: task.classes[c], order: order)
            }
            entries.sort { a, b in
                ConfidentLearning.ranksBefore(a.suspect, b.suspect, by: order)
                    || (!ConfidentLearning.ranksBefore(b.suspect, a.suspect, by: order) && a.label! < b.label!)
            }
        } else {
            let labels = rows.map { targets.mask[$0] > 0 ? Int(targets.values[$0]) : nil }
            score(probabilities, labels: labels, label: nil, name: task.spec.name, order: order)
        }
        labelled = rows.indices.filter { targets.mask[rows[$0]] > 0 }.count
    }

    private mutating func score(_ p: [[Double]], labels: [Int?], label: Int?, name: String, order: ConfidentLearning.Ranking) {
        let result = ConfidentLearning.find(p, labels: labels, classes: p.first?.count ?? (label == nil ? task.classes.count : 2), ranking: order)
        parts.append((name, result))
        let suspects = baseline ? ConfidentLearning.lowestSelfConfidence(p, labels: labels) : result.suspects
        entries += suspects.map { Entry(label: label, suspect: $0) }
    }

    /// A class as text: the class name, or for a label of a multi-label task "LABEL" / "not LABEL".
    func className(_ entry: Entry, _ c: Int) -> String {
        guard let label = entry.label else { return task.classes[c] }
        return c == 1 ? task.classes[label] : "not \(task.classes[label])"
    }

    func table(top: Int, ids: [String]?, text: [String]) -> String {
        let shown = top == 0 ? entries : Array(entries.prefix(top))
        let what = baseline ? "rows by lowest self-confidence (baseline, no thresholds)" : "suspects"
        var lines = ["\(task.spec.name): \(entries.count) \(what) among \(labelled) labelled out-of-fold rows"
                     + (shown.count < entries.count ? " (top \(shown.count) shown)" : "")]
        if task.spec.kind != .multilabel, let result = parts.first?.result {
            let t = task.classes.indices.map { "\(task.classes[$0]) \(result.thresholds[$0].map { String(format: "%.3f", $0) } ?? "—")" }
            lines.append("thresholds: " + t.joined(separator: ", "))
        }
        guard !shown.isEmpty else { return lines.joined(separator: "\n") }
        var table = [["#", "row"] + (ids != nil ? ["id"] : []) + ["given", "likely", "self-conf", "margin", "input"]]
        for (n, entry) in shown.enumerated() {
            let s = entry.suspect, row = rows[s.index]
            table.append(["\(n + 1)", "\(row + 1)"] + (ids.map { [$0[row]] } ?? [])
                         + [className(entry, s.given), className(entry, s.likely), String(format: "%.3f", s.selfConfidence),
                            String(format: "%+.3f", s.margin), Self.truncated(text[row], 60)])
        }
        lines.append(Report.align(table))
        return lines.joined(separator: "\n")
    }

    func json(top: Int, ids: [String]?, text: [String]) -> [String: Any] {
        let shown = top == 0 ? entries : Array(entries.prefix(top))
        var object: [String: Any] = [
            "task": task.spec.name, "kind": task.spec.kind.rawValue, "labelled": labelled, "count": entries.count,
            "ranking": ranking,
            "suspects": shown.map { entry -> [String: Any] in
                let s = entry.suspect, row = rows[s.index]
                var item: [String: Any] = ["row": row + 1, "given": className(entry, s.given), "likely": className(entry, s.likely),
                                           "self_confidence": s.selfConfidence, "margin": s.margin, "input": Self.truncated(text[row], 200)]
                if let ids { item["id"] = ids[row] }
                return item
            },
        ]
        object["confident_learning"] = parts.map { part -> [String: Any] in
            ["name": part.name, "thresholds": part.result.thresholds.map { $0 as Any? ?? NSNull() }, "joint": part.result.joint]
        }
        return object
    }

    /// One line of at most `limit` characters.
    static func truncated(_ text: String, _ limit: Int) -> String {
        let line = text.replacingOccurrences(of: "\n", with: " ")
        return line.count <= limit ? line : String(line.prefix(limit - 1)) + "…"
    }
}
