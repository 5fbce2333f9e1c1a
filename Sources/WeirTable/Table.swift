/// An immutable columnar table: a schema and one column per field, all of `rowCount` rows.
/// A table with no columns still has a row count (Arrow allows it, and SQL `SELECT` of nothing
/// over N rows means it).
public struct Table: Sendable {
    public let schema: Schema
    public let columns: [Column]
    public let rowCount: Int

    public init(schema: Schema, columns: [Column], rowCount: Int? = nil) throws {
        guard schema.count == columns.count else {
            throw TableError.invalid("schema has \(schema.count) fields but \(columns.count) columns were given")
        }
        let rows = rowCount ?? columns.first?.count ?? 0
        for (field, column) in zip(schema.fields, columns) {
            guard field.type == column.type else {
                throw TableError.invalid("field '\(field.name)' is \(field.type) but its column holds \(column.type)")
            }
            guard column.count == rows else {
                throw TableError.invalid("column '\(field.name)' has \(column.count) rows, expected \(rows)")
            }
        }
        var seen = Set<String>()
        for name in schema.names where !seen.insert(name).inserted {
            throw TableError.invalid("duplicate column name '\(name)'")
        }
        self.schema = schema
        self.columns = columns
        self.rowCount = rows
    }

    /// A table from (name, column) pairs.
    public init(_ pairs: KeyValuePairs<String, Column>) throws {
        try self.init(schema: Schema(pairs.map { Field($0.key, $0.value.type) }), columns: pairs.map(\.value))
    }

    public init(fields: [(String, Column)]) throws {
        try self.init(schema: Schema(fields.map { Field($0.0, $0.1.type) }), columns: fields.map(\.1))
    }

    /// An empty table with the given schema.
    public init(empty schema: Schema) {
        self.schema = schema
        self.columns = schema.fields.map { ColumnBuilder($0.type).finish() }
        self.rowCount = 0
    }

    public var columnCount: Int { columns.count }

    public func column(_ name: String) -> Column? {
        schema.index(of: name).map { columns[$0] }
    }

    /// Rows `range`, sharing buffers with this table.
    public func slice(_ range: Range<Int>) -> Table {
        precondition(range.lowerBound >= 0 && range.upperBound <= rowCount, "slice \(range) out of 0..<\(rowCount)")
        return Table(unchecked: schema, columns.map { $0.slice(range) }, rowCount: range.count)
    }

    /// The named columns in the given order; throws naming a missing column and listing the others.
    public func select(_ names: [String]) throws -> Table {
        var fields: [Field] = []
        var picked: [Column] = []
        for name in names {
            guard let index = schema.index(of: name) else {
                throw TableError.invalid("no column '\(name)' (columns: \(schema.names.joined(separator: ", ")))")
            }
            fields.append(schema.fields[index])
            picked.append(columns[index])
        }
        return try Table(schema: Schema(fields), columns: picked, rowCount: rowCount)
    }

    /// This table with one column added (or replaced, when the name exists).
    public func with(_ name: String, _ column: Column) throws -> Table {
        var fields = schema.fields
        var cols = columns
        if let index = schema.index(of: name) {
            fields[index] = Field(name, column.type)
            cols[index] = column
        } else {
            fields.append(Field(name, column.type))
            cols.append(column)
        }
        return try Table(schema: Schema(fields), columns: cols, rowCount: columns.isEmpty ? column.count : rowCount)
    }

    /// Row `index` as boxed values (tests, display).
    public func row(_ index: Int) -> [Value] { columns.map { $0[index] } }

    init(unchecked schema: Schema, _ columns: [Column], rowCount: Int) {
        self.schema = schema
        self.columns = columns
        self.rowCount = rowCount
    }
}

extension Table {
    /// Appends the tables' rows one after another. Every table must have the same column names
    /// and types, in the same order; the error names the first difference.
    public static func concatenate(_ tables: [Table]) throws -> Table {
        guard let first = tables.first else { throw TableError.invalid("nothing to concatenate") }
        if tables.count == 1 { return first }
        for (n, table) in tables.enumerated().dropFirst() where table.schema != first.schema {
            throw TableError.invalid("table \(n + 1) has columns \(table.schema) but table 1 has \(first.schema)")
        }
        let total = tables.reduce(0) { $0 + $1.rowCount }
        // Columns are independent copies: one per core (multi-batch Arrow files are read this way).
        let columns = Parallel.map(first.schema.fields.count) { c in
            Result { try Column.concatenate(tables.map { $0.columns[c] }) }
        }
        return Table(unchecked: first.schema, try columns.map { try $0.get() }, rowCount: total)
    }
}

/// Builds a table row by row.
public final class TableBuilder {
    public let schema: Schema
    private let builders: [ColumnBuilder]
    public private(set) var rowCount = 0

    public init(_ schema: Schema, capacity: Int = 0) {
        self.schema = schema
        builders = schema.fields.map { ColumnBuilder($0.type, capacity: capacity) }
    }

    /// Appends one row; values must match the schema's types (int64 values may go to float64).
    public func append(row values: [Value]) throws {
        guard values.count == builders.count else {
            throw TableError.invalid("row has \(values.count) values, schema has \(builders.count) columns")
        }
        for (builder, value) in zip(builders, values) { try builder.append(value) }
        rowCount += 1
    }

    /// The builder of column `index`, for callers that append column-wise.
    public func column(_ index: Int) -> ColumnBuilder { builders[index] }

    public func finish() -> Table {
        let columns = builders.map { $0.finish() }
        let rows = columns.first?.count ?? rowCount
        rowCount = 0
        return Table(unchecked: schema, columns, rowCount: rows)
    }
}
