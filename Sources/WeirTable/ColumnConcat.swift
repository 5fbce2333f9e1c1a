extension Column {
    /// The values of `parts` one after another, in one contiguous column. All parts must have
    /// the same type. A single part is returned as is.
    public static func concatenate(_ parts: [Column]) throws -> Column {
        guard let first = parts.first else { throw TableError.invalid("nothing to concatenate") }
        if parts.count == 1 { return first }
        for part in parts where part.type != first.type {
            throw TableError.invalid("cannot concatenate a \(part.type) column to a \(first.type) column")
        }
        let total = parts.reduce(0) { $0 + $1.count }
        let nulls = parts.reduce(0) { $0 + $1.nullCount }

        var validity: ByteBuffer?
        if nulls > 0 {
            var bitmap = GrowableBuffer(capacity: Bitmap.byteCount(bits: total))
            bitmap.appendZeros(Bitmap.byteCount(bits: total))
            var row = 0
            for part in parts {
                for i in 0..<part.count where part.isValid(i) { Bitmap.set(bitmap.pointer, row + i, true) }
                row += part.count
            }
            validity = ByteBuffer(bitmap.finish())
        }

        switch first.type {
        case .bool:
            var bits = GrowableBuffer(capacity: Bitmap.byteCount(bits: total))
            bits.appendZeros(Bitmap.byteCount(bits: total))
            var row = 0
            for part in parts {
                for i in 0..<part.count where part.bool(at: i) { Bitmap.set(bits.pointer, row + i, true) }
                row += part.count
            }
            return Column(
                type: .bool, count: total, validity: validity, data: ByteBuffer(bits.finish()), nullCount: nulls)
        case .string:
            let bytes = parts.reduce(0) { $0 + $1.strings.byteCount }
            guard bytes <= Int(Int32.max) else {
                throw TableError.invalid("string column of \(bytes) bytes exceeds the 2 GiB a column can hold")
            }
            var offsets = GrowableBuffer(capacity: (total + 1) * 4)
            var data = GrowableBuffer(capacity: bytes)
            offsets.append(Int32(0))
            for part in parts {
                let view = part.strings
                let base = Int32(data.count) - view.offsetsBase[0]
                guard part.count > 0 else { continue }
                for i in 1...part.count { offsets.append(view.offsetsBase[i] + base) }
                data.append(
                    UnsafeRawBufferPointer(start: view.dataBase + Int(view.offsetsBase[0]), count: view.byteCount))
            }
            return Column(
                type: .string, count: total, validity: validity, data: ByteBuffer(data.finish()),
                offsets: ByteBuffer(offsets.finish()), nullCount: nulls)
        default:
            let width = first.type.fixedWidth!
            var data = GrowableBuffer(capacity: total * width)
            for part in parts {
                data.append(
                    UnsafeRawBufferPointer(start: part.data.base + part.offset * width, count: part.count * width))
            }
            return Column(
                type: first.type, count: total, validity: validity, data: ByteBuffer(data.finish()), nullCount: nulls)
        }
    }
}
