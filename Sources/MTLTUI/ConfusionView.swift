import MTLData
import MTLEngine

/// View 4: the selected task's confusion matrix at the latest evaluation, shaded by row share.
enum ConfusionView {
    static func draw(_ grid: inout Grid, _ s: TrainerSnapshot, _ state: ViewState, _ context: WorkbenchContext, y: Int, height: Int) {
        let t = min(state.task, max(s.tasks.count - 1, 0))
        // After early stopping, the epoch whose weights the run kept.
        let record = s.keptRecord
        if let watched = context.watched {
            // A watched run: its examples event's counts, else its epoch events' (no curves: they need the rows).
            if WatchedExamplesView.drawConfusion(&grid, s, state, watched: watched, y: y, height: height) { return }
            if !s.tasks.isEmpty, s.taskKinds[t] == .regression { return RegressionView.drawWatched(&grid, s, task: t, y: y) }
            if !s.tasks.isEmpty, record?.validation.indices.contains(t) != true || record?.validation[t].confusion == nil {
                grid.put(WatchedExamplesView.noExamples(s.tasks[t]), x: 1, y: y + 1, style: Style(.muted), limit: grid.width - 2)
                return
            }
        } else if CurvesView.applies(s, state, context) {
            return CurvesView.draw(&grid, s, state, context, y: y, height: height)
        } else if RegressionView.applies(s, state, context) {
            return RegressionView.draw(&grid, s, state, context, y: y, height: height)
        }
        // A finished run's kept model, when it is not the last epoch's (restored, or the linear model).
        let kept = context.watched == nil ? s.keptValidation : nil
        let validation = kept ?? record?.validation ?? []
        guard let record, validation.indices.contains(t), let matrix = validation[t].confusion else {
            let reason = s.tasks.isEmpty || s.taskKinds[t] == .regression || s.taskKinds[t] == .multilabel
                ? "\(s.tasks.isEmpty ? "" : s.tasks[t]) has no confusion matrix (T: next task)" : "The confusion matrix appears after the first evaluation."
            grid.put(reason, x: 1, y: y + 1, style: Style(.muted))
            return
        }
        let metrics = validation[t]
        let classes = context.classes[t]
        let model = kept == nil ? "epoch \(record.epoch)" : s.linearTasks.contains(s.tasks[t]) ? "the kept linear model" : "kept epoch \(record.epoch)"
        let title = FitText.fields([(s.tasks[t], 9), ("validation, \(model)", 3), ("rows true, columns predicted", 1),
                                    ("accuracy \(LineChart.format(metrics.accuracy ?? 0))", 5)], width: grid.width - 2)
        grid.put(title, x: 1, y: y, style: Style(Role.task(t), bold: true), limit: grid.width - 2)
        let layout = Self.matrix(&grid, classes: classes, matrix: matrix, state: state, y: y, height: height)
        let precision = metrics.precision ?? [], recall = metrics.recall ?? []
        let line = y + 4 + layout.rows.count
        for (c, name) in classes.enumerated() where line + c < y + height && precision.indices.contains(c) {
            grid.put(layout.label(c, name).padded(layout.labelWidth) + NumberText.format("  precision %.3f", precision[c]) + NumberText.format("  recall %.3f", recall[c]),
                     x: 1, y: line + c, style: Style(.muted))
        }
    }

    /// Where the matrix's parts go in `width` columns: class names over the columns when each
    /// fits whole, else the classes' numbers, each row label starting with its number (the
    /// legend); cells as narrow as the largest count allows; and when the classes still do not
    /// fit, the columns and rows around the selected cell, so it is always on screen.
    struct Layout {
        var numbered: Bool
        /// Columns of the largest class number.
        var numberWidth: Int
        var labelWidth: Int
        var countWidth: Int
        var cellWidth: Int
        var columns: Range<Int>
        var rows: Range<Int>

        init(classes: [String], matrix: [[Int]], width: Int, rows room: Int, selected: (row: Int, column: Int)) {
            let n = max(classes.count, 1)
            let longest = classes.map { TextWidth.of($0) }.max() ?? 4
            let digits = String(matrix.joined().max() ?? 0).count
            // Names: the roomy cells of old, wide enough for the longest (up to 20 columns).
            labelWidth = min(16, longest + 1)
            countWidth = max(5, digits)
            cellWidth = max(countWidth + 2, min(max(12, min(20, longest + 2)), (width - labelWidth - 4) / n))
            numbered = longest >= cellWidth || 2 + labelWidth + n * cellWidth > width
            numberWidth = String(n).count
            if numbered {
                labelWidth = numberWidth + 1 + min(16, longest) + 1
                countWidth = max(digits, numberWidth)
                cellWidth = countWidth + 3
            } else {
                // Counts as wide as the names over them (the shade after each still in its cell),
                // so each name ends where its column's counts do.
                countWidth = max(countWidth, min(longest, cellWidth - 2))
            }
            let shown = max(1, min(n, (width - 2 - labelWidth) / cellWidth))
            columns = Self.window(around: selected.column, count: classes.count, shown: shown)
            rows = Self.window(around: selected.row, count: matrix.count, shown: max(1, min(matrix.count, room)))
        }

