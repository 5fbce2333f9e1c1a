import Foundation
import Testing
import WeirTestSupport

/// The `sql` stage on DuckDB, through the built binary: results equal DuckDB's own (Python,
/// same version) on the same data, across the scan's blocks and threads, with nulls, self-joins,
/// windows and bound parameters; errors are located and clear; queries see only their inputs.
@Suite(.enabled(if: ReferencePython.available)) struct SQLEngineTests {
    static let queries: [(String, String)] = [
        (
            "grouped",
            "SELECT g, count(*) AS n, sum(id) AS s, avg(x) AS m, min(ts) AS first, max(d) AS last, count_if(flag) AS flagged FROM t GROUP BY g"
        ),
        (
            "self_join",
            "SELECT a.g, count(*) AS pairs, sum(b.x) AS total FROM t a JOIN t b ON a.id = b.id + 1 GROUP BY a.g"
        ),
        (
            "top3",
            "SELECT g, id, x, row_number() OVER (PARTITION BY g ORDER BY x DESC NULLS LAST, id) AS r FROM t QUALIFY r <= 3"
        ),
        (
            "months",
            "SELECT date_trunc('month', ts) AS month, datediff('day', min(d), max(d)) AS span, count(*) AS n FROM t GROUP BY ALL"
        ),
        ("bound", "SELECT count(*) AS n, sum(x) AS s FROM t WHERE x > $threshold AND g <> $group"),
        ("everything", "SELECT * FROM t"),
    ]

    /// 300,000 rows: three scan blocks, so both threads read; every column has nulls.
    static let generator = """
        import sys, numpy as np, pyarrow as pa, pyarrow.csv as csv
        n = 300_000
        rng = np.random.default_rng(11)
        def holes(values, share):
            mask = rng.random(n) < share
            return pa.array(values, mask=mask)
        base = np.datetime64("2024-01-01T00:00:00", "us")
        table = pa.table({
            "id": pa.array(np.arange(n)),
            "g": holes(rng.choice(["north", "south", "east", "west", "über"], n), 0.05),
            "x": holes(np.round(rng.normal(0, 1, n), 6), 0.1),
            "ts": holes(base + rng.integers(0, 400 * 86400 * 10**6, n).astype("timedelta64[us]"), 0.02),
            "d": holes((np.datetime64("2023-06-01") + rng.integers(0, 700, n).astype("timedelta64[D]")), 0.03),
            "flag": holes(rng.random(n) < 0.3, 0.04),
        })
        csv.write_csv(table, sys.argv[1])
        """

    /// Compares each Weir result with DuckDB's on the table Weir extracted (its Arrow file).
    static let comparison = """
        import sys, json, duckdb, pyarrow as pa, pyarrow.ipc as ipc, pyarrow.compute as pc
        folder, queries = sys.argv[1], json.loads(sys.argv[2])
        def naive(table):  # Weir writes timestamps as UTC; compare as plain TIMESTAMP
            return pa.table({n: (c.cast(pa.timestamp("us")) if pa.types.is_timestamp(c.type) else c) for n, c in zip(table.column_names, table.columns)})
        t = naive(ipc.open_file(f"{folder}/out/t.arrow").read_all())
        con = duckdb.connect()
        con.register("t", t)
        problems = []
        for name, query in queries:
            expected = con.execute(query.replace("$threshold", "0.5").replace("$group", "'east'")).fetch_arrow_table()
            got = naive(ipc.open_file(f"{folder}/out/{name}.arrow").read_all())
            if got.column_names != expected.column_names:
                problems.append(f"{name}: columns {got.column_names} vs {expected.column_names}"); continue
            keys = [(c, "ascending") for c in got.column_names]
            a, b = got.sort_by(keys), expected.sort_by(keys)
            if a.num_rows != b.num_rows:
                problems.append(f"{name}: {a.num_rows} rows vs {b.num_rows}"); continue
            for column in got.column_names:
                x, y = a[column].combine_chunks(), b[column].combine_chunks()
                if pa.types.is_floating(x.type) or pa.types.is_floating(y.type) or pa.types.is_decimal(y.type):
                    x, y = x.cast(pa.float64()), y.cast(pa.float64())
                    same = x.null_count == y.null_count and pc.all(pc.less_equal(pc.abs(pc.subtract(x, y)), pc.add(pc.multiply(pc.abs(y), 1e-9), 1e-12))).as_py() in (True, None)
                else:
                    same = x.cast(y.type).equals(y)
                if not same:
                    problems.append(f"{name}.{column} differs")
        print("\\n".join(problems) or "equal")
        """

    @Test func resultsEqualDuckDBsOwn() throws {
        let weir = try WeirProcess()
        try ReferencePython.run(Self.generator, [weir.directory + "/t.csv"])
        var stages = [
            "  t: { type: extract.csv, path: t.csv }", "  t_file: { type: load.arrow, input: t, path: out/t.arrow }",
        ]
        for (name, query) in Self.queries {
            stages.append("  \(name): { type: sql, input: t, query: \"\(query)\" }")
            stages.append("  \(name)_file: { type: load.arrow, input: \(name), path: out/\(name).arrow }")
        }
        try weir.write(
            "p.yaml", "params: { threshold: 0.5, group: east }\nstages:\n" + stages.joined(separator: "\n") + "\n")
        let run = try weir.run("run", "p.yaml", "--json")
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let pairs = Self.queries.map { [$0.0, $0.1] }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: pairs), as: UTF8.self)
        let verdict = try ReferencePython.run(Self.comparison, [weir.directory, json])
        #expect(verdict.trimmingCharacters(in: .whitespacesAndNewlines) == "equal")
        // The pass-through is the input, value for value and type for type.
        #expect(try Data(contentsOf: URL(fileURLWithPath: weir.directory + "/out/everything.arrow")).count > 0)
        let input = try weir.run("show", "p.yaml", "t", "--format", "csv")
        let output = try weir.run("show", "p.yaml", "everything", "--format", "csv")
        #expect(input.stdout == output.stdout)
    }

    @Test func compileErrorsPointIntoTheQuery() throws {
        let weir = try WeirProcess()
        try weir.write("a.csv", "id,name\n1,x\n")
        try weir.write(
            "p.yaml",
            """
            stages:
              a: { type: extract.csv, path: a.csv }
              q:
                type: sql
                input: a
                query: |
                  SELECT id,
                         nmae
                  FROM a

            """)
        let result = try weir.run("validate", "p.yaml")
        #expect(result.status != 0)
        #expect(
            result.stderr.contains("p.yaml:8:14: error: q.query: Binder Error: Referenced column \"nmae\" not found"),
            "\(result.stderr)")
        try weir.write(
            "p.yaml",
            "stages:\n  a: { type: extract.csv, path: a.csv }\n  q: { type: sql, input: a, query: \"SELECT id FORM a\" }\n"
        )
        let parse = try weir.run("validate", "p.yaml")
        #expect(
            parse.stderr.contains("p.yaml:3:52: error: q.query: Parser Error: syntax error at or near \"a\""),
            "\(parse.stderr)")
    }

    @Test func queriesSeeOnlyTheirInputs() throws {
        let weir = try WeirProcess()
        try weir.write("a.csv", "id\n1\n")
        for query in ["SELECT * FROM read_csv('a.csv')", "SELECT * FROM 'a.csv'"] {
            try weir.write(
                "p.yaml",
                "stages:\n  a: { type: extract.csv, path: a.csv }\n  q: { type: sql, input: a, query: \"\(query)\" }\n")
            let result = try weir.run("validate", "p.yaml")
            #expect(result.status != 0, "\(query)")
            #expect(result.stderr.contains("q.query:"), "\(result.stderr)")
        }
        try weir.write(
            "p.yaml",
            "stages:\n  a: { type: extract.csv, path: a.csv }\n  q: { type: sql, input: a, query: \"SET threads = 1\" }\n"
        )
        #expect(try weir.run("validate", "p.yaml").stderr.contains("is not a SELECT"))
    }

    @Test func valuesThatDoNotFitFailLoudly() throws {
        let weir = try WeirProcess()
        try weir.write("a.csv", "v\n9223372036854775807\n9223372036854775807\n")
        try weir.write(
            "p.yaml",
            """
            stages:
              a: { type: extract.csv, path: a.csv }
              total: { type: sql, input: a, query: "SELECT sum(v) AS s FROM a" }

            """)
        let result = try weir.run("run", "p.yaml", "--json")
        #expect(result.status == 1)
        let failed = result.events.first {
            $0["stage"] as? String == "total" && $0["event"] as? String == "stage_finished"
        }
        #expect(
            (failed?["error"] as? String)?.contains("result column 's' is int64 but row 1 holds 18446744073709551614")
                == true,
            "\(String(describing: failed))")
    }

    @Test func infiniteTimestampsAndDatesAreErrorsNotExtremeValues() throws {
        let weir = try WeirProcess()
        try weir.write("a.csv", "id\n1\n")
        for (column, query) in [
            ("t", "SELECT 'infinity'::TIMESTAMP AS t FROM a"), ("d", "SELECT '-infinity'::DATE AS d FROM a"),
        ] {
            try weir.write(
                "p.yaml",
                "stages:\n  a: { type: extract.csv, path: a.csv }\n  q: { type: sql, input: a, query: \"\(query)\" }\n")
            let result = try weir.run("run", "p.yaml", "--json")
            #expect(result.status == 1)
            let failed = result.events.first {
                $0["stage"] as? String == "q" && $0["event"] as? String == "stage_finished"
            }
            #expect(
                (failed?["error"] as? String)?.contains("result column '\(column)'") == true,
                "\(String(describing: failed))")
            #expect((failed?["error"] as? String)?.contains("infinite") == true, "\(String(describing: failed))")
        }
    }

    @Test func aMemoryLimitIsNamedWhenAQueryOutgrowsIt() throws {
        let weir = try WeirProcess()
        try weir.write("a.csv", "id\n1\n")
        try weir.write(
            "p.yaml",
            """
            stages:
              a: { type: extract.csv, path: a.csv }
              big: { type: sql, input: a, memory_limit: 20MB, query: "SELECT length(string_agg(x::VARCHAR, ',')) AS n FROM range(20000000) t(x)" }

            """)
        let result = try weir.run("run", "p.yaml", "--json")
        #expect(result.status == 1)
        let failed = result.events.first {
            $0["stage"] as? String == "big" && $0["event"] as? String == "stage_finished"
        }
        let error = failed?["error"] as? String ?? ""
        #expect(error.contains("Out of Memory"), "\(error)")
        #expect(
            result.stdout.contains("memory_limit is 20MB") || result.stderr.contains("memory_limit is 20MB"),
            "\(result.stdout)")
    }

    @Test func aGroupByLargerThanItsMemoryLimitSpillsIntoTheStateDirectory() throws {
        let weir = try WeirProcess()
        try weir.write("a.csv", "id\n1\n")
        try weir.write(
            "p.yaml",
            """
            stages:
              a: { type: extract.csv, path: a.csv }
              wide: { type: sql, input: a, memory_limit: 100MB, query: "SELECT count(*) AS groups, sum(c) AS n FROM (SELECT x, count(*) AS c FROM range(20000000) t(x) GROUP BY x)" }

            """)
        let result = try weir.run("run", "p.yaml")
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(try weir.run("show", "p.yaml", "wide", "--format", "csv").stdout == "groups,n\n20000000,20000000\n")
        // The spill folder is gone; nothing was written beside the pipeline.
        let left = (try? FileManager.default.contentsOfDirectory(atPath: weir.directory + "/.weir/tmp")) ?? []
        #expect(!left.contains { $0.hasPrefix("sql-") }, "\(left)")
        #expect(!FileManager.default.fileExists(atPath: weir.directory + "/.tmp"))
    }
}
