import MTLData

extension RunPreparation {
    /// `--loss` and `--ohem` per task: a task's own setting wins over one for every task.
    /// Every problem is a `UsageError` naming its flag.
    static func lossShapes(_ options: RunOptions, tasks: [TaskSpec]) throws -> [String: LossShape] {
        func named(_ name: String, _ flag: String) throws -> TaskSpec {
            guard let task = tasks.first(where: { $0.name == name }) else {
                throw UsageError(flag, "no task named '\(name)' (tasks: \(tasks.map(\.name).joined(separator: ", ")))")
            }
            return task
        }
        var shapes: [String: LossShape] = [:]
        for (name, text) in options.losses.filter({ $0.task == nil }) + options.losses.filter({ $0.task != nil }) {
            let targets = try name.map { [try named($0, "--loss")] } ?? tasks.filter { $0.kind != .regression }
            for task in targets {
                if text == "ce" { shapes[task.name, default: LossShape()].focal = nil; continue }
                switch FocalLoss.parse(text, kind: task.kind) {
                case .success(let focal): shapes[task.name, default: LossShape()].focal = focal
                case .failure(let why): throw UsageError("--loss", "\(task.name)=\(text): \(why)")
                }
            }
        }
        for (name, fraction) in options.ohem.filter({ $0.task == nil }) + options.ohem.filter({ $0.task != nil }) {
            guard fraction > 0, fraction <= 1 else {
                throw UsageError("--ohem", "expected a fraction in (0, 1]\(name.map { " for '\($0)'" } ?? ""), got \(fraction)")
            }
            let targets = try name.map { [try named($0, "--ohem")] } ?? tasks
            for task in targets { shapes[task.name, default: LossShape()].ohem = fraction == 1 ? nil : fraction }
        }
        return shapes.filter { !$0.value.isPlain }
    }
}
