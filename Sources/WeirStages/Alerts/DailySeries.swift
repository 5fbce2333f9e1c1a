import WeirCore
import WeirTable

/// Daily values per group on one dense calendar: every group gets every day from the first
/// date in the input to the last, rows of the same group and day are added, and days without
/// rows are 0 (a service that cost nothing that day).
struct DailySeries {
    /// The group column's distinct values, sorted, and its name and type.
    let groups: KeyCodes
    let groupColumn: Column
    let firstDay: Int64
    let dayCount: Int
    /// values[g][t]: group g on day firstDay + t.
    let values: [[Double]]

    /// The three columns every cost stage reads.
    struct Params: StageParameters {
        var date = "date"
        var group = "service"
        var value = "cost"

        static let declarations: [ParamDeclaration<Self>] = [
            .param(
                "date", \.date, .column(types: [.date, .timestamp]),
                help: "the day column (a timestamp counts by its UTC day)"),
            .param("group", \.group, .column(types: KeyCodes.keyTypes), help: "the series key, e.g. the service"),
            .param("value", \.value, .column(types: [.int64, .float64]), help: "the daily amount"),
        ]
    }

    /// Checks the three columns at plan time; returns their fields.
    static func plan(_ context: inout PlanContext) -> (date: Field, group: Field, value: Field) {
        let params = context.parameters(Params.self)
        let schema = context.inputSchemas.first ?? Schema([])
        let (date, group, value) = (schema[params.date], schema[params.group], schema[params.value])
        return (
            Field(date?.name ?? "date", .date), Field(group?.name ?? "group", group?.type ?? .string),
            Field(value?.name ?? "value", .float64)
        )
    }

    init(_ context: RunContext) throws {
        let params = try context.parameters(Params.self)
        let days = try context.requiredColumn(params.date, param: "date").column.dayValues
        let (groupName, groupColumn) = try context.requiredColumn(params.group, param: "group")
        let amounts = try context.requiredColumn(params.value, param: "value").column.doubleValues
        groups = try KeyCodes(groupColumn, name: groupName, param: "group")
        self.groupColumn = groupColumn
        firstDay = days.min() ?? 0
        dayCount = days.isEmpty ? 0 : Int((days.max() ?? 0) - firstDay) + 1
        var values = [[Double]](repeating: [Double](repeating: 0, count: dayCount), count: groups.count)
        for row in 0..<days.count { values[Int(groups.codes[row])][Int(days[row] - firstDay)] += amounts[row] }
        self.values = values
    }

    /// A column of the given groups' values (their key), for output rows.
    func groupColumn(_ groupsInOrder: [Int]) -> Column { groupColumn.take(groupsInOrder.map { groups.firstRow[$0] }) }

    func day(_ t: Int) -> Int32 { Int32(firstDay + Int64(t)) }
}

/// Rows of (date, group, value, extra float columns...) built group by group, then sorted by
/// date and group, as the alert stages output them.
struct DailyRows {
    var day: [Int32] = []
    var group: [Int] = []
    var value: [Double] = []
    var extra: [[Double?]]

    init(extraColumns: Int) { extra = Array(repeating: [], count: extraColumns) }

    mutating func append(day d: Int32, group g: Int, value v: Double, _ more: [Double?]) {
        day.append(d)
        group.append(g)
        value.append(v)
        for (i, x) in more.enumerated() { extra[i].append(x) }
    }

    /// Row order: by date, then group.
    var order: [Int] { day.indices.sorted { day[$0] != day[$1] ? day[$0] < day[$1] : group[$0] < group[$1] } }

    func columns(_ series: DailySeries, rows: [Int]) -> [Column] {
        [
            Column(dateValues: rows.map { day[$0] }), series.groupColumn(rows.map { group[$0] }),
            Column(float64Values: rows.map { value[$0] }),
        ]
            + extra.map { column in Column(float64: rows.map { column[$0] }) }
    }
}