        /// `shown` of `count` indices, `index` in the middle where the ends allow.
        static func window(around index: Int, count: Int, shown: Int) -> Range<Int> {
            let first = max(0, min(index - shown / 2, count - shown))
            return first..<min(count, first + shown)
        }

        /// A row's label: its number first when the columns are numbered.
        func label(_ c: Int, _ name: String) -> String {
            numbered ? String(c + 1).leftPadded(numberWidth) + " " + name : name
        }
    }

    /// The matrix under a header at `y`: the selected cell in words, the column heads, and the
    /// rows, shaded by row share with the cursor's cell highlighted. Returns its layout.
    @discardableResult
    static func matrix(_ grid: inout Grid, classes: [String], matrix: [[Int]], state: ViewState, y: Int, height: Int) -> Layout {
        let layout = Layout(classes: classes, matrix: matrix, width: grid.width, rows: height - 3,
                            selected: (state.confusionRow, state.confusionColumn))
        func name(_ c: Int) -> String { classes.indices.contains(c) ? classes[c] : "?" }
        let x0 = 2 + layout.labelWidth
        if matrix.indices.contains(state.confusionRow), matrix[state.confusionRow].indices.contains(state.confusionColumn) {
            let counts = matrix[state.confusionRow]
            var fields = [("true \(name(state.confusionRow)) → predicted \(name(state.confusionColumn))", 9),
                          ("\(counts[state.confusionColumn]) of \(counts.reduce(0, +)) rows", 8), ("enter lists them", 2)]
            if layout.columns.count < classes.count {
                fields.append(("columns \(layout.columns.lowerBound + 1)–\(layout.columns.upperBound) of \(classes.count)", 4))
            }
            grid.put(FitText.fields(fields, width: grid.width - 2), x: 1, y: y + 1, style: Style(.muted), limit: grid.width - 2)
        }
        // The axes in the corner, where they fit (the title leaves them out first).
        let corner = "true \\ pred"
        if TextWidth.of(corner) < layout.labelWidth { grid.put(corner, x: 1, y: y + 2, style: Style(.muted)) }
        for (i, c) in layout.columns.enumerated() {
            let head = (layout.numbered ? String(c + 1) : name(c)).leftPadded(layout.countWidth)
            grid.put(head, x: x0 + i * layout.cellWidth, y: y + 2, style: Style(.muted, bold: true), limit: layout.cellWidth - 1)
        }
        // More columns either side: an arrow in the gap beside the heads.
        let arrows = state.unicode ? ("‹", "›") : ("<", ">")
        if layout.columns.lowerBound > 0 { grid.put(arrows.0, x: x0 - 1, y: y + 2, style: Style(.highlight, bold: true)) }
        if layout.columns.upperBound < classes.count {
            grid.put(arrows.1, x: x0 + layout.columns.count * layout.cellWidth - 1, y: y + 2, style: Style(.highlight, bold: true))
        }
        for (line, r) in layout.rows.enumerated() {
            let top = y + 3 + line
            grid.put(layout.label(r, name(r)).padded(layout.labelWidth - 1), x: 1, y: top, style: Style(.muted, bold: true))
            let counts = matrix[r]
            let total = max(counts.reduce(0, +), 1)
            for (i, c) in layout.columns.enumerated() where counts.indices.contains(c) {
                let share = Double(counts[c]) / Double(total)
                let role: Role = counts[c] == 0 ? .muted : r == c ? (share > 0.5 ? .good : .warning) : (share > 0.1 ? .bad : .text)
                let selected = r == state.confusionRow && c == state.confusionColumn
                let text = String(counts[c]).leftPadded(layout.countWidth) + " " + shade(share, unicode: state.unicode)
                grid.put(text, x: x0 + i * layout.cellWidth, y: top,
                         style: selected ? Style(.selectedText, background: .selectedBackground, bold: true) : Style(role, bold: share > 0.5))
            }
        }
        return layout
    }

    static func shade(_ share: Double, unicode: Bool) -> String {
        let levels = unicode ? Array(" ░▒▓█") : Array(" .:*#")
        return String(levels[min(levels.count - 1, Int(share * Double(levels.count - 1) + 0.5))])
    }
}

extension String {
    /// Right-aligned in `width` columns (never cut: a longer text is returned whole).
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - TextWidth.of(self))) + self }
}
