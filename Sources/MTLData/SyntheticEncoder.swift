extension DataEncoder {
    /// The encoder that synthetic rows would have been fitted with: `vocabulary` tokens
    /// (padding, unknown, `w2`…), `features` standardised numeric columns and `tasks`, so runs
    /// on synthetic data save checkpoints that pass the same checks as real ones.
    public static func synthetic(vocabulary: Int, maxLength: Int, features: Int, tasks: [TaskEncoding]) -> DataEncoder {
        var inputs: [InputSpec] = []
        var encoder = DataEncoder(spec: DatasetSpec(inputs: [], tasks: tasks.map(\.spec)), tasks: tasks)
        if vocabulary > 0 {
            let tokens = ["<pad>", "<unk>"] + (2..<max(vocabulary, 2)).map { "w\($0)" }
            encoder.text = TextEncoding(column: "text", vocabulary: Vocabulary(tokens: tokens), maxLength: max(maxLength, 1),
                                        idf: [Float](repeating: 1, count: tokens.count))
            inputs.append(InputSpec(kind: .text, column: "text"))
        }
        for i in 0..<features {
            encoder.numeric.append(NumericEncoding(column: "x\(i)", mean: 0, std: 1, missingIndicator: false))
            inputs.append(InputSpec(kind: .numeric, column: "x\(i)"))
        }
        encoder.spec.inputs = inputs
        return encoder
    }
}
