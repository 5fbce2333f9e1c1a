import WeirCore
import WeirTable

/// `pivot`: one row per `row` key (sorted), one column per `column` key value (sorted, named
/// prefix + the value's string form) holding the count, sum or mean of `value`; 0 where a pair
/// never occurs. The columns are decided by the data unless `columns:` lists them.
public struct Pivot: StageType {
    public let name = "pivot"
    public let version = "1"
    public let summary = "Row key x column key matrix of counts, sums or means (e.g. user x aisle purchase counts)."
    public let inputs = InputArity.one
    public var params: [ParamSpec] { Params.specs }

    struct Params: StageParameters {
        enum Aggregate: String, ParamChoice { case count, sum, mean }
        var row = ""
        var column = ""
        var value: String?
        var agg = Aggregate.count
        var prefix = ""
        var columns: [String]?

        static let declarations: [ParamDeclaration<Self>] = [
            .param(
                "row", \.row, .column(types: KeyCodes.keyTypes), required: true,
                help: "the column whose values become rows"),
            .param(
                "column", \.column, .column(types: KeyCodes.keyTypes), required: true,
                help: "the column whose values become columns"),
            .param(
                "value", \.value, .column(types: [.int64, .float64]),
                help: "the column to aggregate; without it, rows are counted"),
            .param("agg", \.agg, help: "how cells aggregate"),
            .param("prefix", \.prefix, help: "prepended to each column value to name its column"),
            .param(
                "columns", \.columns,
                help: "the column values expected, as strings; fixes the output schema before the run"),
        ]

        func problems(stage id: String) -> [StageError] {
            guard agg != .count && value == nil else { return [] }
            return [
                StageError(
                    "\(id).agg is \(agg.rawValue) but no `value` column is given", param: "agg",
                    hint: "add value: <a numeric column>, or use agg: count")
            ]
        }
    }

    public init() {}

    func cellType(_ params: Params, _ context: PlanContext) -> DataType {
        switch params.agg {
        case .mean: .float64
        case .sum: params.value.flatMap { context.inputSchemas.first?[$0]?.type } ?? .float64
        case .count: .int64
        }
    }

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        let params = context.parameters(Params.self)
        let row = context.inputSchemas.first?[params.row]
        let type = cellType(params, context)
        let prefix = params.prefix
        let rowField = Field(row?.name ?? "row", row?.type ?? .string)
        if let values = params.columns {
            let names = values.map { prefix + $0 }
            if let clash = names.first(where: { $0 == rowField.name }) ?? duplicate(names) {
                context.error("columns", "\(context.stage.id) would produce two columns named '\(clash)'")
            }
            return ["out": Schema([rowField] + names.map { Field($0, type) })]
        }
        return ["out": Schema([rowField], dataColumns: type)]
    }

    private func duplicate(_ names: [String]) -> String? {
        var seen = Set<String>()
        return names.first { !seen.insert($0).inserted }
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let table = context.inputs[0]
        let params = try context.parameters(Params.self)
        let (rowName, columnName) = (params.row, params.column)
        guard let rowColumn = table.column(rowName), let keyColumn = table.column(columnName) else {
            throw StageError("the input lacks the row or column column")
        }
        let rows = try KeyCodes(rowColumn, name: rowName, param: "row")
        let keys = try KeyCodes(keyColumn, name: columnName, param: "column")
        let prefix = params.prefix
        var keyNames = keys.firstRow.map { prefix + keyColumn[$0].description }
        var order = Array(0..<keys.count)  // output column -> key code (-1: listed but absent)

        if let listed = params.columns {
            let byName = Dictionary(
                keys.firstRow.indices.map { (keyColumn[keys.firstRow[$0]].description, $0) },
                uniquingKeysWith: { a, _ in a })
            if let unlisted = byName.keys.sorted().first(where: { !listed.contains($0) }) {
                throw StageError(
                    "column '\(columnName)' holds '\(unlisted)', which `columns` does not list", param: "columns",
                    hint: "add it to columns, or drop the list to take the columns from the data")
            }
            order = listed.map { byName[$0] ?? -1 }
            keyNames = listed.map { prefix + $0 }
        } else if let clash = keyNames.first(where: { $0 == rowName }) {
            throw StageError(
                "pivot column '\(clash)' has the same name as the row column", param: "prefix", hint: "set a prefix")
        }

        let agg = params.agg
        let valueColumn = try params.value.map { try context.requiredColumn($0, param: "value").column }
        let r = rows.count
        let c = keys.count
        var columns: [Column] = [rowColumn.take(rows.firstRow)]
        let integerCells = agg == .count || (agg == .sum && valueColumn?.type == .int64)
        if integerCells {
            let cells = self.integerCells(
                rows.codes, keys.codes, rowCount: r, keyCount: c,
                values: agg == .count ? nil : valueColumn)
            for code in order {
                columns.append(
                    code < 0
                        ? Column(int64Values: [Int64](repeating: 0, count: r))
                        : Column(int64Values: Array(cells[(code * r)..<((code + 1) * r)])))
            }
        } else {
            // Floating-point cells add up in row order, on one core, so results are the same on every machine.
            guard let valueColumn else { throw StageError("agg \(agg) needs a value column", param: "value") }
            let values = valueColumn.doubleValues
            var sums = [Double](repeating: 0, count: r * c)
            var counts = [Int](repeating: 0, count: agg == .mean ? r * c : 0)
            for line in 0..<values.count {
                let cell = Int(rows.codes[line]) * c + Int(keys.codes[line])
                sums[cell] += values[line]
                if agg == .mean { counts[cell] += 1 }
            }
            for code in order {
                columns.append(
                    Column(
                        float64Values: (0..<r).map { row in
                            guard code >= 0 else { return 0 }
                            let cell = row * c + code
                            return agg == .mean
                                ? (counts[cell] == 0 ? 0 : sums[cell] / Double(counts[cell])) : sums[cell]
                        }))
            }
        }
        let schema = Schema(
            [Field(rowName, rowColumn.type)] + keyNames.map { Field($0, integerCells ? .int64 : .float64) })
        return ["out": try Table(schema: schema, columns: columns)]
    }

    /// Counts (or integer sums) per cell, column-major (cell = key * rowCount + row). Each core
    /// owns a range of row codes and scans every line for them, so there is one matrix and no
    /// merge.
    private func integerCells(_ rowCodes: [Int32], _ keyCodes: [Int32], rowCount: Int, keyCount: Int, values: Column?)
        -> [Int64]
    {
        let lines = rowCodes.count
        let parts = lines < 1_000_000 ? 1 : Parallel.coreCount
        let ints = values.map { Array($0.int64s) }
        return [Int64](unsafeUninitializedCapacity: rowCount * keyCount) { cells, written in
            cells.initialize(repeating: 0)
            let target = SharedBuffer(cells)
            Parallel.forEach(parts) { part in
                let low = Int32(rowCount * part / parts)
                let high = Int32(rowCount * (part + 1) / parts)
                rowCodes.withUnsafeBufferPointer { rowCodes in
                    keyCodes.withUnsafeBufferPointer { keyCodes in
                        for line in 0..<lines {
                            let row = rowCodes[line]
                            if row < low || row >= high { continue }
                            target[Int(keyCodes[line]) &* rowCount &+ Int(row)] &+= ints?[line] ?? 1
                        }
                    }
                }
            }
            written = rowCount * keyCount
        }
    }
}
