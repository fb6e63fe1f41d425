import Testing
@testable import MTLData

@Suite struct EncoderTests {
    @Test func tokenizer() {
        #expect(Tokenizer.tokens("Loved it!! 10/10, didn't I? 😀") == ["loved", "it", "!", "!", "10", "/", "10", ",", "didn't", "i", "?", "😀"])
        #expect(Tokenizer.tokens("  Café  ") == ["café"])
    }

    @Test func vocabularyIsFrequencyOrderedWithReservedIds() {
        let v = Vocabulary(counting: [["b", "a", "b"], ["c", "a", "b"], ["d"]], minFrequency: 2, maxSize: 10)
        #expect(v.tokens == ["<pad>", "<unk>", "b", "a"])
        #expect(v.id("b") == 2)
        #expect(v.id("d") == Vocabulary.unknown)
    }

    @Test func encodesFeaturesTargetsAndMasks() throws {
        let t = table("""
        text,size,color,label,score,w
        good film,1,red,pos,2.0,1
        bad film,3,blue,neg,,2
        ok,,red,,4.0,1
        """)
        let spec = DatasetSpec(inputs: [InputSpec(kind: .text, column: "text"), InputSpec(kind: .numeric, column: "size"),
                                        InputSpec(kind: .categorical, column: "color")],
                               tasks: [TaskSpec(name: "label", kind: .binary, classWeights: .explicit(["pos": 3]), sampleWeightColumn: "w"),
                                       TaskSpec(name: "score", kind: .regression)])
        let encoder = try DataEncoder.fit(t, spec: spec, trainRows: [0, 1, 2])
        let rows = try encoder.encode(t)
        // size: mean 2, std 1 over the present values; missing → 0 plus the indicator.
        // color: one-hot over [blue, red] plus an "unknown" slot.
        #expect(encoder.featureWidth == 2 + 3)
        #expect(Array(rows.features[0..<5]) == [-1, 0, 0, 1, 0])
        #expect(Array(rows.features[5..<10]) == [1, 0, 1, 0, 0])
        #expect(Array(rows.features[10..<15]) == [0, 1, 0, 1, 0])
        #expect(encoder.tasks[0].classes == ["neg", "pos"])
        #expect(rows.targets[0].values == [1, 0, 0])
        #expect(rows.targets[0].mask == [1, 1, 0])
        #expect(rows.targets[0].weights == [3, 2, 0])
        // score: standardised with the training mean 3 and std 1.
        #expect(rows.targets[1].values == [-1, 0, 1])
        #expect(rows.targets[1].mask == [1, 0, 1])
        #expect(rows.tokenOffsets == [0, 2, 4, 5])
        #expect(rows.tokenIDs[1] == rows.tokenIDs[3])   // "film" twice
    }

