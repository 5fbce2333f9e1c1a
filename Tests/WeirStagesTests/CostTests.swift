import Foundation
import Testing
import WeirCore
import WeirTable
import WeirTestSupport

@testable import WeirStages

/// The committed cost sample (scripts/gen/costs.py) and its truth file.
enum CostSample {
    static let path = ReferencePython.packageRoot.appendingPathComponent("data/costs/daily_costs.csv").path
    static func table() throws -> Table { try CSVReader.read(path: path, options: CSVOptions()).table }
    static let columns = "date: line_item_usage_start_date, group: product_servicename, value: line_item_unblended_cost"
    static var referenceParams: [String: Any] {
        [
            "date": "line_item_usage_start_date", "group": "product_servicename",
            "value": "line_item_unblended_cost",
        ]
    }
    struct Truth: Decodable {
        struct Spike: Decodable {
            let service: String
            let date: String
        }
        struct Reversal: Decodable {
            let service: String
            let turn_date: String
        }
        let spikes: [Spike]
        let reversal: Reversal
    }
    static func truth() throws -> Truth {
        try JSONDecoder().decode(
            Truth.self,
            from: Data(contentsOf: ReferencePython.packageRoot.appendingPathComponent("data/costs/truth.json")))
    }

    static func run(_ type: String, _ params: String = "") throws -> [String: Table] {
        let yaml =
            "stages:\n  t: { type: extract.csv, path: x.csv }\n  s: { type: \(type), input: t, \(columns)\(params.isEmpty ? "" : ", " + params) }\n"
        return try runStageOutputs(yaml, stage: "s", inputs: [table()])
    }

    static func reference<T: Decodable>(_ type: T.Type, _ mode: String, _ extra: [String: Any] = [:]) throws -> T {
        let params = referenceParams.merging(extra) { $1 }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: params), as: UTF8.self)
        return try ReferencePython.json(T.self, script: "costs.py", [mode, path, json])
    }
}

func close(_ a: Double?, _ b: Double?, _ tolerance: Double = 1e-9) -> Bool {
    switch (a, b) {
    case (nil, nil): true
    case (let x?, let y?): abs(x - y) <= tolerance * max(1, abs(y))
    default: false
    }
}

@Suite(
    .enabled(
        if: ReferencePython.available, "needs the reference Python (scripts/venv.sh scripts/requirements/test.txt)"))
struct CostParityTests {
    struct SpikeRow: Decodable {
        let date: String
        let group: String
        let value: Double
        let mean: Double?
        let std: Double?
        let z: Double?
        let flagged: Bool
    }

    @Test(arguments: ["", "window: 30, min_history: 7, threshold: 2.5"])
    func spikesEqualPandasRolling(params: String) throws {
        let outputs = try CostSample.run("cost.spikes", params)
        let scores = try #require(outputs["scores"])
        let extra: [String: Any] = params.isEmpty ? [:] : ["window": 30, "min_history": 7, "threshold": 2.5]
        let expected = try CostSample.reference([SpikeRow].self, "spikes", extra)
            .sorted { ($0.date, $0.group) < ($1.date, $1.group) }
        #expect(scores.rowCount == expected.count)
        for (row, want) in expected.enumerated() where row < scores.rowCount {
            #expect(scores.columns[0][row].description == want.date && scores.columns[1].strings[row] == want.group)
            #expect(close(scores.columns[2].float64s[row], want.value))
            #expect(close(scores.columns[3].double(at: row), want.mean), "mean \(want.date) \(want.group)")
            #expect(close(scores.columns[4].double(at: row), want.std, 1e-8), "std \(want.date) \(want.group)")
            #expect(close(scores.columns[5].double(at: row), want.z, 1e-7), "z \(want.date) \(want.group)")
            #expect(scores.columns[6].bool(at: row) == want.flagged, "flag \(want.date) \(want.group)")
        }
    }

