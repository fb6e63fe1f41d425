import MTLData
import MTLEngine
import Testing
@testable import MTLTUI

/// A split without validation rows (`--split 1,0,0`): the dashboard shows "—", not a loss of 0.
@Suite struct NoValidationTests {
    @Test func epochsWithoutValidationRowsShowNoValidationLoss() {
        var snapshot = Fixture.run.snapshot
        for e in snapshot.history.indices {
            for t in snapshot.history[e].validation.indices {
                snapshot.history[e].validation[t].count = 0
                snapshot.history[e].validation[t].loss = 0
            }
        }
        let grid = Screen.render(snapshot, ViewState(), Fixture.run.context, width: 200, height: 60)
        let rows = grid.text.split(separator: "\n").map(String.init)
        let header = rows.firstIndex { $0.contains("val loss") && $0.contains("metric") }
        #expect(header != nil)
        if let header {
            let first = rows[header + 1]
            #expect(first.contains(snapshot.tasks[0]) && !first.contains("0.000") && first.contains("—"), "\(first)")
        }
        #expect(!grid.text.contains("val 0"))
    }
}
