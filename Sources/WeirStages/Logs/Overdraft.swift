import WeirCore
import WeirTable

/// `logs.overdraft` (seed 002's Overdraft Predictor): per user, the first transaction with a
/// negative balance, the first out-of-sync transaction at or before it, the lead time between
/// them, and whether the flag came first. `users` lists every user who was ever overdrawn or out
/// of sync; `summary` is one row with the share of overdraft rows logged out of sync.
public struct Overdraft: StageType {
    public let name = "logs.overdraft"
    public let version = "1"
    public let summary =
        "Per user: first overdraft, first out-of-sync flag before it, lead time; share of overdraft rows out of sync."
    public let inputs = InputArity.one
    public let outputs = ["users", "summary"]
    public var params: [ParamSpec] { Params.specs }

    struct Params: StageParameters {
        var user = "userId"
        var balance = "paymentBalance"
        var inSync = "in_sync"
        var time = "date_time"

        static let declarations: [ParamDeclaration<Self>] = [
            .param("user", \.user, .column(types: KeyCodes.keyTypes), help: "the user column"),
            .param(
                "balance", \.balance, .column(types: [.float64, .int64]),
                help: "the balance after the transaction; below 0 is an overdraft"),
            .param(
                "in_sync", \.inSync, .column(types: [.bool]), help: "false when the transaction was logged out of sync"),
            .param("time", \.time, .column(types: [.timestamp]), help: "when the transaction happened"),
        ]
    }

    public init() {}

    static let summarySchema = Schema([
        Field("overdraft_rows", .int64), Field("overdraft_rows_out_of_sync", .int64),
        Field("share_out_of_sync", .float64),
        Field("users_overdrawn", .int64), Field("users_predicted", .int64), Field("users_out_of_sync", .int64),
        Field("median_lead_hours", .float64),
    ])

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        let params = context.parameters(Params.self)
        guard let user = context.column(named: params.user, param: "user", types: KeyCodes.keyTypes) else {
            return [:]
        }
        return [
            "users": Schema(
                [user] + [
                    Field("first_out_of_sync_at", .timestamp), Field("first_overdraft_at", .timestamp),
                    Field("overdraft_balance", .float64),
                    Field("lead_time_hours", .float64), Field("predicted", .bool), Field("overdraft_rows", .int64),
                    Field("out_of_sync_rows", .int64), Field("rows", .int64),
                ]), "summary": Self.summarySchema,
        ]
    }

    struct UserState {
        var firstOutOfSync: Int64?
        var firstOverdraft: Int64?
        var overdraftBalance = 0.0
        var overdraftRows = 0
        var outOfSyncRows = 0
        var rows = 0
    }

    /// Each user's state over the rows in time order, and the overdraft row counts.
    struct Walk {
        var users: [UserState]
        var overdraftRows = 0
        var overdraftRowsOutOfSync = 0
    }

    public func run(_ context: RunContext) throws -> [String: Table] {
        let input = context.inputs[0]
        let params = try context.parameters(Params.self)
        let userName = params.user
        let (_, userColumn) = try context.requiredColumn(userName, param: "user")
        guard let balance = input.column(params.balance), let inSync = input.column(params.inSync),
            let time = input.column(params.time)
        else {
            throw StageError("the input lacks a column this stage reads", param: "input")
        }
        let keys = try KeyCodes(userColumn, name: userName, param: "user")
        let walk = Self.walk(keys: keys, balance: balance, inSync: inSync, time: time)
        let users = walk.users
        let listed = (0..<keys.count).filter { users[$0].overdraftRows > 0 || users[$0].outOfSyncRows > 0 }
        let schema = try context.announcedSchema("users")
        let out = schema.fields.map { ColumnBuilder($0.type, capacity: listed.count) }
        var leads: [Double] = []
        var predicted = 0
        for u in listed {
            out[0].append(from: userColumn, at: keys.firstRow[u])
            Self.appendUser(users[u], to: out, leads: &leads, predicted: &predicted)
        }
        leads.sort()
        let summary = Self.summarySchema.fields.map { ColumnBuilder($0.type, capacity: 1) }
        summary[0].append(Int64(walk.overdraftRows))
        summary[1].append(Int64(walk.overdraftRowsOutOfSync))
        if walk.overdraftRows > 0 {
            summary[2].append(Double(walk.overdraftRowsOutOfSync) / Double(walk.overdraftRows))
        } else {
            summary[2].appendNull()
        }
        summary[3].append(Int64(listed.filter { users[$0].overdraftRows > 0 }.count))
        summary[4].append(Int64(predicted))
        summary[5].append(Int64(listed.filter { users[$0].outOfSyncRows > 0 }.count))
        if leads.isEmpty {
            summary[6].appendNull()
        } else {
            summary[6].append(pandasQuantile(0.5, count: leads.count) { leads[$0] })
        }
        return [
            "users": try Table(schema: schema, columns: out.map { $0.finish() }),
            "summary": try Table(schema: Self.summarySchema, columns: summary.map { $0.finish() }),
        ]
    }

    /// Walks the rows in time order; a row without a time cannot be placed and is left out of the firsts.
    static func walk(keys: KeyCodes, balance: Column, inSync: Column, time: Column) -> Walk {
        var order = (0..<time.count).filter { time.isValid($0) }
        let times = time.int64s
        order.sort { times[$0] != times[$1] ? times[$0] < times[$1] : $0 < $1 }
        var walk = Walk(users: [UserState](repeating: UserState(), count: keys.count))
        for row in order {
            let u = Int(keys.codes[row])
            walk.users[u].rows += 1
            let outOfSync = inSync.isValid(row) && !inSync.bool(at: row)
            if outOfSync {
                walk.users[u].outOfSyncRows += 1
                if walk.users[u].firstOverdraft == nil && walk.users[u].firstOutOfSync == nil {
                    walk.users[u].firstOutOfSync = times[row]
                }
            }
            if let value = balance.double(at: row), value < 0 {
                walk.overdraftRows += 1
                if outOfSync { walk.overdraftRowsOutOfSync += 1 }
                walk.users[u].overdraftRows += 1
                if walk.users[u].firstOverdraft == nil {
                    walk.users[u].firstOverdraft = times[row]
                    walk.users[u].overdraftBalance = value
                }
            }
        }
        return walk
    }

    /// A user's row after its key: firsts, balance, lead time, whether out-of-sync came first, counts.
    static func appendUser(_ state: UserState, to out: [ColumnBuilder], leads: inout [Double], predicted: inout Int) {
        if let at = state.firstOutOfSync { out[1].append(at) } else { out[1].appendNull() }
        if let at = state.firstOverdraft {
            out[2].append(at)
            out[3].append(state.overdraftBalance)
        } else {
            out[2].appendNull()
            out[3].appendNull()
        }
        if let from = state.firstOutOfSync, let to = state.firstOverdraft {
            let hours = Double(to - from) / 3_600_000_000
            out[4].append(hours)
            if to > from { leads.append(hours) }
        } else {
            out[4].appendNull()
        }
        if let to = state.firstOverdraft {
            let early = state.firstOutOfSync.map { $0 < to } ?? false
            out[5].append(early)
            if early { predicted += 1 }
        } else {
            out[5].appendNull()
        }
        out[6].append(Int64(state.overdraftRows))
        out[7].append(Int64(state.outOfSyncRows))
        out[8].append(Int64(state.rows))
    }
}
