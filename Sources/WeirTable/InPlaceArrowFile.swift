import CWeirSystem
import WeirSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An Arrow file whose fixed-width columns are parsed straight into their place in it.
///
/// Writing a table copies every byte of it into the page cache, one writer at a time on ext4: a
/// gigabyte of parsed CSV takes a fifth of a second more to land in a file than to sit in
/// memory. A reader that knows, before it parses, which columns it will read and how many rows
/// at most asks `place` where each column's values will lie in the finished file, and parses
/// them into a shared mapping of it there. `write` then writes what is not already in place:
/// the metadata and the columns that could not be placed.
///
/// The placement is a guess made before the values are seen. When the table turns out otherwise
/// (a column widened to text, nulls, fewer rows than lines), `write` writes the file the usual
/// way; the mapping then only served as memory. Either way the bytes are those `ArrowWriter`
/// writes for the table.
///
/// The file is written under a temporary name beside `path` and renamed over it only when it is
/// complete, so a run that fails or is killed never leaves a half-written file at `path`.
public final class InPlaceArrowFile: @unchecked Sendable {
    public let path: String
    let partialPath: String
    private let writer: ArrowWriter
    private var fd: Int32
    private var region: UnsafeMutableRawPointer?
    private var regionBytes = 0
    /// Columns handed a place, and the file offset of their values.
    private(set) var placed: [(column: Int, offset: Int)] = []
    private var renamed = false
    /// Whether `write` found the placed columns in place (else it wrote the whole file).
    public private(set) var wroteInPlace = false

    public init(path: String, writer: ArrowWriter = ArrowWriter()) throws {
        self.path = path
        self.writer = writer
        partialPath = "\(path).weir-\(Syscall.processID).tmp"
        do { fd = try Syscall.open(partialPath, O_RDWR | O_CREAT | O_TRUNC) } catch {
            throw TableError.io(path: path, message: "cannot create \(partialPath): \(error)")
        }
    }

    deinit {
        if let region { Syscall.unmap(region, size: regionBytes) }
        if fd >= 0 { try? Syscall.close(fd) }
        if !renamed { Syscall.unlink(partialPath) }
    }

    /// Places of the columns of 8-byte values (int64, float64, timestamp) whose offsets are
    /// known for this schema and row count, each with room for `rowCount` values; nil for the
    /// others, and for all when the file cannot be mapped. Asked once, before parsing.
    func place(schema: Schema, rowCount: Int, mayHaveNulls: [Bool]) -> [UnsafeMutableRawPointer?] {
        var places = [UnsafeMutableRawPointer?](repeating: nil, count: schema.fields.count)
        guard region == nil, rowCount > 0 else { return places }
        let offsets = writer.plannedValueOffsets(schema: schema, rowCount: rowCount, mayHaveNulls: mayHaveNulls)
        let chosen = offsets.enumerated().compactMap { c, offset in
            offset.flatMap { schema.fields[c].type.fixedWidth == 8 ? (column: c, offset: $0) : nil }
        }
        guard let end = chosen.map({ $0.offset + rowCount * 8 }).max() else { return places }
        // Blocks are reserved before any page is written: running out of disk while writing
        // through a mapping is a SIGBUS, not an error. Where they cannot be, nothing is placed.
        guard (try? Syscall.reserve(fd, end)) != nil, let memory = try? Syscall.mapShared(fd, size: end) else {
            return places
        }
        region = memory
        regionBytes = end
        placed = chosen
        for (c, offset) in chosen { places[c] = memory + offset }
        return places
    }

    /// Writes `table` to `path`. Columns whose values lie where the file needs them are not
    /// written again.
    public func write(_ table: Table) throws {
        if inPlace(table) {
            var sink = try InPlaceSink(
                file: FileSink(path: partialPath, startsWriteback: false, truncating: false),
                region: region.map { UnsafeRawBufferPointer(start: $0, count: regionBytes) })
            try writer.write(table, to: &sink)
            try sink.file.close()
            wroteInPlace = !placed.isEmpty
        } else {
            // The table's values may live in the mapped file: it is unlinked, not truncated, and
            // stays readable until it is unmapped, while a new file takes its name.
            Syscall.unlink(partialPath)
            try writer.write(table, toFile: partialPath)
        }
        do { try Syscall.rename(partialPath, to: path) } catch {
            throw TableError.io(path: path, message: "cannot rename \(partialPath) into place: \(error)")
        }
        renamed = true
    }

    /// Whether every placed column of `table` holds its values at the place it was given, and
    /// that is where the writer puts them.
    private func inPlace(_ table: Table) -> Bool {
        guard let region else { return true }
        guard placed.allSatisfy({ $0.column < table.columnCount }) else { return false }
        let offsets = writer.plannedValueOffsets(
            schema: table.schema, rowCount: table.rowCount,
            mayHaveNulls: table.columns.map { $0.validity != nil })
        return placed.allSatisfy { c, offset in
            let column = table.columns[c]
            return offsets[c] == offset && column.offset == 0 && column.data.base == UnsafeRawPointer(region + offset)
        }
    }
}

/// Writes a file from its start, passing over the bytes that already lie in the region mapped
/// from it at the place they are written to.
private struct InPlaceSink: ByteSink {
    let file: FileSink
    let region: UnsafeRawBufferPointer?
    private var position = 0

    init(file: FileSink, region: UnsafeRawBufferPointer?) {
        self.file = file
        self.region = region
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        defer { position += bytes.count }
        guard let region, let start = bytes.baseAddress, let regionStart = region.baseAddress,
            start >= regionStart && start < regionStart + region.count
        else {
            return try file.write(bytes)
        }
        // Bytes from the mapping written anywhere else would overwrite placed values that are
        // still to be written; `inPlace` rules that out before writing begins.
        guard start == regionStart + position else {
            throw TableError.io(
                path: file.path, message: "internal error: a placed column is not where the file needs it")
        }
        try file.skip(bytes.count)
    }
}
