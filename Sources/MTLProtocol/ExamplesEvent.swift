/// The `examples` event: one task's hardest examples at an evaluation and its confusion counts,
/// so a viewer fills its hard-example and confusion views without the data. Optional: a
/// producer writes it only when asked (`train --json-examples N`, `Run.examples` in python/).
extension RunEvent {
    public struct Examples: Codable, Sendable, Equatable {
        public var task: String
        /// Completed steps at the evaluation.
        public var step: Int
        public var epoch: Int?
        /// Highest loss first, at most the producer's limit.
        public var rows: [ExampleRow]
        /// The task's confusion counts on the same evaluation (classification tasks).
        public var confusion: Confusion?

        public init(task: String, step: Int, epoch: Int? = nil, rows: [ExampleRow], confusion: Confusion? = nil) {
            self.task = task
            self.step = step
            self.epoch = epoch
            self.rows = rows
            self.confusion = confusion
        }
    }

    public struct ExampleRow: Codable, Sendable, Equatable {
        /// The row's stable key (as in a corrections file) or its number.
        public var key: String
        /// The start of the row's input as text.
        public var text: String?
        /// `train`, `val` or `test`.
        public var split: String
        /// The true label (class names joined by `|` for multi-label, the value for regression); null when missing.
        public var label: String?
        public var predicted: String?
        /// The probability the model gives its prediction (null for regression and multi-label).
        public var probability: Double?
        public var loss: Double?

        public init(key: String, text: String?, split: String, label: String?, predicted: String?, probability: Double?, loss: Double?) {
            self.key = key
            self.text = text
            self.split = split
            self.label = label
            self.predicted = predicted
            self.probability = probability
            self.loss = loss
        }
    }

    /// Rows true, columns predicted, in the order of `classes`.
    public struct Confusion: Codable, Sendable, Equatable {
        public var classes: [String]
        public var matrix: [[Int]]
        public init(classes: [String], matrix: [[Int]]) { self.classes = classes; self.matrix = matrix }
    }
}
