import Foundation

/// Online hard example mining (Shrivastava et al. 2016), per task: of a batch's labelled rows,
/// only the ⌈fraction · n⌉ with the highest loss enter the mean, so the easy majority stops
/// diluting the gradient. Ties at the cut keep the earlier rows, so a batch selects the same
/// rows every time.
enum HardExampleMining {
    /// How many of `labelled` rows a fraction keeps: at least one.
    static func count(_ fraction: Double, of labelled: Int) -> Int {
        min(labelled, max(1, Int((fraction * Double(labelled) - 1e-9).rounded(.up))))
    }

    /// The weights of the kept rows (0 elsewhere), written into the first half of the scratch.
    static func keep(_ mining: TaskLoss.Mining, rowLoss: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                     batch: Int) -> UnsafeMutablePointer<Float> {
        let kept = mining.scratch, sorted = mining.scratch + batch
        var labelled = 0
        for b in 0..<batch where weights[b] > 0 {
            sorted[labelled] = rowLoss[b]
            labelled += 1
        }
        kept.update(repeating: 0, count: batch)
        guard labelled > 0 else { return kept }
        let k = count(mining.fraction, of: labelled)
        var losses = UnsafeMutableBufferPointer(start: sorted, count: labelled)
        losses.sort(by: >)
        let cut = losses[k - 1]
        var above = 0
        for b in 0..<batch where weights[b] > 0 && rowLoss[b] > cut { above += 1 }
        var tiesLeft = k - above
        for b in 0..<batch where weights[b] > 0 {
            if rowLoss[b] > cut {
                kept[b] = weights[b]
            } else if rowLoss[b] == cut, tiesLeft > 0 {
                kept[b] = weights[b]
                tiesLeft -= 1
            }
        }
        return kept
    }
}
