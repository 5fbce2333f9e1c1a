import Foundation
import Testing
import WeirTestSupport

@testable import WeirTable

@Suite struct ArrowRoundTrip {
    @Test func everyTypeWithNullsRoundTrips() throws {
        let table = try sampleTable()
        let dir = try temporaryDirectory()
        try ArrowWriter().write(table, toFile: dir + "/t.arrow")
        let back = try ArrowFile.read(path: dir + "/t.arrow")
        #expect(back.schema == table.schema)
        #expect(back.rowCount == table.rowCount)
        for r in 0..<table.rowCount { #expect(back.row(r) == table.row(r)) }
        #expect(back.columns.map(\.nullCount) == [1, 1, 1, 1, 1, 1])
    }

    @Test func sameTableSameBytes() throws {
        let table = try sampleTable()
        let first = try ArrowWriter().bytes(table)
        let second = try ArrowWriter().bytes(table)
        #expect(first == second)
        // A slice of a bigger table and the same rows built fresh give identical files.
        let wide = try Table.concatenate([table, table])
        #expect(try ArrowWriter().bytes(wide.slice(5..<10)) == first)
        #expect(
            try ArrowWriter().bytes(wide.slice(3..<8))
                == ArrowWriter().bytes(Table.concatenate([table.slice(3..<5), table.slice(0..<3)])))
    }

    @Test func bufferLayoutIsEightByteAligned() throws {
        let bytes = try ArrowWriter().bytes(try sampleTable())
        #expect(Array(bytes[0..<6]) == Array("ARROW1".utf8))
        #expect(Array(bytes[(bytes.count - 6)...]) == Array("ARROW1".utf8))
        let footerLength = bytes[(bytes.count - 10)..<(bytes.count - 6)].withUnsafeBytes {
            Int($0.loadUnaligned(as: Int32.self))
        }
        #expect((bytes.count - 10 - footerLength) % 8 == 0)
    }

    @Test func emptyTableAndZeroColumns() throws {
        let dir = try temporaryDirectory()
        let empty = Table(empty: try sampleTable().schema)
        try ArrowWriter().write(empty, toFile: dir + "/empty.arrow")
        let back = try ArrowFile.read(path: dir + "/empty.arrow")
        #expect(back.rowCount == 0)
        #expect(back.schema == empty.schema)

        let noColumns = try Table(schema: Schema([]), columns: [], rowCount: 7)
        try ArrowWriter().write(noColumns, toFile: dir + "/none.arrow")
        let none = try ArrowFile.read(path: dir + "/none.arrow")
        #expect(none.columnCount == 0)
        #expect(none.rowCount == 7)
    }

