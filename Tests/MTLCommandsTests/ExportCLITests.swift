import Foundation
import Testing

/// An interpreter with torch: `MTL_TUI_PYTHON` when set, else `python3`; nil when neither imports torch.
let torchPython: String? = {
    let candidate = ProcessInfo.processInfo.environment["MTL_TUI_PYTHON"] ?? "python3"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [candidate, "-c", "import torch"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return nil }
    process.waitUntilExit()
    return process.terminationStatus == 0 ? candidate : nil
}()

@Suite(.serialized) struct ExportCLITests {
    /// Text and tabular data with a binary, a multiclass and a regression task; blanks and an unseen category.
    func data(_ s: Scratch) -> (text: String, table: String) {
        s.write("text/reviews.csv", reviewsCSV(rows: 80))
        s.write("text/spec.toml", """
            [[input]]
            column = "text"
            kind = "text"
            max_length = 6

            [[task]]
            name = "label"
            kind = "binary"

            [[task]]
            name = "score"
            kind = "regression"
            """)
        var csv = "x,color,kind,size\n"
        for i in 0..<60 {
            // Gaps as an empty cell and as R's NA, which both read as missing.
            let x = i % 9 == 0 ? "" : i % 9 == 4 ? "NA" : String(Double(i % 13) * 0.7 - 2)
            // A category spelled NA, which pandas reads as NaN.
            let color = i % 10 == 7 ? "NA" : ["red", "green", "blue"][i % 3]
            csv += "\(x),\(color),\(["a", "b", "c"][(i / 2) % 3]),\(Double(i % 5) + 0.5)\n"
        }
        csv += ",purple,a,1\n"
        s.write("table/rows.csv", csv)
        s.write("table/spec.toml", """
            [[input]]
            column = "x"
            kind = "numeric"

            [[input]]
            column = "color"
            kind = "categorical"

            [[task]]
            name = "kind"
            kind = "multiclass"

            [[task]]
            name = "size"
            kind = "regression"
            """)
        return (s.path + "/text", s.path + "/table")
    }

    /// Rows of `predict --probabilities` as header → value.
    func predictions(_ checkpoint: String, _ file: String) throws -> [[String: Double]] {
        let result = try CLI.run(["predict", checkpoint, file, "--probabilities"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return lines.dropFirst().map { cells in
            Dictionary(zip(lines[0], cells).compactMap { k, v in Double(v).map { (k, $0) } }, uniquingKeysWith: { a, _ in a })
        }
    }

    @Test(.enabled(if: torchPython != nil, "PyTorch not found (python3 or MTL_TUI_PYTHON): the export parity test is skipped"))
    func exportedModulesPredictAsPredictDoes() throws {
        let s = Scratch()
        let (text, table) = data(s)
        let cases: [(name: String, data: String, file: String, flags: [String])] = [
            ("cnn", text, "reviews.csv", ["--trunk", "cnn", "--embedding", "6", "--filters", "5", "--kernel", "3", "--hidden", "4"]),
            ("mlp-text", text, "reviews.csv", ["--trunk", "mlp", "--hidden", "6,4"]),
            ("mlp-table", table, "rows.csv", ["--trunk", "mlp", "--hidden", "5"]),
            ("gru", text, "reviews.csv", ["--trunk", "gru", "--embedding", "5", "--hidden", "4"]),
            ("bag", text, "reviews.csv", ["--trunk", "bag", "--embedding", "6"]),
            ("cnn-wide", text, "reviews.csv", ["--trunk", "cnn+wide", "--embedding", "6", "--filters", "5", "--kernel", "3", "--hidden", "4"]),
            ("cnn-wide-chars", text, "reviews.csv", ["--trunk", "cnn+wide", "--char-ngrams", "--embedding", "6", "--filters", "5", "--kernel", "3", "--hidden", "4"]),
            ("bag-chars", text, "reviews.csv", ["--trunk", "bag", "--char-ngrams", "--embedding", "6"]),
        ]
        for c in cases {
            let run = s.path + "/" + c.name, module = s.path + "/\(c.name).py", file = c.data + "/" + c.file
            let train = try CLI.run(["train", c.data, "--epochs", "3", "--save", run] + c.flags)
            try #require(train.status == 0, "\(c.name): \(train.stderr)")
            let export = try CLI.run(["export", run, "--pytorch", module])
            try #require(export.status == 0, "\(c.name): \(export.stderr)")
            let expected = try predictions(run, file)

            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [torchPython!, module, run + "/model.safetensors", file]
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let stdout = out.fileHandleForReading.readDataToEndOfFile()
            let stderr = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0, "\(c.name): \(String(decoding: stderr, as: UTF8.self))")
            let rows = String(decoding: stdout, as: UTF8.self).split(separator: "\n")
            try #require(rows.count == expected.count, "\(c.name): \(rows.count) rows, predict gave \(expected.count)")

            let model = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/model.json"))) as! [String: Any]
            let tasks = (model["encoder"] as! [String: Any])["tasks"] as! [[String: Any]]
            var compared = 0
            for (row, line) in zip(expected, rows) {
                let got = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: [String: Any]]
                for task in tasks {
                    let name = (task["spec"] as! [String: Any])["name"] as! String
                    if let probabilities = got["probabilities"]?[name] as? [Double] {
                        let classes = task["classes"] as! [String]
                        for (cls, p) in zip(classes, probabilities) {
                            let want = try #require(row["\(name).\(cls)"], "\(c.name): no column \(name).\(cls)")
                            #expect(abs(p - want) <= 1e-4, "\(c.name) \(name).\(cls): torch \(p), predict \(want)")
                            compared += 1
                        }
                    } else {
                        let value = try #require(got["values"]?[name] as? Double, "\(c.name): no value for \(name)")
                        let want = try #require(row[name])
                        #expect(abs(value - want) <= 1e-4 * max(1, abs(want)), "\(c.name) \(name): torch \(value), predict \(want)")
                        compared += 1
                    }
                }
            }
            #expect(compared >= expected.count * 2, "\(c.name): compared \(compared) values")
        }
    }

