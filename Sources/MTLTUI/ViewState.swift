import MTLData
import MTLEngine
import MTLProtocol

/// Everything about the screen that is not training state: the view, selections, filters,
/// smoothing, an open prompt. Changed only by `Controller`, read by `render`.
public struct ViewState: Sendable {
    public enum Prompt: Sendable, Equatable {
        case quit
        case weight(task: Int, text: String)
        case search(text: String)
    }

    public var view: View = .dashboard
    public var viewBeforeHelp: View = .dashboard
    public var smoothing = 0.9
    public var logY = false
    /// Selected task (examples, confusion).
    public var task = 0
    /// Row in the controls list: tasks first, then layers.
    public var controlsRow = 0
    /// Help: the first line shown, when the key list is taller than the screen, and the largest
    /// first line the screen's size allows (`HelpView.maxOffset`, kept current by the workbench).
    public var helpOffset = 0
    public var helpLimit = Int.max
    /// Examples: cursor position and the dataset row under it, so a refresh keeps it in place.
    public var exampleCursor = 0
    public var exampleRow: Int?
    public var misclassifiedOnly = false
    public var wrongOnAll = false
    /// Only rows whose label is likely wrong (S), most suspect first.
    public var suspects = false
    /// Examples whose true and predicted classes are these (chosen in the confusion view).
    public var pair: Pair?
    public var search = ""
    /// The rows the browser lists (v), corrected ones only (c), the class picker (r), and
    /// this session's corrections (CorrectionKeys.swift).
    public var exampleSplit = ExampleSplit.validation
    public var correctedOnly = false
    public var relabel: RelabelPicker?
    public var book = CorrectionBook()
    public var detail = false
    public var confusionRow = 0
    public var confusionColumn = 0
    /// Curves (view 4, binary and multi-label tasks): the multi-label label shown, the PR
    /// cursor's threshold (nil: at the threshold in use), and the rows `enter` listed.
    public var curveLabel = 0
    public var curveThreshold: Double?
    public var thresholdErrors: ThresholdErrors?
    /// Predicted against true (view 4, regression tasks): the rows of the cell `enter` listed;
    /// `confusionColumn` and `confusionRow` select the cell (true bin, predicted bin from the bottom).
    public var valueCell: ValueCell?
    public var prompt: Prompt?
    /// Ctrl-C opened the quit prompt (whose note says another one quits) or quit at once: the
    /// workbench then exits as SIGINT ended it (status 130), also on `y` or `s`; `n` forgets it.
    public var quitByInterrupt = false
    /// The strategy picker (W), when open: the row of `WeightingStrategy.allCases` under its cursor.
    public var picker: Int?
    /// The learning-rate schedule picker (R), when open: the row under its cursor.
    public var schedulePicker: Int?
    /// Gradients view: the layer shown in detail, by name (the ranking moves as training goes);
    /// nil shows the most conflicted.
    public var gradientLayer: String?
    /// The early-stopping rule `x` turned off, to turn the same one back on.
    public var earlyStopTurnedOff: EarlyStop?
    /// The pseudo-label rule `P` turned off, so `P` turns the same one back on.
    public var pseudoLabelTurnedOff: PseudoLabel?
    public var unicode = true
    /// The terminal shows colours, so images are drawn as half blocks in grey levels.
    public var greys = true
    /// A short note shown in the status line (e.g. "saved to runs/x").
    public var note: String?
    /// Live runs in the workbench, and the ids of those with unsaved progress (set each frame).
    public var runCount = 1
    public var unsavedRuns: [Int] = []

    public struct Pair: Sendable, Equatable {
        public var truth: Int
        public var predicted: Int
    }

    public init() {}
}

/// What the rest of the workbench must do after a key.
public enum Effect: Sendable, Equatable {
    case command(TrainerCommand)
    /// Append the correction to the corrections file, then send it to the trainer.
    case correction(RowCorrection)
    case saveCheckpoint
    case cycleTheme
    case quit(save: Bool)
    /// Select the run `delta` places on (cycling).
    case selectRun(Int)
    case branch
    case freshRun
}

/// Static facts about the run the screens need besides the snapshot: names, the validation
/// rows' inputs as text, true labels, image pixels.
public struct WorkbenchContext: Sendable {
    public var title: String
    public var tasks: [String]
    public var kinds: [TaskKind]
    public var classes: [[String]]
    /// Display text of each dataset row's inputs.
    public var inputText: [String]
    /// True targets per task, as encoded (class index, 0/1, or standardised value).
    public var targets: [TaskTargets]
    /// Regression: convert standardised values back (mean, std) per task.
    public var scales: [(mean: Double, std: Double)]
    public var image: ImageLayout?
    public var features: [Float]
    public var featureWidth: Int
    /// Each row's stable key for the corrections file (`RowKeys`); the row number when empty.
    public var rowKeys: [String] = []
    /// Each row's value in the spec's `id` column, which the example detail shows; empty without one.
    public var rowIDs: [String] = []
    /// What preparing the run noted (corrections applied, empty cells read as no labels, …):
    /// printed before the screen opens, where it is hidden, so the workbench shows them too.
    public var notes: [String] = []
    /// `--oof FILE`: per task index, out-of-fold class probabilities (as `cv --oof` writes
    /// them); the suspect filter ranks those rows instead of the model's own predictions.
    public var outOfFold: [Int: OutOfFold] = [:]

    /// One task's out-of-fold probabilities: `probabilities[i]` (one per class) is row `rows[i]`'s.
    public struct OutOfFold: Sendable {
        public var rows: [Int]
        public var probabilities: [[Double]]

        public init(rows: [Int], probabilities: [[Double]]) {
            self.rows = rows
            self.probabilities = probabilities
        }
    }
    /// A watched stream's latest `examples` event per task (`watch`): views 3 and 4 show these,
    /// read-only. nil for the workbench's own runs, whose rows are at hand.
    public var watched: [String: RunEvent.Examples]?

    public struct ImageLayout: Sendable {
        public var offset: Int
        public var width: Int
        public var height: Int
    }

    public init(title: String, tasks: [String], kinds: [TaskKind], classes: [[String]], inputText: [String],
                targets: [TaskTargets], scales: [(mean: Double, std: Double)], image: ImageLayout?,
                features: [Float], featureWidth: Int) {
        self.title = title
        self.tasks = tasks
        self.kinds = kinds
        self.classes = classes
        self.inputText = inputText
        self.targets = targets
        self.scales = scales
        self.image = image
        self.features = features
        self.featureWidth = featureWidth
    }
}
