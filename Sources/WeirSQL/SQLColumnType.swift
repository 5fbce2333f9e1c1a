import CDuckDB
import WeirTable

/// The type DuckDB gives a result column, reduced to what deciding its Weir type needs.
public enum SQLColumnType: Sendable, Equatable, CustomStringConvertible {
    case boolean
    /// A signed or unsigned integer of `bits` bits (8 to 64).
    case integer(bits: Int, signed: Bool)
    /// HUGEINT / UHUGEINT: what `sum` of integers gives.
    case hugeint(signed: Bool)
    case float, double
    /// DECIMAL(width, scale), stored as an integer of `bits` bits.
    case decimal(width: Int, scale: Int, bits: Int)
    case varchar
    case date
    /// TIMESTAMP with values in units of 10^-`digits` seconds (0, 3, 6, 9); `zoned` for TIMESTAMPTZ.
    case timestamp(digits: Int, zoned: Bool)
    /// A type Weir cannot store (INTERVAL, LIST, STRUCT, BLOB, ...), by name.
    case other(String)
    /// NULL literals: every value is missing.
    case null

    init(_ logical: duckdb_logical_type) {
        let id = duckdb_get_type_id(logical)
        switch id {
        case DUCKDB_TYPE_BOOLEAN: self = .boolean
        case DUCKDB_TYPE_TINYINT: self = .integer(bits: 8, signed: true)
        case DUCKDB_TYPE_SMALLINT: self = .integer(bits: 16, signed: true)
        case DUCKDB_TYPE_INTEGER: self = .integer(bits: 32, signed: true)
        case DUCKDB_TYPE_BIGINT: self = .integer(bits: 64, signed: true)
        case DUCKDB_TYPE_UTINYINT: self = .integer(bits: 8, signed: false)
        case DUCKDB_TYPE_USMALLINT: self = .integer(bits: 16, signed: false)
        case DUCKDB_TYPE_UINTEGER: self = .integer(bits: 32, signed: false)
        case DUCKDB_TYPE_UBIGINT: self = .integer(bits: 64, signed: false)
        case DUCKDB_TYPE_HUGEINT: self = .hugeint(signed: true)
        case DUCKDB_TYPE_UHUGEINT: self = .hugeint(signed: false)
        case DUCKDB_TYPE_FLOAT: self = .float
        case DUCKDB_TYPE_DOUBLE: self = .double
        case DUCKDB_TYPE_DECIMAL:
            let bits =
                switch duckdb_decimal_internal_type(logical) {
                case DUCKDB_TYPE_SMALLINT: 16
                case DUCKDB_TYPE_INTEGER: 32
                case DUCKDB_TYPE_BIGINT: 64
                default: 128
                }
            self = .decimal(
                width: Int(duckdb_decimal_width(logical)), scale: Int(duckdb_decimal_scale(logical)), bits: bits)
        case DUCKDB_TYPE_VARCHAR: self = .varchar
        case DUCKDB_TYPE_DATE: self = .date
        case DUCKDB_TYPE_TIMESTAMP: self = .timestamp(digits: 6, zoned: false)
        case DUCKDB_TYPE_TIMESTAMP_TZ: self = .timestamp(digits: 6, zoned: true)
        case DUCKDB_TYPE_TIMESTAMP_S: self = .timestamp(digits: 0, zoned: false)
        case DUCKDB_TYPE_TIMESTAMP_MS: self = .timestamp(digits: 3, zoned: false)
        case DUCKDB_TYPE_TIMESTAMP_NS: self = .timestamp(digits: 9, zoned: false)
        case DUCKDB_TYPE_SQLNULL: self = .null
        default: self = .other(Self.name(of: id))
        }
    }

    private static func name(of id: duckdb_type) -> String {
        switch id {
        case DUCKDB_TYPE_INTERVAL: "INTERVAL"
        case DUCKDB_TYPE_TIME, DUCKDB_TYPE_TIME_TZ: "TIME"
        case DUCKDB_TYPE_BLOB: "BLOB"
        case DUCKDB_TYPE_LIST, DUCKDB_TYPE_ARRAY: "LIST"
        case DUCKDB_TYPE_STRUCT: "STRUCT"
        case DUCKDB_TYPE_MAP: "MAP"
        case DUCKDB_TYPE_UUID: "UUID"
        case DUCKDB_TYPE_ENUM: "ENUM"
        case DUCKDB_TYPE_UNION: "UNION"
        case DUCKDB_TYPE_BIT: "BIT"
        default: "type #\(id.rawValue)"
        }
    }

    public var description: String {
        switch self {
        case .boolean: "BOOLEAN"
        case .integer(let bits, let signed):
            (signed ? "" : "U")
                + ["8": "TINYINT", "16": "SMALLINT", "32": "INTEGER", "64": "BIGINT"]["\(bits)", default: "INTEGER"]
        case .hugeint(let signed): signed ? "HUGEINT" : "UHUGEINT"
        case .float: "FLOAT"
        case .double: "DOUBLE"
        case .decimal(let width, let scale, _): "DECIMAL(\(width),\(scale))"
        case .varchar: "VARCHAR"
        case .date: "DATE"
        case .timestamp(let digits, let zoned):
            zoned
                ? "TIMESTAMPTZ"
                : ["0": "TIMESTAMP_S", "3": "TIMESTAMP_MS", "9": "TIMESTAMP_NS"]["\(digits)", default: "TIMESTAMP"]
        case .other(let name): name
        case .null: "NULL"
        }
    }

    /// The Weir type a column of this type becomes when the query's author did not declare one:
    /// integers are int64 (wider sums are checked as they are read), decimals float64.
    public var naturalType: DataType? {
        switch self {
        case .boolean: .bool
        case .integer, .hugeint: .int64
        case .float, .double: .float64
        case .decimal(_, let scale, _): scale == 0 ? .int64 : .float64
        case .varchar: .string
        case .date: .date
        case .timestamp: .timestamp
        case .null: nil
        case .other: nil
        }
    }

    /// Whether values of this type can be read as `target` (exactly, or with a checked
    /// conversion that fails loudly on a value that does not fit).
    public func converts(to target: DataType) -> Bool {
        switch (self, target) {
        case (.null, _): true
        case (.other, _): false
        case (_, .string): true
        case (.boolean, .bool), (.integer, .bool): true
        case (.integer, .int64), (.hugeint, .int64), (.decimal, .int64), (.float, .int64), (.double, .int64): true
        case (.integer, .float64), (.hugeint, .float64), (.decimal, .float64), (.float, .float64), (.double, .float64):
            true
        case (.timestamp, .timestamp), (.date, .timestamp), (.varchar, .timestamp): true
        case (.date, .date), (.varchar, .date): true
        default: false
        }
    }

    /// The logical type a Weir column is scanned as.
    static func logicalType(for type: DataType) -> duckdb_logical_type {
        switch type {
        case .int64: duckdb_create_logical_type(DUCKDB_TYPE_BIGINT)
        case .float64: duckdb_create_logical_type(DUCKDB_TYPE_DOUBLE)
        case .string: duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR)
        case .bool: duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN)
        case .timestamp: duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP)
        case .date: duckdb_create_logical_type(DUCKDB_TYPE_DATE)
        }
    }
}