    /// pandas and R write a missing number as NaN or NA: in a numeric input, a regression label
    /// and a sample weight such a cell reads exactly as an empty one; a class may be called NA.
    @Test func missingMarkersInNumericCellsReadAsEmptyOnes() throws {
        let spec = DatasetSpec(inputs: [InputSpec(kind: .numeric, column: "size")],
                               tasks: [TaskSpec(name: "label", kind: .multiclass), TaskSpec(name: "score", kind: .regression)])
        let empty = table("size,label,score\n1,NA,2.0\n3,b,\n,a,4.0\n5,b,1\n")
        let expected = try DataEncoder.fit(empty, spec: spec, trainRows: [0, 1, 2, 3])
        let expectedRows = try expected.encode(empty)
        #expect(expected.numeric[0].missingIndicator)
        for (size, score) in [("NA", "NaN"), ("N/A", "NA"), ("nan", "null"), (" NA ", "None"), ("NULL", "-nan")] {
            let marked = table("size,label,score\n1,NA,2.0\n3,b,\(score)\n\(size),a,4.0\n5,b,1\n")
            let encoder = try DataEncoder.fit(marked, spec: spec, trainRows: [0, 1, 2, 3])
            let rows = try encoder.encode(marked)
            #expect(encoder.numeric[0].mean == expected.numeric[0].mean && encoder.numeric[0].missingIndicator, "\(size)")
            #expect(encoder.tasks[1].mean == expected.tasks[1].mean && encoder.tasks[1].std == expected.tasks[1].std, "\(score)")
            #expect(rows.features == expectedRows.features, "\(size)")
            #expect(rows.targets[1].mask == [1, 0, 1, 1] && rows.targets[1].values == expectedRows.targets[1].values, "\(score)")
        }
        // The label column is untouched: NA is one of its classes.
        #expect(expected.tasks[0].classes == ["NA", "a", "b"])
        #expect(expectedRows.targets[0].mask == [1, 1, 1, 1])
        // Markers are case-sensitive: anything else that is not a number is still an error.
        #expect(throws: DataError(file: "t.csv", line: 3, key: "column 'size'", "'Na' is not a number")) {
            try DataEncoder.fit(table("size,label,score\n1,a,1\nNa,b,2\n"), spec: spec, trainRows: [0, 1])
        }
        // JSON Lines: the same strings, and Python's bare NaN, read as null.
        let jsonl = try JSONLReader.read(bytes: Array("""
        {"size": 1, "label": "NA", "score": 2.0}
        {"size": 3, "label": "b", "score": NaN}
        {"size": "NA", "label": "a", "score": 4.0}
        {"size": 5, "label": "b", "score": 1}
        """.utf8), file: "t.jsonl")
        #expect(jsonl.column("score") == ["2.0", "", "4.0", "1"])
        let fromJSON = try DataEncoder.fit(jsonl, spec: spec, trainRows: [0, 1, 2, 3])
        #expect(try fromJSON.encode(jsonl).features == expectedRows.features)
        #expect(fromJSON.tasks[0].classes == ["NA", "a", "b"])
    }

    @Test func anEmptyMultiLabelCellIsTheEmptySetUnlessTheTaskSaysMissing() throws {
        let t = table("""
        text,tags
        good film,a|b
        bad film,
        ok,b
        meh,|
        """)
        var task = TaskSpec(name: "tags", kind: .multilabel)
        for (empty, mask) in [(nil, [Float(1), 1, 1, 1]), (EmptyLabelCell.noLabels, [1, 1, 1, 1]), (.missing, [1, 0, 1, 1])] {
            task.empty = empty
            let spec = DatasetSpec(inputs: [InputSpec(kind: .text, column: "text")], tasks: [task])
            let encoder = try DataEncoder.fit(t, spec: spec, trainRows: [0, 1, 2, 3])
            let rows = try encoder.encode(t)
            #expect(encoder.tasks[0].classes == ["a", "b"])
            #expect(rows.targets[0].values == [1, 1, 0, 0, 0, 1, 0, 0])
            #expect(rows.targets[0].mask == mask)
            let note = DataEncoder.emptyLabelsNote(t, spec)
            #expect((note != nil) == (empty == nil))
        }
        task.empty = nil
        let spec = DatasetSpec(inputs: [InputSpec(kind: .text, column: "text")], tasks: [task])
        #expect(DataEncoder.emptyLabelsNote(t, spec)?.contains("'tags' 1 of 4") == true)
    }

    @Test func badValuesNameFileLineAndColumn() {
        let spec = DatasetSpec(inputs: [InputSpec(kind: .numeric, column: "x")], tasks: [TaskSpec(name: "y", kind: .regression)])
        #expect(throws: DataError(file: "t.csv", line: 3, key: "column 'y'", "'abc' is not a number")) {
            try DataEncoder.fit(table("x,y\n1,2\n2,abc\n"), spec: spec, trainRows: [0, 1])
        }
        #expect(throws: DataError(file: "t.csv", line: 2, key: "column 'y'", "'-inf' is not a finite number (leave the cell empty or write NA for a missing value)")) {
            try DataEncoder.fit(table("x,y\n1,-inf\n2,3\n"), spec: spec, trainRows: [0, 1])
        }
        #expect(throws: DataError(file: "t.csv", line: 3, key: "column 'x'", "'inf' is not a finite number (leave the cell empty or write NA for a missing value)")) {
            try DataEncoder.fit(table("x,y\n1,1\ninf,3\n"), spec: spec, trainRows: [0, 1])
        }
        // Finite in 64 bits but not in the model's 32: refused, where it turned every output into NaN.
        #expect(throws: DataError(file: "t.csv", line: 3, key: "column 'x'", "'1e300' is beyond ±3.4e38, the range of 32-bit floats")) {
            try DataEncoder.fit(table("x,y\n1,1\n1e300,3\n"), spec: spec, trainRows: [0, 1])
        }
        let encoder = try? DataEncoder.fit(table("x,y\n1,1\n2,3\n"), spec: spec, trainRows: [0, 1])
        #expect(throws: DataError(file: "t.csv", line: 2, key: "column 'x'",
                                  "'3e38' is too far from the training values (mean 1.5, sd 0.5) to encode in 32-bit floats")) {
            try encoder?.encode(table("x,y\n3e38,1\n"))
        }
    }

    @Test func degenerateTasksAreErrors() {
        let spec = DatasetSpec(inputs: [InputSpec(kind: .numeric, column: "x")], tasks: [TaskSpec(name: "y", kind: .multiclass)])
        #expect(throws: DataError(file: "t.csv", key: "column 'y'", "task has a single class 'a'; it needs at least 2")) {
            try DataEncoder.fit(table("x,y\n1,a\n2,a\n"), spec: spec, trainRows: [0, 1])
        }
        #expect(throws: DataError(file: "t.csv", key: "column 'y'", "task has no values")) {
            try DataEncoder.fit(table("x,y\n1,\n2,\n"), spec: spec, trainRows: [0, 1])
        }
    }

    @Test func imagesOfTheWrongSize() throws {
        let spec = DatasetSpec(inputs: [InputSpec(kind: .image, column: "px", imageEncoding: "hex", width: 2, height: 2)],
                               tasks: [TaskSpec(name: "y", kind: .binary)])
        let good = table("px,y\n00ff80ff,0\n0000ffff,1\n")
        let encoder = try DataEncoder.fit(good, spec: spec, trainRows: [0, 1])
        let rows = try encoder.encode(good)
        #expect(Array(rows.features[0..<4]) == [0, 1, Float(0x80) / 255, 1])
        #expect(throws: DataError(file: "t.csv", line: 3, key: "column 'px'", "image has 3 pixels, expected 2×2 = 4")) {
            try encoder.encode(table("px,y\n00ff80ff,0\n0000ff,1\n"))
        }
    }

    @Test func idxRoundTripAndTruncation() throws {
        let images: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2] + [0, 255, 16, 1, 2, 3, 4, 5]
        let labels: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 2, 7, 3]
        let t = try IDXReader.table(images: images, imageFile: "i", labels: labels, labelFile: "l")
        #expect(t.column("label") == ["7", "3"])
        #expect(t.column("image") == ["00ff1001", "02030405"])
        #expect(throws: DataError(file: "i", "truncated IDX file: 7 data bytes, expected 8 for 2×2×2")) {
            try IDXReader.table(images: Array(images.dropLast()), imageFile: "i", labels: labels, labelFile: "l")
        }
    }
}

