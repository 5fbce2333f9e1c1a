import Foundation
import Testing

/// `load.sqlite` output as another tool sees it: the sqlite3 command-line shell.
@Suite struct LoadSQLiteTests {
    func sqlite(_ database: String, _ sql: String) throws -> String { try sqliteShell(database, sql) }

    @Test func replaceAndAppendAsTheShellSeesThem() throws {
        let weir = try WeirProcess()
        try weir.write(
            "orders.csv",
            """
            id,amount,customer,paid,at,day
            1,10.5,ann,true,2024-02-13T21:01:05.050Z,2024-02-13
            2,,"bob, jr",false,2024-02-14T00:00:00Z,2024-02-14
            3,0.1,,true,,

            """)
        try weir.write(
            "p.yaml",
            """
            pipeline: sqlite-load
            stages:
              orders: { type: extract.csv, path: orders.csv }
              db: { type: load.sqlite, input: orders, path: out/shop.db, table: orders }
              log: { type: load.sqlite, input: orders, path: out/shop.db, table: order_log, mode: append }

            """)
        let first = try weir.run("run", "p.yaml")
        #expect(first.status == 0, "\(first.stderr)")
        let db = weir.directory + "/out/shop.db"
        #expect(
            try sqlite(db, "SELECT name, type FROM pragma_table_info('orders')")
                == "id|INTEGER\namount|REAL\ncustomer|TEXT\npaid|BOOLEAN\nat|TIMESTAMP\nday|DATE\n")
        #expect(
            try sqlite(
                db,
                "SELECT id, amount, customer, paid, at, day, typeof(amount), typeof(customer) FROM orders ORDER BY id")
                == "1|10.5|ann|1|2024-02-13 21:01:05.050|2024-02-13|real|text\n"
                + "2||bob, jr|0|2024-02-14 00:00:00|2024-02-14|null|text\n"
                + "3|0.1||1|||real|null\n")
        #expect(try sqlite(db, "SELECT count(*), sum(paid) FROM order_log") == "3|2\n")

        // Unchanged input: the loads are cached. Changed input: replace rewrites, append adds.
        #expect(try weir.run("run", "p.yaml", "--json").stages("cached").count == 3)
        try weir.write("orders.csv", "id,amount,customer,paid,at,day\n4,1.5,cy,false,2024-03-01T10:00:00Z,2024-03-01\n")
        #expect(try weir.run("run", "p.yaml", "--json").stages("ran") == ["orders", "db", "log"])
        #expect(try sqlite(db, "SELECT group_concat(id) FROM orders") == "4\n")
        #expect(try sqlite(db, "SELECT group_concat(id) FROM (SELECT id FROM order_log ORDER BY id)") == "1,2,3,4\n")

        // A table deleted by hand is written again.
        _ = try sqlite(db, "DROP TABLE orders")
        #expect(try weir.run("run", "p.yaml", "--json").stages("ran") == ["db"])
        #expect(try sqlite(db, "SELECT count(*) FROM orders") == "1\n")
    }

    @Test func appendingOtherColumnsIsAnErrorNamingTheTable() throws {
        let weir = try WeirProcess()
        try weir.write("a.csv", "id,name\n1,x\n")
        try weir.write(
            "p.yaml",
            """
            pipeline: sqlite-mismatch
            stages:
              a: { type: extract.csv, path: a.csv }
              db: { type: load.sqlite, input: a, path: shop.db, table: things, mode: append }

            """)
        #expect(try weir.run("run", "p.yaml").status == 0)
        try weir.write("a.csv", "id,label\n2,y\n")
        let result = try weir.run("run", "p.yaml")
        #expect(result.status == 1)
        #expect(
            (result.stdout + result.stderr).contains(
                "cannot append to table 'things' in shop.db: it has columns (id INTEGER, name TEXT) but the input has (id INTEGER, label TEXT)"
            ),
            "\(result.stdout)")
        #expect(try sqlite(weir.directory + "/shop.db", "SELECT count(*) FROM things") == "1\n")
    }
}
