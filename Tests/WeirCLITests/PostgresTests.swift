import Foundation
import Testing
import WeirTestSupport

/// extract.postgres and load.postgres against a real PostgreSQL server (Debian's, started for
/// this process), checked through the psql shell.
@Suite(.serialized) struct PostgresTests {
    static func server() throws -> PostgresTestServer { try PostgresTestServer.shared.get() }

    static func project(_ pipeline: String) throws -> WeirProcess {
        var weir = try WeirProcess()
        weir.environment["DATABASE_URL"] = try server().url
        try weir.write("p.yaml", pipeline)
        return weir
    }

    @Test(.enabled(if: PostgresTestServer.enabled)) func extractsEveryMappedTypeExactly() throws {
        let pg = try Self.server()
        try pg.sql(
            """
            DROP TABLE IF EXISTS types; CREATE TABLE types (id int, small smallint, big bigint, r real, d double precision, n numeric(14,4),
              b boolean, t text, v varchar(10), c char(3), day date, ts timestamp, tz timestamptz, u uuid);
            INSERT INTO types VALUES
              (1, -2, 9007199254740993, 1.5, 0.1, 12345678.1234, true, 'ann, "jr"', 'é', 'ab', '2024-02-29', '2024-02-29 12:34:56.789', '1999-12-31 23:59:59.999999+00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
              (2, null, null, null, null, -0.0001, false, '', null, null, '1969-07-20', '1970-01-01 00:00:00', '2038-01-19 03:14:08+02', null),
              (3, 32767, -9223372036854775808, -0, 1e300, 0, null, null, null, null, null, null, null, null);
            """)
        let weir = try Self.project(
            """
            pipeline: pg
            stages:
              rows: { type: extract.postgres, dsn: "${env.DATABASE_URL}", query: "SELECT * FROM types ORDER BY id;" }
              exact: { type: extract.postgres, dsn: "${env.DATABASE_URL}", query: "SELECT n FROM types ORDER BY id", numeric: text }

            """)
        let run = try weir.run("run", "p.yaml")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let schema = try weir.run("show", "p.yaml", "rows", "--schema").stdout
        let types = schema.split(separator: "\n").dropFirst().map { $0.split(separator: " ").joined(separator: " ") }
        #expect(
            types == [
                "id int64", "small int64", "big int64", "r float64", "d float64", "n float64", "b bool", "t string",
                "v string",
                "c string", "day date", "ts timestamp", "tz timestamp", "u string",
            ], "\(schema)")
        let csv = try weir.run("show", "p.yaml", "rows", "--format", "csv").stdout.split(separator: "\n").map(
            String.init)
        #expect(
            csv[1]
                == #"1,-2,9007199254740993,1.5,0.1,12345678.1234,true,"ann, ""jr""",é,ab ,2024-02-29,2024-02-29T12:34:56.789Z,1999-12-31T23:59:59.999999Z,a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"#,
            "\(csv[1])")
        #expect(csv[2] == "2,,,,,-0.0001,false,,,,1969-07-20,1970-01-01T00:00:00Z,2038-01-19T01:14:08Z,", "\(csv[2])")
        #expect(csv[3] == "3,32767,-9223372036854775808,0.0,1e+300,0.0,,,,,,,,", "\(csv[3])")
        // Null and empty text stay apart.
        #expect(try weir.run("show", "p.yaml", "rows", "--format", "json").stdout.contains(#""t":"","v":null"#))
        #expect(
            try weir.run("show", "p.yaml", "exact", "--format", "csv").stdout == "n\n12345678.1234\n-0.0001\n0.0000\n")
    }

    @Test(.enabled(if: PostgresTestServer.enabled)) func loadsReplaceAppendAndUpsertInOneTransaction() throws {
        let pg = try Self.server()
        try pg.sql("DROP TABLE IF EXISTS sales, sales_log, sales_by_id CASCADE")
        let weir = try Self.project(
            """
            pipeline: pgload
            stages:
              rows: { type: extract.csv, path: rows.csv, schema: { name: string, amount: float64, at: timestamp, day: date } }
              copy: { type: load.postgres, input: rows, dsn: "${env.DATABASE_URL}", table: sales }
              log: { type: load.postgres, input: rows, dsn: "${env.DATABASE_URL}", table: public.sales_log, mode: append }
              merged: { type: load.postgres, input: rows, dsn: "${env.DATABASE_URL}", table: sales_by_id, mode: upsert, key: [id] }

            """)
        try weir.write(
            "rows.csv", "id,name,amount,paid,at,day\n1,ann,10.5,true,2024-02-13T21:01:05.05Z,2024-02-13\n2,,,false,,\n")
        let first = try weir.run("run", "p.yaml")
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(
            try pg.sql("SELECT id, name, amount, paid, at AT TIME ZONE 'UTC', day FROM sales ORDER BY id")
                == "1|ann|10.5|t|2024-02-13 21:01:05.05|2024-02-13\n2|||f||\n")
        #expect(
            try pg.sql(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'sales'::regclass AND attnum > 0 ORDER BY attnum"
            )
                == "bigint\ntext\ndouble precision\nboolean\ntimestamp with time zone\ndate\n")
        #expect(try weir.run("run", "p.yaml", "--json").stages("cached").count == 4)

        // Changed rows: replace swaps the whole table, append adds, upsert updates id 2 and adds id 3.
        try weir.write("rows.csv", "id,name,amount,paid,at,day\n2,bo,2.5,true,,\n3,cy,3,false,,\n")
        #expect(try weir.run("run", "p.yaml", "--json").stages("ran") == ["rows", "copy", "log", "merged"])
        #expect(try pg.sql("SELECT string_agg(id::text, ',' ORDER BY id) FROM sales") == "2,3\n")
        #expect(try pg.sql("SELECT count(*) FROM sales_log") == "4\n")
        #expect(
            try pg.sql("SELECT string_agg(id || ':' || coalesce(name, '-'), ',' ORDER BY id) FROM sales_by_id")
                == "1:ann,2:bo,3:cy\n")

        // A table changed behind Weir's back is written again; one left alone stays cached.
        try pg.sql("UPDATE sales SET name = 'edited' WHERE id = 2")
        let again = try weir.run("run", "p.yaml", "--json")
        #expect(again.stages("ran") == ["copy"], "\(again.stdout)")
        #expect(try pg.sql("SELECT name FROM sales WHERE id = 2") == "bo\n")
        try pg.sql("UPDATE sales_by_id SET name = 'edited' WHERE id = 3")
        #expect(try weir.run("run", "p.yaml", "--json").stages("ran") == ["merged"])
        #expect(try pg.sql("SELECT name FROM sales_by_id WHERE id = 3") == "cy\n")
    }

    @Test(.enabled(if: PostgresTestServer.enabled)) func freshnessDecidesWhetherToReadAgain() throws {
        let pg = try Self.server()
        try pg.sql(
            "DROP TABLE IF EXISTS events; CREATE TABLE events (id int, at timestamptz); INSERT INTO events VALUES (1, now())"
        )
        let weir = try Self.project(
            """
            pipeline: fresh
            stages:
              events: { type: extract.postgres, dsn: "${env.DATABASE_URL}", table: events, freshness: "SELECT count(*), max(id) FROM events" }
              always: { type: extract.postgres, dsn: "${env.DATABASE_URL}", table: events }

            """)
        #expect(try weir.run("run", "p.yaml", "--json").stages("ran") == ["events", "always"])
        let unchanged = try weir.run("run", "p.yaml", "--json")
        #expect(unchanged.stages("cached") == ["events"] && unchanged.stages("ran") == ["always"])
        try pg.sql("INSERT INTO events VALUES (2, now())")
        let changed = try weir.run("run", "p.yaml", "--json")
        #expect(changed.stages("ran") == ["events", "always"])
        #expect(try weir.run("run", "p.yaml", "--json", "--force").stages("ran").contains("events"))
    }

    /// Refused connections, wrong passwords, failing queries, unmappable types and mismatched
    /// loads: each names the stage, the server (never the password) and the server's words;
    /// the target table is untouched.
    @Test(.enabled(if: PostgresTestServer.enabled)) func failuresAreClearAndLeaveTheTableAlone() throws {
        let pg = try Self.server()
        try pg.sql(
            "DROP TABLE IF EXISTS kept CASCADE; CREATE TABLE kept (id bigint, other text); INSERT INTO kept VALUES (7, 'x');"
                + "DROP TABLE IF EXISTS odd; CREATE TABLE odd (id int, doc json); CREATE VIEW kept_view AS SELECT * FROM kept"
        )
        let url = pg.url
        let port = try #require(url.split(separator: ":").last?.split(separator: "/").first)
        func run(_ stage: String, dsn: String = "${env.DATABASE_URL}") throws -> WeirProcess.Result {
            let weir = try Self.project(
                "pipeline: bad\nstages:\n  rows: { type: extract.csv, path: rows.csv }\n  s: { \(stage.replacingOccurrences(of: "DSN", with: "\"\(dsn)\"")) }\n"
            )
            try weir.write("rows.csv", "id,name\n1,a\n")
            return try weir.run("run", "p.yaml")
        }
        let refused = try run(
            "type: extract.postgres, dsn: DSN, table: kept", dsn: "postgresql://weir:s3cret-pw@127.0.0.1:1/weir")
        #expect(
            refused.status != 0 && refused.stderr.contains("p.yaml:4:") && refused.stderr.contains("127.0.0.1:1/weir")
                && refused.stderr.contains("Connection refused") && !refused.stderr.contains("s3cret-pw"),
            "\(refused.stderr)")
        let password = try run(
            "type: extract.postgres, dsn: DSN, table: kept",
            dsn: "postgresql://weir:wrong-pw-123@127.0.0.1:\(port)/weir")
        #expect(
            password.stderr.contains("password authentication failed for user \"weir\"")
                && !password.stderr.contains("wrong-pw-123"),
            "\(password.stderr)")
        let query = try run("type: extract.postgres, dsn: DSN, query: SELECT nope FROM kept")
        #expect(query.stderr.contains("s.query") || query.stderr.contains("p.yaml:4:"), "\(query.stderr)")
        #expect(query.stderr.contains("column \"nope\" does not exist"), "\(query.stderr)")
        let json = try run("type: extract.postgres, dsn: DSN, table: odd")
        #expect(
            json.stderr.contains("column 'doc' is json, which Weir cannot hold") && json.stderr.contains("doc::text"),
            "\(json.stderr)")

        let mismatch = try run("type: load.postgres, input: rows, dsn: DSN, table: kept, mode: append")
        #expect(
            mismatch.status != 0 && mismatch.stdout.contains("table kept has no column 'name'"), "\(mismatch.stdout)")
        let blocked = try run("type: load.postgres, input: rows, dsn: DSN, table: kept")
        #expect(
            blocked.status != 0 && blocked.stdout.contains("depend")
                && blocked.stdout.contains("table kept is untouched"), "\(blocked.stdout)")
        #expect(try pg.sql("SELECT id, other FROM kept") == "7|x\n")
        #expect(try pg.sql("SELECT count(*) FROM pg_class WHERE relname LIKE 'kept__weir%'") == "0\n")
    }

    /// The seed-003 example: orders and lines from PostgreSQL, results back into it; a second
    /// run with nothing changed in the database is fully cached.
    @Test(.enabled(if: PostgresTestServer.enabled)) func theShopExampleRoundTrips() throws {
        let pg = try Self.server()
        let root = ReferencePython.packageRoot.path
        try pg.sql("DROP SCHEMA IF EXISTS shop CASCADE")
        try pg.sql(
            """
            CREATE SCHEMA shop;
            CREATE TABLE shop.orders (order_id bigint PRIMARY KEY, customer_id bigint, customer_email text, order_date date, country text, quantity int, revenue numeric(14,2));
            CREATE TABLE shop.products (product_id int PRIMARY KEY, product_name text, aisle_id int, department_id int);
            CREATE TABLE shop.order_lines (order_id bigint, product_id int, add_to_cart_order int, reordered int);
            """)
        try pg.sql("\\copy shop.orders FROM '\(root)/data/quality/orders.csv' CSV HEADER")
        try pg.sql("\\copy shop.products FROM '\(root)/data/instacart/products.csv' CSV HEADER")
        try pg.sql("\\copy shop.order_lines FROM '\(root)/data/instacart/order_products.csv' CSV HEADER")
        let weir = try Self.project("pipeline: unused\nstages: {}\n")
        let first = try weir.run([
            "run", root + "/pipelines/postgres-shop.yaml", "--state-dir", weir.directory + "/.weir", "--json",
        ])
        #expect(first.status == 0 && first.stages("ran").count == 10, "\(first.stdout.suffix(3000))")
        #expect(try pg.sql("SELECT count(*) > 1000, count(DISTINCT segment) >= 5 FROM shop.customer_rfm") == "t|t\n")
        #expect(
            try pg.sql("SELECT product, bought_with FROM shop.product_pairs ORDER BY lift DESC, product LIMIT 1")
                == "Organic Blueberries|Organic Raspberries\n")
        #expect(try pg.sql("SELECT status FROM shop.quality_checks WHERE \"check\" = 'unique(order_id)'") == "ok\n")
        let again = try weir.run([
            "run", root + "/pipelines/postgres-shop.yaml", "--state-dir", weir.directory + "/.weir", "--json",
        ])
        #expect(again.stages("cached").count == 10, "\(again.stdout.suffix(3000))")
    }

    /// sslmode=require gets TLS; the DSN's password is in no output, file or ledger row.
    @Test(.enabled(if: PostgresTestServer.enabled)) func tlsWhenAskedAndThePasswordStaysSecret() throws {
        let pg = try Self.server()
        try pg.sql("DROP TABLE IF EXISTS tls_rows; CREATE TABLE tls_rows AS SELECT 1 AS id")
        var weir = try Self.project(
            """
            pipeline: tls
            stages:
              rows: { type: extract.postgres, dsn: "${env.DATABASE_URL}", table: tls_rows }
              back: { type: load.postgres, input: rows, dsn: "${env.DATABASE_URL}", table: tls_copy }

            """)
        weir.environment["DATABASE_URL"] = pg.url + "?sslmode=require"
        let run = try weir.run("run", "p.yaml")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let folder = try #require(
            try FileManager.default.contentsOfDirectory(atPath: weir.directory + "/.weir/runs").first)
        #expect(try weir.read(".weir/runs/\(folder)/rows.log").contains("over TLS"))
        let grep = Process()
        grep.executableURL = URL(fileURLWithPath: "/bin/grep")
        grep.arguments = ["-r", "-a", "-l", "weir-test-pw", weir.directory + "/.weir"]
        try grep.run()
        grep.waitUntilExit()
        #expect(grep.terminationStatus == 1, "the password is in a file of .weir")
        #expect(!run.stdout.contains("weir-test-pw") && !run.stderr.contains("weir-test-pw"))
    }
}
