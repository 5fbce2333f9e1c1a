import WeirTable
for p in CommandLine.arguments.dropFirst() {
  do {
    let f = try ArrowFile(path: p)
    print(p, f.batchCount, f.schema)
    let t = try f.readAll()
    for r in 0..<t.rowCount { print(t.row(r)) }
  } catch { print("ERROR", error) }
}
