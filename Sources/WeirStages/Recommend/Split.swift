import WeirCore
import WeirTable

/// `split`: lines into a training part and a held-out part, so a pipeline can measure its own
/// recommendations: `by: last_order` holds out each user's last order (largest `sequence`,
/// then largest order value), `by: cutoff` every line whose `timestamp` is at or after `cutoff`.
/// A user with one order keeps it in `train` (there is nothing earlier to learn from).
public struct Split: StageType {
    public let name = "split"
    public let version = "1"
    public let summary = "Train/test split by each user's last order or a cut-off time."
    public let inputs = InputArity.one
    public let outputs = ["train", "test"]
    public var params: [ParamSpec] { Params.specs }

    struct Params: StageParameters {
        enum By: String, ParamChoice {
            case lastOrder = "last_order"
            case cutoff
        }
        var by = By.lastOrder
        var user: String?
        var order: String?
        var sequence: String?
        var timestamp: String?
        var cutoff: String?

        static let declarations: [ParamDeclaration<Self>] = [
            .param("by", \.by, help: "how lines are held out"),
            .param("user", \.user, .column(types: KeyCodes.keyTypes), help: "the user column (last_order)"),
            .param("order", \.order, .column(types: KeyCodes.keyTypes), help: "the order column (last_order)"),
            .param(
                "sequence", \.sequence, .column(types: [.int64, .timestamp, .date]),
                help: "what orders are ordered by (last_order); default: the order value"),
            .param("timestamp", \.timestamp, .column(types: [.timestamp, .date]), help: "the line's time (cutoff)"),
            .param(
                "cutoff", \.cutoff,
                help: "lines at or after this date or time are held out (cutoff), e.g. 2017-06-01"),
        ]

        func problems(stage id: String) -> [StageError] {
            let needed: [(String, String?)] =
                by == .cutoff ? [("timestamp", timestamp), ("cutoff", cutoff)] : [("user", user), ("order", order)]
            var found = needed.filter { $0.1 == nil }.map {
                StageError("\(id) splits by \(by.rawValue) and needs `\($0.0):`")
            }
            if let cutoff, Split.instant(cutoff) == nil {
                found.append(
                    StageError(
                        "\(id).cutoff '\(cutoff)' is not a date or time", param: "cutoff",
                        hint: "write 2017-06-01 or 2017-06-01T12:00:00Z"))
            }
            return found
        }
    }

    public init() {}

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        _ = context.parameters(Params.self)
        let schema = context.inputSchemas.first ?? Schema([])
        return ["train": schema, "test": schema]
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let table = context.inputs[0]
        let params = try context.parameters(Params.self)
        let held = params.by == .cutoff ? try cutoffRows(params, context) : try lastOrderRows(params, context)
        var train: [Int] = []
        var test: [Int] = []
        for row in 0..<table.rowCount { if held[row] { test.append(row) } else { train.append(row) } }
        context.log.info("\(test.count) of \(table.rowCount) lines held out")
        return [
            "train": try Table(schema: table.schema, columns: table.columns.map { $0.take(train) }),
            "test": try Table(schema: table.schema, columns: table.columns.map { $0.take(test) }),
        ]
    }

    /// A date (midnight UTC) or an ISO 8601 time, in microseconds since the epoch.
    static func instant(_ text: String) -> Int64? {
        Temporal.parseTimestamp(text) ?? Temporal.parseDate(text).map { Int64($0) * Temporal.microsPerDay }
    }

    private func cutoffRows(_ params: Params, _ context: RunContext) throws -> [Bool] {
        let column = try context.requiredColumn(params.timestamp ?? "", param: "timestamp").column
        let text = params.cutoff ?? ""
        guard let cutoff = Self.instant(text) else {
            throw StageError("cutoff '\(text)' is not a date or time", param: "cutoff")
        }
        let micros = column.type == .date ? column.dayValues.map { $0 * Temporal.microsPerDay } : Array(column.int64s)
        return (0..<column.count).map { column.isValid($0) && micros[$0] >= cutoff }
    }

    private func lastOrderRows(_ params: Params, _ context: RunContext) throws -> [Bool] {
        let (userName, userColumn) = try context.requiredColumn(params.user ?? "", param: "user")
        let (orderName, orderColumn) = try context.requiredColumn(params.order ?? "", param: "order")
        let users = try KeyCodes(userColumn, name: userName, param: "user")
        let orders = try KeyCodes(orderColumn, name: orderName, param: "order")
        var sequence: [Int64] = orders.codes.map { Int64($0) }
        if let sequenceName = params.sequence {
            let (name, column) = try context.requiredColumn(sequenceName, param: "sequence")
            try column.requireValues(
                name: name, param: "sequence", why: "every order needs a place in its user's sequence")
            sequence = column.type == .date ? column.dayValues : Array(column.int64s)
        }
        // Per user: the (sequence, order) of their last order, and how many orders they have.
        var last = [(Int64, Int32)](repeating: (.min, -1), count: users.count)
        var firstOrder = [Int32](repeating: -1, count: users.count)
        var several = [Bool](repeating: false, count: users.count)
        for row in users.codes.indices {
            let u = Int(users.codes[row])
            let o = orders.codes[row]
            if firstOrder[u] < 0 { firstOrder[u] = o } else if firstOrder[u] != o { several[u] = true }
            if (sequence[row], o) > last[u] { last[u] = (sequence[row], o) }
        }
        return users.codes.indices.map { row in
            let u = Int(users.codes[row])
            return several[u] && orders.codes[row] == last[u].1
        }
    }
}
