import WeirTable
let t = try Table(fields: [
  ("i", Column(int64: [1, nil, 3])),
  ("f", Column(float64: [1.5, 2.5, nil])),
  ("s", Column(string: ["a", nil, "ccc"])),
  ("b", Column(bool: [true, false, nil])),
  ("ts", try Column(.timestamp, [.timestamp(1_000_000), .null, .timestamp(-5)])),
  ("d", try Column(.date, [.date(0), .date(19000), .null])),
])
try ArrowWriter().write(t, toFile: "/tmp/t.arrow")
try ArrowWriter(maxRowsPerBatch: 2).write(t.slice(1..<3), toFile: "/tmp/t2.arrow")
try ArrowWriter().write(Table(empty: t.schema), toFile: "/tmp/t3.arrow")
