/// The one range a task's loss weight must lie in, wherever it is set: spec.toml's `weight`,
/// `--loss-weight`, the workbench (typed, or scaled with `+`) and the protocol's
/// `set_loss_weight`. Far above 1 a task's loss swamps the others' and its gradient leaves
/// 32-bit floats: a weight of 1e300 made the next step's gradient norm NaN.
public enum LossWeight {
    public static let largest = 1000.0

    /// What a weight must be, for messages: "a number from 0 to 1000".
    public static let expected = "a number from 0 to \(Int(largest))"

    /// Whether `weight` is in range (NaN is not).
    public static func allows(_ weight: Double) -> Bool { weight >= 0 && weight <= largest }
}