    @Test func multiBatchFiles() throws {
        let dir = try temporaryDirectory()
        let n = 10_007
        let table = try Table(fields: [
            ("k", Column(int64: (0..<n).map { $0 % 13 == 0 ? nil : Int64($0) })),
            ("s", Column(string: (0..<n).map { $0 % 7 == 0 ? nil : "v\($0)" })),
            ("b", Column(bool: (0..<n).map { $0 % 5 == 0 ? nil : $0 % 2 == 0 })),
        ])
        try ArrowWriter(maxRowsPerBatch: 1000).write(table, toFile: dir + "/m.arrow")
        let file = try ArrowFile(path: dir + "/m.arrow")
        #expect(file.batchCount == 11)
        #expect(try file.batch(10).rowCount == 7)
        let back = try file.readAll()
        #expect(back.rowCount == n)
        for r in stride(from: 0, to: n, by: 97) { #expect(back.row(r) == table.row(r)) }
        #expect(back.row(n - 1) == table.row(n - 1))
    }

    @Test func singleBatchReadSharesTheMapping() throws {
        let dir = try temporaryDirectory()
        try ArrowWriter().write(try sampleTable(), toFile: dir + "/t.arrow")
        let back = try ArrowFile.read(path: dir + "/t.arrow")
        // Column data of a mapped file is owned by the mapping, not a heap copy.
        #expect(back.columns[0].data.isMapped)
        #expect(back.columns[2].data.isMapped)
    }

    @Test func refusesWhatItCannotRead() throws {
        let dir = try temporaryDirectory()
        try Data("a,b\n1,2\n".utf8).write(to: URL(fileURLWithPath: dir + "/x.arrow"))
        #expect(throws: TableError.self) { try ArrowFile.read(path: dir + "/x.arrow") }
        do {
            _ = try ArrowFile.read(path: dir + "/x.arrow")
        } catch {
            #expect("\(error)".contains("x.arrow: not an Arrow IPC file"))
        }
        // Truncated file: every cut gives an error, never a crash.
        let bytes = try ArrowWriter().bytes(try sampleTable())
        for cut in stride(from: 8, to: bytes.count, by: 37) {
            var damaged = bytes
            damaged.removeLast(bytes.count - cut)
            try Data(damaged).write(to: URL(fileURLWithPath: dir + "/cut.arrow"))
            #expect(throws: (any Error).self) { try ArrowFile.read(path: dir + "/cut.arrow") }
        }
        // Corrupted metadata bytes: errors or (harmlessly) different values, never a trap.
        for position in stride(from: 8, to: bytes.count, by: 11) {
            var damaged = bytes
            damaged[position] ^= 0xFF
            try Data(damaged).write(to: URL(fileURLWithPath: dir + "/flip.arrow"))
            _ = try? ArrowFile.read(path: dir + "/flip.arrow")
        }
    }
}

@Suite(.enabled(if: ReferencePython.available, "needs a Python with pyarrow (scripts/venv.sh)"))
struct ArrowInterop {
    @Test func pyarrowReadsWhatWeirWrites() throws {
        let dir = try temporaryDirectory()
        let table = try sampleTable()
        try ArrowWriter(maxRowsPerBatch: 2).write(table, toFile: dir + "/w.arrow")
        let out = try ReferencePython.run(
            """
            import sys, json, pyarrow.ipc as ipc, datetime
            r = ipc.open_file(sys.argv[1])
            t = r.read_all()
            t.validate(full=True)
            def enc(v):
                if isinstance(v, datetime.datetime): return v.isoformat()
                if isinstance(v, datetime.date): return v.isoformat()
                return v
            print(json.dumps({"batches": r.num_record_batches, "types": [str(f.type) for f in t.schema],
                              "names": t.column_names, "rows": [[enc(v) for v in row.values()] for row in t.to_pylist()]}))
            """, [dir + "/w.arrow"])
        let json = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any]
        #expect(json["batches"] as? Int == 3)
        #expect(
            json["types"] as? [String] == ["int64", "double", "string", "bool", "timestamp[us, tz=UTC]", "date32[day]"])
        let rows = json["rows"] as! [[Any]]
        #expect(rows.count == 5)
        #expect(rows[0][0] as? Int == 1)
        #expect(rows[1][0] is NSNull)
        #expect(rows[3][0] as? Int == Int(Int64.max))
        #expect(rows[4][1] as? Double == 0.1)
        #expect(rows[3][2] as? String == "ünï,cödé\n\"q\"")
        #expect(rows[2][2] is NSNull)
        #expect(rows[0][3] as? Bool == true)
        #expect(rows[0][4] as? String == "2024-02-13T21:01:05.050000+00:00")
        #expect(rows[2][4] as? String == "1969-12-31T23:59:59.999999+00:00")
        #expect(rows[1][5] as? String == "2024-02-13")
        #expect(rows[3][5] as? String == "1969-12-31")
    }

    @Test func weirReadsWhatPyarrowWrites() throws {
        let dir = try temporaryDirectory()
        try ReferencePython.run(
            """
            import sys, datetime, pyarrow as pa, pyarrow.ipc as ipc, pyarrow.feather as feather
            n = 2500
            t = pa.table({
              "i": pa.array([None if k % 11 == 0 else k * 3 for k in range(n)], pa.int64()),
              "i32": pa.array([k - 1000 for k in range(n)], pa.int32()),
              "u8": pa.array([k % 256 for k in range(n)], pa.uint8()),
              "f": pa.array([None if k % 7 == 0 else k / 8 for k in range(n)], pa.float64()),
              "f32": pa.array([k / 4 for k in range(n)], pa.float32()),
              "s": pa.array([None if k % 5 == 0 else f"s{k % 17}" for k in range(n)]),
              "dict": pa.array([["red", "green", None, "blue"][k % 4] for k in range(n)]).dictionary_encode(),
              "b": pa.array([None if k % 3 == 0 else k % 2 == 0 for k in range(n)]),
              "ts": pa.array([datetime.datetime(2024, 1, 1) + datetime.timedelta(seconds=k, microseconds=k) for k in range(n)], pa.timestamp("us", tz="UTC")),
              "ts_ns": pa.array([k * 1_000_000_007 for k in range(n)], pa.timestamp("ns")),
              "d": pa.array([datetime.date(2000, 1, 1) + datetime.timedelta(days=k) for k in range(n)], pa.date32()),
              "ls": pa.array([f"large{k}" for k in range(n)], pa.large_string()),
            })
            with ipc.new_file(sys.argv[1] + "/py.arrow", t.schema) as w:
                w.write_table(t, max_chunksize=1000)
            feather.write_feather(t, sys.argv[1] + "/lz4.arrow")
            """, [dir])
        let file = try ArrowFile(path: dir + "/py.arrow")
        #expect(file.batchCount == 3)
        let t = try file.readAll()
        #expect(t.rowCount == 2500)
        #expect(
            t.schema.fields.map(\.type) == [
                .int64, .int64, .int64, .float64, .float64, .string, .string, .bool,
                .timestamp, .timestamp, .date, .string,
            ])
        for k in [0, 1, 5, 999, 1000, 1001, 2499] {
            let row = t.row(k)
            #expect(row[0] == (k % 11 == 0 ? .null : .int64(Int64(k * 3))))
            #expect(row[1] == .int64(Int64(k - 1000)))
            #expect(row[2] == .int64(Int64(k % 256)))
            #expect(row[3] == (k % 7 == 0 ? .null : .float64(Double(k) / 8)))
            #expect(row[4] == .float64(Double(k) / 4))
            #expect(row[5] == (k % 5 == 0 ? .null : .string("s\(k % 17)")))
            #expect(row[6] == [Value.string("red"), .string("green"), .null, .string("blue")][k % 4])
            #expect(row[7] == (k % 3 == 0 ? .null : .bool(k % 2 == 0)))
            #expect(row[8] == .timestamp(1_704_067_200_000_000 + Int64(k) * 1_000_001))
            #expect(row[9] == .timestamp(Int64(k) * 1_000_000 + Int64(k) * 7 / 1000))  // ns floored to µs
            #expect(row[10] == .date(Int32(10_957 + k)))
            #expect(row[11] == .string("large\(k)"))
        }
        #expect {
            try ArrowFile.read(path: dir + "/lz4.arrow")
        } throws: { error in
            "\(error)".contains("compressed with LZ4_FRAME") && "\(error)".contains("lz4.arrow")
        }
    }

    @Test func unsupportedTypesNameFileFieldAndType() throws {
        let dir = try temporaryDirectory()
        try ReferencePython.run(
            """
            import sys, pyarrow as pa, pyarrow.ipc as ipc
            t = pa.table({"ok": [1, 2], "tags": pa.array([[1], [2, 3]])})
            with ipc.new_file(sys.argv[1] + "/list.arrow", t.schema) as w:
                w.write_table(t)
            """, [dir])
        #expect {
            try ArrowFile.read(path: dir + "/list.arrow")
        } throws: { error in
            "\(error)"
                == "\(dir)/list.arrow: field 'tags': Arrow type list is not supported (Weir reads int, float, bool, utf8, timestamp and date columns)"
        }
    }
}