    @Test func everyPlantedSpikeIsFlaggedAndLatestDayAlerts() throws {
        let outputs = try CostSample.run("cost.spikes")
        let scores = try #require(outputs["scores"])
        let alerts = try #require(outputs["alerts"])
        var flagged = Set<String>()
        for row in 0..<scores.rowCount where scores.columns[6].bool(at: row) {
            flagged.insert(scores.columns[0][row].description + "|" + scores.columns[1].strings[row])
        }
        let truth = try CostSample.truth()
        // Spikes before 14 days of history cannot be scored; the generator plants none there.
        for spike in truth.spikes {
            #expect(flagged.contains(spike.date + "|" + spike.service), "\(spike.service) on \(spike.date)")
        }
        let latest = truth.spikes.map(\.date).max()!
        let expectedAlerts = Set(truth.spikes.filter { $0.date == latest }.map(\.service))
        let alerted = Set((0..<alerts.rowCount).map { alerts.columns[1].strings[$0] })
        #expect(expectedAlerts.isSubset(of: alerted))
    }

    struct TrendRow: Decodable {
        let date: String
        let group: String
        let ema_fast: Double
        let ema_slow: Double
        let macd: Double
        let signal: Double
        let cross: String?
    }

    @Test func macdAndCrossoversEqualPandasEwm() throws {
        let outputs = try CostSample.run("cost.trend")
        let series = try #require(outputs["series"])
        let crossovers = try #require(outputs["crossovers"])
        let expected = try CostSample.reference([TrendRow].self, "trend").sorted {
            ($0.date, $0.group) < ($1.date, $1.group)
        }
        #expect(series.rowCount == expected.count)
        for (row, want) in expected.enumerated() where row < series.rowCount {
            for (c, value) in [(3, want.ema_fast), (4, want.ema_slow), (5, want.macd), (6, want.signal)] {
                #expect(close(series.columns[c].float64s[row], value, 1e-9), "\(want.date) \(want.group) column \(c)")
            }
        }
        let mine = Set(
            (0..<crossovers.rowCount).map {
                crossovers.columns[0][$0].description + "|" + crossovers.columns[1].strings[$0] + "|"
                    + crossovers.columns[2].strings[$0]
            })
        let theirs = Set(expected.compactMap { row in row.cross.map { row.date + "|" + row.group + "|" + $0 } })
        #expect(mine == theirs)
    }

    @Test func plantedReversalIsFound() throws {
        let crossovers = try #require(try CostSample.run("cost.trend")["crossovers"])
        let truth = try CostSample.truth().reversal
        let turn = Temporal.parseDate(truth.turn_date)!
        let downs = (0..<crossovers.rowCount).filter {
            crossovers.columns[1].strings[$0] == truth.service && crossovers.columns[2].strings[$0] == "down"
        }.map { crossovers.columns[0].dates[$0] }
        #expect(
            downs.contains { $0 >= turn && $0 <= turn + 10 }, "down crossovers of \(truth.service): \(downs.suffix(5))")
    }

    struct Totals: Decodable {
        struct Day: Decodable {
            let date: String
            let total: Double
            let dod_change: Double?
            let dod_pct: Double?
            let wow_change: Double?
            let wow_pct: Double?
        }
        let daily: [Day]
        let month: String
        let mtd: [String: Double]
    }

    @Test func totalsEqualPandas() throws {
        let outputs = try CostSample.run("cost.totals")
        let daily = try #require(outputs["daily"])
        let mtd = try #require(outputs["mtd"])
        let expected = try CostSample.reference(Totals.self, "totals")
        #expect(daily.rowCount == expected.daily.count)
        for (row, want) in expected.daily.enumerated() where row < daily.rowCount {
            #expect(daily.columns[0][row].description == want.date)
            #expect(close(daily.columns[1].float64s[row], want.total))
            #expect(
                close(daily.columns[2].double(at: row), want.dod_change, 1e-8)
                    && close(daily.columns[3].double(at: row), want.dod_pct, 1e-8))
            #expect(
                close(daily.columns[4].double(at: row), want.wow_change, 1e-8)
                    && close(daily.columns[5].double(at: row), want.wow_pct, 1e-8))
        }
        #expect(mtd.rowCount == expected.mtd.count)
        for row in 0..<mtd.rowCount {
            #expect(mtd.columns[1].strings[row] == expected.month)
            #expect(
                close(mtd.columns[2].float64s[row], expected.mtd[mtd.columns[0].strings[row]]),
                "\(mtd.columns[0].strings[row])")
        }
    }
}