    /// Rows as pandas or JSON give them (numbers as floats, gaps as NaN or None) predict as the same rows read from the CSV.
    @Test(.enabled(if: torchPython != nil, "PyTorch not found (python3 or MTL_TUI_PYTHON): the export parity test is skipped"))
    func exportedModulesTakeNumbersAndNaNAsWellAsText() throws {
        let s = Scratch()
        let (_, table) = data(s)
        let run = s.path + "/run", module = s.path + "/exported.py"
        try #require(try CLI.run(["train", table, "--epochs", "2", "--trunk", "mlp", "--hidden", "5", "--save", run]).status == 0)
        try #require(try CLI.run(["export", run, "--pytorch", module]).status == 0)
        let script = """
            import csv, math, sys
            sys.path.insert(0, sys.argv[1])
            from exported import load
            model = load(sys.argv[2])
            rows = list(csv.DictReader(open(sys.argv[3], newline="")))
            typed = []
            for i, row in enumerate(rows):
                x = row["x"]
                gap = None if i % 2 else float("nan")
                typed.append({"x": gap if x in ("", "NA") else float(x),
                              "color": float("nan") if row["color"] == "NA" else row["color"]})
            a, b = model.predict(rows), model.predict(typed)
            worst = max(abs(p - q) for r, t in zip(a, b) for task in r["probabilities"]
                        for p, q in zip(r["probabilities"][task], t["probabilities"][task]))
            assert worst < 1e-6, worst
            print(len(rows))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [torchPython!, "-c", script, s.path, run + "/model.safetensors", table + "/rows.csv"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "61", "\(stderr)")
    }

    @Test func unsupportedKindsAreRefusedInOneLine() throws {
        let s = Scratch()
        let (text, _) = data(s)
        let train = try CLI.run(["train", text, "--epochs", "1", "--trunk", "mlp", "--hidden", "4", "--sharing", "mmoe:2", "--save", s.path + "/mmoe"])
        try #require(train.status == 0, "\(train.stderr)")
        let result = try CLI.run(["export", s.path + "/mmoe", "--pytorch", s.path + "/mmoe.py"])
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1 && result.stderr.contains("mmoe:2 sharing is not supported"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.path + "/mmoe.py"))
        let missing = try CLI.run(["export", s.path + "/nothing", "--pytorch", s.path + "/x.py"])
        #expect(missing.status == 1 && missing.stderrLines.count == 1, "\(missing.stderr)")
    }

    /// FILE is never the checkpoint's own file, the data or any file export did not write; a
    /// directory is one line naming it. A module an earlier export wrote is replaced.
    @Test func exportNeverOverwritesWhatItDidNotWrite() throws {
        let s = Scratch()
        let (_, table) = data(s)
        let run = s.path + "/run"
        try #require(try CLI.run(["train", table, "--epochs", "1", "--trunk", "mlp", "--hidden", "4", "--save", run]).status == 0)
        let mine = s.write("mine.py", "print('mine')\n")
        let weights = try Data(contentsOf: URL(fileURLWithPath: run + "/model.safetensors"))
        let data = try Data(contentsOf: URL(fileURLWithPath: table + "/rows.csv"))
        let refused: [(target: String, says: String)] = [
            (run + "/model.safetensors", "is inside the exported checkpoint"),
            (run + "/module.py", "is inside the exported checkpoint"),
            (table + "/rows.csv", "exists and is not a module written by mtl-tui export"),
            (mine, "exists and is not a module written by mtl-tui export"),
            (s.path, "'\(s.path)' is a directory; expected a file name ending in .py"),
            (s.path + "/missing/x.py", "cannot write in '\(s.path)/missing'"),
        ]
        for (target, says) in refused {
            let result = try CLI.run(["export", run, "--pytorch", target])
            #expect(result.status == 1 && result.stderrLines.count == 1 && result.stderr.contains("--pytorch: ") && result.stderr.contains(says),
                    "\(target): \(result.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: run + "/model.safetensors")) == weights)
        #expect(try Data(contentsOf: URL(fileURLWithPath: table + "/rows.csv")) == data)
        #expect(try String(contentsOfFile: mine, encoding: .utf8) == "print('mine')\n")
        #expect(!FileManager.default.fileExists(atPath: run + "/module.py"))
        let module = s.path + "/module.py"
        for _ in 0..<2 {
            let result = try CLI.run(["export", run, "--pytorch", module])
            #expect(result.status == 0, "\(result.stderr)")
        }
    }

    /// An ensemble (cv --save) is refused in one line that names a member to export instead.
    @Test func anEnsembleNamesAMemberToExport() throws {
        let s = Scratch()
        let (_, table) = data(s)
        let ensemble = s.path + "/cv"
        let cv = try CLI.run(["cv", table, "--folds", "2", "--epochs", "1", "--trunk", "mlp", "--hidden", "4", "--save", ensemble])
        try #require(cv.status == 0, "\(cv.stderr)")
        let result = try CLI.run(["export", ensemble, "--pytorch", s.path + "/m.py"])
        #expect(result.status == 1 && result.stderrLines.count == 1
                && result.stderr.contains("is an ensemble (cv --save), which cannot be exported; export one of its members: mtl-tui export \(ensemble)/fold-1 --pytorch FILE"),
                "\(result.stderr)")
        #expect(try CLI.run(["export", ensemble + "/fold-1", "--pytorch", s.path + "/m.py"]).status == 0)
    }
}
