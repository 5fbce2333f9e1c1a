/// Just enough of the FlatBuffers wire format for Arrow's metadata: tables, scalars, strings,
/// vectors of offsets and of structs. The builder writes back to front like the reference
/// implementation, so every offset points forward; it never sorts or deduplicates, so the same
/// calls always give the same bytes.
struct FlatBufferBuilder {
    /// Distance of an object from the end of the buffer.
    typealias Ref = Int

    /// Bytes in reverse order: `reversed[k]` is the byte `k + 1` positions before the end.
    private var reversed: [UInt8] = []
    private var maxAlign = 1
    private var tableStart = 0
    private var tableFields: [(id: Int, at: Int)] = []

    init() { reversed.reserveCapacity(512) }

    private var size: Int { reversed.count }

    /// Pads so that after `additional` more bytes the size is a multiple of `alignment`.
    private mutating func align(_ alignment: Int, additional: Int = 0) {
        maxAlign = max(maxAlign, alignment)
        let padding = (alignment - (size + additional) % alignment) % alignment
        reversed.append(contentsOf: repeatElement(0, count: padding))
    }

    private mutating func prepend<T: FixedWidthInteger>(_ value: T) {
        var v = value.littleEndian
        withUnsafeBytes(of: &v) { bytes in
            for b in bytes.reversed() { reversed.append(b) }
        }
    }

    private mutating func prependOffset(to ref: Ref) {
        align(4)
        prepend(UInt32(size + 4 - ref))
    }

    mutating func string(_ text: String) -> Ref {
        let utf8 = Array(text.utf8)
        align(4, additional: utf8.count + 1)
        reversed.append(0)
        reversed.append(contentsOf: utf8.reversed())
        prepend(UInt32(utf8.count))
        return size
    }

    mutating func vector(of refs: [Ref]) -> Ref {
        align(4, additional: 4 * refs.count)
        for ref in refs.reversed() { prependOffset(to: ref) }
        prepend(UInt32(refs.count))
        return size
    }

    /// A vector of structs given as their little-endian bytes, `elementSize` each.
    mutating func vector(structBytes: [UInt8], elementSize: Int, alignment: Int) -> Ref {
        let count = elementSize == 0 ? 0 : structBytes.count / elementSize
        align(4, additional: structBytes.count)
        align(alignment, additional: structBytes.count)
        reversed.append(contentsOf: structBytes.reversed())
        prepend(UInt32(count))
        return size
    }

    mutating func vector(int64s: [Int64]) -> Ref {
        var bytes: [UInt8] = []
        for v in int64s { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        return vector(structBytes: bytes, elementSize: 8, alignment: 8)
    }

    mutating func startTable() {
        tableStart = size
        tableFields = []
    }

    mutating func add<T: FixedWidthInteger>(_ id: Int, _ value: T) {
        align(MemoryLayout<T>.size)
        prepend(value)
        tableFields.append((id, size))
    }

    mutating func add(_ id: Int, _ value: Bool) { add(id, UInt8(value ? 1 : 0)) }

    mutating func add(_ id: Int, ref: Ref) {
        prependOffset(to: ref)
        tableFields.append((id, size))
    }

    mutating func endTable() -> Ref {
        align(4)
        prepend(Int32(0))  // soffset to the vtable, patched below
        let table = size
        let fieldCount = (tableFields.map(\.id).max() ?? -1) + 1
        var slots = [UInt16](repeating: 0, count: fieldCount)
        for field in tableFields { slots[field.id] = UInt16(table - field.at) }
        // The vtable goes directly before the table: prepend slots last to first.
        for slot in slots.reversed() { prepend(slot) }
        prepend(UInt16(table - tableStart))
        prepend(UInt16(4 + 2 * fieldCount))
        let vtable = size
        let soffset = Int32(vtable - table)
        withUnsafeBytes(of: soffset.littleEndian) { bytes in
            for (i, b) in bytes.enumerated() { reversed[table - 1 - i] = b }
        }
        return table
    }

    /// The finished buffer: a root offset followed by everything built.
    mutating func finish(root: Ref) -> [UInt8] {
        align(max(maxAlign, 8), additional: 4)
        prependOffset(to: root)
        return reversed.reversed()
    }
}

struct FlatBufferError: Error, CustomStringConvertible {
    var description: String
}

/// Bounds-checked access to a FlatBuffers buffer; every read of a corrupt file throws instead
/// of trapping.
struct FlatBufferReader {
    let base: UnsafeRawPointer
    let count: Int

    func check(_ position: Int, _ size: Int) throws {
        guard position >= 0, size >= 0, position <= count - size else {
            throw FlatBufferError(
                description: "metadata offset \(position) (+\(size)) is outside its \(count)-byte buffer")
        }
    }

    func read<T: FixedWidthInteger>(_ position: Int, as: T.Type) throws -> T {
        try check(position, MemoryLayout<T>.size)
        return T(littleEndian: base.loadUnaligned(fromByteOffset: position, as: T.self))
    }

    func root() throws -> FlatTable {
        let offset = Int(try read(0, as: UInt32.self))
        return try FlatTable(reader: self, position: offset)
    }
}

struct FlatTable {
    let reader: FlatBufferReader
    let position: Int
    private let vtable: Int
    private let vtableSize: Int

    init(reader: FlatBufferReader, position: Int) throws {
        self.reader = reader
        self.position = position
        let soffset = Int(try reader.read(position, as: Int32.self))
        vtable = position - soffset
        vtableSize = Int(try reader.read(vtable, as: UInt16.self))
        try reader.check(vtable, vtableSize)
    }

    /// Absolute position of field `id`, or nil when it is absent (its default applies).
    func field(_ id: Int) throws -> Int? {
        let slot = 4 + 2 * id
        guard slot + 2 <= vtableSize else { return nil }
        let relative = Int(try reader.read(vtable + slot, as: UInt16.self))
        return relative == 0 ? nil : position + relative
    }

    func scalar<T: FixedWidthInteger>(_ id: Int, default value: T) throws -> T {
        guard let at = try field(id) else { return value }
        return try reader.read(at, as: T.self)
    }

    func bool(_ id: Int, default value: Bool) throws -> Bool {
        try scalar(id, default: UInt8(value ? 1 : 0)) != 0
    }

    private func indirect(_ id: Int) throws -> Int? {
        guard let at = try field(id) else { return nil }
        return at + Int(try reader.read(at, as: UInt32.self))
    }

    func table(_ id: Int) throws -> FlatTable? {
        guard let at = try indirect(id) else { return nil }
        return try FlatTable(reader: reader, position: at)
    }

    func string(_ id: Int) throws -> String? {
        guard let at = try indirect(id) else { return nil }
        let length = Int(try reader.read(at, as: UInt32.self))
        try reader.check(at + 4, length)
        return String(decoding: UnsafeRawBufferPointer(start: reader.base + at + 4, count: length), as: UTF8.self)
    }

    /// Position of the first element and the element count of vector field `id`.
    func vector(_ id: Int, elementSize: Int) throws -> (start: Int, count: Int)? {
        guard let at = try indirect(id) else { return nil }
        let length = Int(try reader.read(at, as: UInt32.self))
        try reader.check(at + 4, length * elementSize)
        return (at + 4, length)
    }

    func tables(_ id: Int) throws -> [FlatTable] {
        guard let (start, count) = try vector(id, elementSize: 4) else { return [] }
        var result: [FlatTable] = []
        result.reserveCapacity(count)
        for i in 0..<count {
            let at = start + 4 * i
            result.append(try FlatTable(reader: reader, position: at + Int(try reader.read(at, as: UInt32.self))))
        }
        return result
    }
}
