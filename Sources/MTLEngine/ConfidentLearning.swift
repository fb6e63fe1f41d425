/// Confident learning (Northcutt, Jiang & Chuang 2021, "Confident Learning: Estimating
/// Uncertainty in Dataset Labels"): rows whose given label is likely wrong, found from
/// out-of-sample class probabilities.
///
/// The rules follow the paper and its reference implementation:
/// - per class j, the threshold t_j is the mean predicted p_j over the rows labelled j;
/// - a row is confidently of class k when p_k ≥ t_k (less a 1e-6 tolerance); of several such
///   classes the row counts for the one with the highest probability overall;
/// - the confident joint C[given][likely] counts those rows; a row off its diagonal is a suspect,
///   its likely label the confident class — unless the model's own top class is the given label
///   (ties favour the given label), since then the model agrees with the label after all;
/// - suspects are ranked by self-confidence (p of the given label) or by the normalised margin
///   (p of the given label − the highest other p), lowest first.
/// The probabilities must come from models that did not train on the row (out-of-fold or
/// held-out predictions): a model's own training rows look clean whatever their labels.
public enum ConfidentLearning {
    /// The tolerance of the threshold comparison, as in the reference implementation.
    static let tolerance = 1e-6

    public enum Ranking: String, Sendable, CaseIterable {
        /// p of the given label, lowest first.
        case selfConfidence = "self-confidence"
        /// p of the given label − the highest other p, lowest first.
        case margin
    }

    /// One row whose given label is likely wrong. `index` points into the caller's arrays.
    public struct Suspect: Sendable, Equatable {
        public var index: Int
        public var given: Int
        public var likely: Int
        public var selfConfidence: Double
        public var margin: Double
    }

    public struct Result: Sendable {
        /// t_j per class; nil for a class no row is labelled with (it is never confident).
        public var thresholds: [Double?]
        /// Rows counted per (given, likely) class pair; rows confident in no class are left out.
        public var joint: [[Int]]
        /// The suspects, ranked.
        public var suspects: [Suspect]
    }

    /// Per-class thresholds: the mean p_j over the rows labelled j. `labels[i]` nil = masked.
    public static func thresholds(_ probabilities: [[Double]], labels: [Int?], classes: Int) -> [Double?] {
        var sums = [Double](repeating: 0, count: classes), counts = [Int](repeating: 0, count: classes)
        for (p, label) in zip(probabilities, labels) {
            guard let label else { continue }
            sums[label] += p[label]
            counts[label] += 1
        }
        return (0..<classes).map { counts[$0] > 0 ? sums[$0] / Double(counts[$0]) : nil }
    }

    /// The class a row is confidently in, or nil when no class reaches its threshold.
    static func confidentClass(_ p: [Double], thresholds: [Double?]) -> Int? {
        let confident = p.indices.filter { c in thresholds[c].map { p[c] >= $0 - tolerance } ?? false }
        guard let first = confident.first else { return nil }
        return confident.count == 1 ? first : argmax(p)
    }

    /// The confident joint and the ranked suspects. Rows with a nil label are skipped.
    public static func find(_ probabilities: [[Double]], labels: [Int?], classes: Int, ranking: Ranking = .selfConfidence) -> Result {
        precondition(probabilities.count == labels.count, "one label per row of probabilities")
        let t = thresholds(probabilities, labels: labels, classes: classes)
        var joint = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        var suspects: [Suspect] = []
        for (i, p) in probabilities.enumerated() {
            guard let given = labels[i], let likely = confidentClass(p, thresholds: t) else { continue }
            joint[given][likely] += 1
            guard likely != given, !agrees(p, given: given) else { continue }
            suspects.append(suspect(i, p, given: given, likely: likely))
        }
        return Result(thresholds: t, joint: joint, suspects: rank(suspects, by: ranking))
    }

    /// The baseline without thresholds: every labelled row, lowest self-confidence first, its
    /// likely label the model's top other class.
    public static func lowestSelfConfidence(_ probabilities: [[Double]], labels: [Int?]) -> [Suspect] {
        let all = probabilities.indices.compactMap { i -> Suspect? in
            guard let given = labels[i] else { return nil }
            let p = probabilities[i]
            return suspect(i, p, given: given, likely: argmax(p, excluding: given))
        }
        return rank(all, by: .selfConfidence)
    }

    /// Binary probabilities (p of the second class) as two-class rows.
    public static func twoClass(_ positive: [Double]) -> [[Double]] { positive.map { [1 - $0, $0] } }

    static func suspect(_ i: Int, _ p: [Double], given: Int, likely: Int) -> Suspect {
        Suspect(index: i, given: given, likely: likely, selfConfidence: p[given], margin: p[given] - p[argmax(p, excluding: given)])
    }

    /// Whether the model's top class is the given label, a near-tie counting for the label.
    static func agrees(_ p: [Double], given: Int) -> Bool {
        var boosted = p
        boosted[given] += tolerance
        return argmax(boosted) == given
    }

    static func rank(_ suspects: [Suspect], by ranking: Ranking) -> [Suspect] {
        suspects.sorted { ranksBefore($0, $1, by: ranking) }
    }

    /// Lowest score first; equal scores by the other score, then by row.
    public static func ranksBefore(_ a: Suspect, _ b: Suspect, by ranking: Ranking) -> Bool {
        let (ka, kb) = ranking == .selfConfidence ? ((a.selfConfidence, a.margin), (b.selfConfidence, b.margin))
                                                  : ((a.margin, a.selfConfidence), (b.margin, b.selfConfidence))
        return ka != kb ? ka < kb : a.index < b.index
    }

    /// The first index of the largest value (of those other than `excluding`).
    static func argmax(_ p: [Double], excluding: Int? = nil) -> Int {
        var best: Int?
        for c in p.indices where c != excluding {
            if best == nil || p[c] > p[best!] { best = c }
        }
        return best ?? 0
    }
}