@Suite struct SplitTests {
    func dataset(rows: Int, duplicateEvery: Int) -> (Table, DatasetSpec) {
        var csv = "text,label\n"
        for i in 0..<rows {
            let id = i % duplicateEvery == 0 ? 0 : i   // every duplicateEvery-th row repeats text 0
            csv += "text number \(id),\(["a", "b", "c"][i % 3])\n"
        }
        return (table(csv), DatasetSpec(inputs: [InputSpec(kind: .text, column: "text")], tasks: [TaskSpec(name: "label", kind: .multiclass)]))
    }

    @Test func deterministicPartitionWithStrata() throws {
        let (t, spec) = dataset(rows: 300, duplicateEvery: 1000)
        let split = try DataSplit.make(t, spec: spec, seed: 7)
        #expect(try DataSplit.make(t, spec: spec, seed: 7) == split)
        #expect(try DataSplit.make(t, spec: spec, seed: 8) != split)
        #expect(Set(split.train + split.validation + split.test) == Set(0..<300))
        #expect(split.train.count == 240 && split.validation.count == 30 && split.test.count == 30)
        let labels = t.column("label")!
        for c in ["a", "b", "c"] { #expect(split.test.filter { labels[$0] == c }.count == 10) }
    }

    @Test func duplicatesNeverStraddleSplits() throws {
        let (t, spec) = dataset(rows: 300, duplicateEvery: 10)
        for seed in 0..<5 as Range<UInt64> {
            let split = try DataSplit.make(t, spec: spec, seed: seed)
            let duplicates = Set((0..<300).filter { $0 % 10 == 0 })
            let homes = [split.train, split.validation, split.test].filter { !Set($0).isDisjoint(with: duplicates) }
            #expect(homes.count == 1)
        }
    }

    /// `rows` rows over `texts` texts drawn at random, each text's label fixed by the text.
    func grouped(rows: Int, texts: Int, seed: UInt64) -> (Table, DatasetSpec) {
        var rng = SeededRandom(seed: seed)
        var csv = "text,y\n"
        for _ in 0..<rows {
            let k = Int(rng.next() % UInt64(texts))
            csv += "word\(k) common text,\(["a", "b", "c"][k % 3])\n"
        }
        return (table(csv), DatasetSpec(inputs: [InputSpec(kind: .text, column: "text")], tasks: [TaskSpec(name: "y", kind: .multiclass)]))
    }

    /// Each text's rows all in one part of `split`.
    func noTextStraddles(_ split: DataSplit, _ t: Table) -> Bool {
        let text = t.column("text")!
        let parts = [split.train, split.validation, split.test].map { Set($0.map { text[$0] }) }
        return parts[0].isDisjoint(with: parts[1]) && parts[0].isDisjoint(with: parts[2]) && parts[1].isDisjoint(with: parts[2])
    }

    /// 9 texts over 300 rows, about 33 rows each: counting texts per label dealt 199/1/100, the
    /// one validation row's text also training. By rows every part is within one text of its target.
    @Test func aFewLargeGroupsSplitByRowsAndStayWhole() throws {
        for seed: UInt64 in [1, 2, 3] {
            let (t, spec) = grouped(rows: 300, texts: 9, seed: seed)
            let largest = Dictionary(grouping: t.column("text")!, by: { $0 }).values.map(\.count).max()!
            for splitSeed: UInt64 in [1, 42] {
                let split = try DataSplit.make(t, spec: spec, seed: splitSeed)
                #expect(Set(split.train + split.validation + split.test) == Set(0..<300))
                #expect(noTextStraddles(split, t), "seed \(seed)/\(splitSeed): \(split)")
                for (count, target) in zip([split.train.count, split.validation.count, split.test.count], [240, 30, 30]) {
                    #expect(count > 0 && abs(count - target) <= largest, "seed \(seed)/\(splitSeed): \(count) rows for a target of \(target)")
                }
            }
        }
    }

    /// 21 texts over 120 rows, 7 per label: 10% of 7 rounds to none, so counting texts per label
    /// left no test rows at all (106/14/0).
    @Test func fewTextsPerLabelStillGiveTestRows() throws {
        for seed: UInt64 in [1, 2, 3] {
            let (t, spec) = grouped(rows: 120, texts: 21, seed: seed)
            let split = try DataSplit.make(t, spec: spec, seed: 42)
            #expect(noTextStraddles(split, t))
            let largest = Dictionary(grouping: t.column("text")!, by: { $0 }).values.map(\.count).max()!
            for (count, target) in zip([split.train.count, split.validation.count, split.test.count], [96, 12, 12]) {
                #expect(count > 0 && abs(count - target) <= largest, "seed \(seed): \(count) rows for a target of \(target)")
            }
        }
    }

    /// When no validation group is dealt, the group of the last training row moves whole; and
    /// when the groups cannot come near the fractions, the split says so.
    @Test func twoTextsMoveWholeAndSaySo() throws {
        let t = table("text,y\n" + (0..<40).map { "t\($0 % 2),\(["a", "b"][$0 % 2])\n" }.joined())
        let spec = DatasetSpec(inputs: [InputSpec(kind: .text, column: "text")], tasks: [TaskSpec(name: "y", kind: .binary)])
        let (split, note) = try DataSplit.planned(t, spec: spec, seed: 1)
        #expect(noTextStraddles(split, t))
        #expect(split.train.count == 20 && split.validation.count == 20 && split.test.isEmpty)
        #expect(note == "note: rows with identical inputs stay together, so the split is 50% / 50% / 0% of the rows rather than the asked 80% / 10% / 10%")
        let one = table("text,y\n" + String(repeating: "same,a\n", count: 10))
        #expect(try DataSplit.make(one, spec: spec, seed: 1) == DataSplit(train: Array(0..<10), validation: [], test: []))
    }

    /// Distinct inputs split exactly as the rule every saved run and published figure used,
    /// which `countingGroups` restates; they need no note.
    @Test func distinctRowsSplitAsBefore() throws {
        for rows in [3, 4, 5, 7, 10, 20, 50, 300, 1001] {
            for labels in 1...4 {
                let csv = "x,y\n" + (0..<rows).map { "\($0),c\(($0 * 7 + $0 / 3) % labels)\n" }.joined()
                for fractions in [[0.8, 0.1, 0.1], [0.7, 0.15, 0.15], [0.6, 0.2, 0.2], [0.9, 0.05, 0.05]] {
                    var spec = DatasetSpec(inputs: [InputSpec(kind: .numeric, column: "x")], tasks: [TaskSpec(name: "y", kind: .multiclass)])
                    spec.splitFractions = fractions
                    for seed: UInt64 in [0, 1, 42] {
                        let (split, note) = try DataSplit.planned(table(csv), spec: spec, seed: seed)
                        #expect(split == countingGroups(table(csv), spec: spec, seed: seed), "\(rows) rows, \(labels) labels, \(fractions), seed \(seed)")
                        #expect(note == nil)
                    }
                }
            }
        }
    }

    /// The split as it was before groups were weighed by their rows.
    func countingGroups(_ table: Table, spec: DatasetSpec, seed: UInt64) -> DataSplit {
        let groups = DataSplit.inputGroups(table, spec: spec, rows: Array(0..<table.rowCount))
        let strata = DataSplit.stratify(groups, table: table, task: DataSplit.strataTask(spec))
        var rng = SeededRandom(seed: seed, stream: 1)
        var split = DataSplit(train: [], validation: [], test: [])
        let f = spec.splitFractions
        for label in strata.keys.sorted() {
            var members = strata[label]!
            members.shuffle(using: &rng)
            let n = Double(members.count)
            let nTrain = Int((n * f[0]).rounded())
            let nVal = min(Int((n * f[1]).rounded()), members.count - nTrain)
            for (i, g) in members.enumerated() {
                if i < nTrain { split.train += groups[g] }
                else if i < nTrain + nVal { split.validation += groups[g] }
                else { split.test += groups[g] }
            }
        }
        split.train.sort(); split.validation.sort(); split.test.sort()
        if split.validation.isEmpty, f[1] > 0, split.train.count > 1 { split.validation.append(split.train.removeLast()) }
        return split
    }

    @Test func splitColumn() throws {
        let t = table("x,y,part\n1,a,train\n2,b,val\n3,a,test\n4,b,train\n")
        var spec = DatasetSpec(inputs: [InputSpec(kind: .numeric, column: "x")], tasks: [TaskSpec(name: "y", kind: .binary)])
        spec.splitColumn = "part"
        #expect(try DataSplit.make(t, spec: spec, seed: 1) == DataSplit(train: [0, 3], validation: [1], test: [2]))
        #expect(throws: DataError(file: "t.csv", line: 2, key: "column 'part'", "split must be train, val or test, found 'dev2'")) {
            try DataSplit.make(table("x,y,part\n1,a,dev2\n"), spec: spec, seed: 1)
        }
    }
}
