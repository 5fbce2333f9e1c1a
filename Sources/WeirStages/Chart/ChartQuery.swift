import WeirCore
import WeirSQL
import WeirTable

/// The SQL that turns a chart's input into its data table before limits and annotations:
/// one row per mark, grouped by the drawn columns and aggregated as asked (DuckDB's `avg`,
/// `median`, `count(col)` counting non-null values, as pandas' `count` does).
struct ChartQuery {
    let params: ChartParams
    /// The input tables' names in the session.
    let tables: [String]
    /// The type of the x column (text bars sort by value, others by x).
    let xType: DataType?

    /// Several inputs are layered as series named after them (`series` column).
    var series: String? { tables.count > 1 ? "series" : params.seriesColumn }

    var keys: [String] {
        guard let x = params.x else { return [] }
        switch params.mark {
        case .heatmap: return [x] + [params.y].compactMap { $0 }
        case .histogram: return [x]
        default: return [x] + [series].compactMap { $0 }
        }
    }

    var source: String {
        guard tables.count > 1 else { return SQLEngine.quote(tables.first ?? "input") }
        let columns = [params.x, params.valueColumn].compactMap { $0 }.map(SQLEngine.quote).joined(separator: ", ")
        let parts = tables.map { "SELECT \(SQLEngine.literal($0)) AS series, \(columns) FROM \(SQLEngine.quote($0))" }
        return "(" + parts.joined(separator: " UNION ALL ") + ") AS layered"
    }

    /// The query; `valueType` is the value column's input type (int64 sums stay integers).
    func sql(valueType: DataType?) -> String {
        let q = SQLEngine.quote
        if params.mark == .histogram { return "SELECT \(q(params.x ?? "")) FROM \(source)" }
        let value = q(params.valueName)
        let select: String
        switch params.aggregate {
        case .none:
            // Rows drawn as they are: the highlight may read any input column.
            let flag = params.highlight.map { [Highlight.expression($0)] } ?? []
            select =
                "SELECT \(((keys + [params.valueColumn].compactMap { $0 }).map(q) + flag).joined(separator: ", ")) FROM \(source)"
        default:
            select =
                "SELECT \(keys.map(q).joined(separator: ", ")), \(aggregate(valueType: valueType)) AS \(value) FROM \(source) GROUP BY ALL"
        }
        return select + order(value: value)
    }

    private func aggregate(valueType: DataType?) -> String {
        let column = params.valueColumn.map(SQLEngine.quote)
        switch params.aggregate {
        case .count: return column.map { "CAST(count(\($0)) AS BIGINT)" } ?? "CAST(count(*) AS BIGINT)"
        case .sum: return "CAST(sum(\(column ?? "NULL")) AS \(valueType == .int64 ? "BIGINT" : "DOUBLE"))"
        case .mean: return "CAST(avg(\(column ?? "NULL")) AS DOUBLE)"
        case .median: return "CAST(median(\(column ?? "NULL")) AS DOUBLE)"
        case .min: return "min(\(column ?? "NULL"))"
        case .max: return "max(\(column ?? "NULL"))"
        case .none: return column ?? "NULL"
        }
    }

    /// The sort asked for (or the mark's default), then the keys, so the order never depends on hashing.
    private func order(value: String) -> String {
        let keyOrder = keys.map { SQLEngine.quote($0) + " NULLS LAST" }
        let by: [String]
        switch sort {
        case .x: by = keyOrder
        case .value: by = ["\(value) NULLS LAST"] + keyOrder
        case .descending: by = ["\(value) DESC NULLS LAST"] + keyOrder
        case .none: return params.aggregate == .none ? "" : " ORDER BY " + keyOrder.joined(separator: ", ")
        }
        return by.isEmpty ? "" : " ORDER BY " + by.joined(separator: ", ")
    }

    /// Text bars and pies read best largest first; lines, areas, points and heatmaps in x order.
    var sort: ChartParams.Sort {
        if let sort = params.sort { return sort }
        return params.mark == .pie || (params.mark == .bar && (xType == .string || xType == .bool)) ? .descending : .x
    }
}
