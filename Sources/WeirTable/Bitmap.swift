/// Arrow bitmaps: bit `i` is bit `i % 8` of byte `i / 8`, least significant first.
@usableFromInline
enum Bitmap {
    @inlinable @inline(__always)
    static func get(_ base: UnsafeRawPointer, _ index: Int) -> Bool {
        (base.load(fromByteOffset: index &>> 3, as: UInt8.self) &>> UInt8(index & 7)) & 1 == 1
    }

    @inline(__always)
    static func set(_ base: UnsafeMutableRawPointer, _ index: Int, _ value: Bool) {
        let byte = base.load(fromByteOffset: index &>> 3, as: UInt8.self)
        let mask = UInt8(1) &<< UInt8(index & 7)
        base.storeBytes(of: value ? byte | mask : byte & ~mask, toByteOffset: index &>> 3, as: UInt8.self)
    }

    static func byteCount(bits: Int) -> Int { (bits + 7) / 8 }

    /// Number of set bits among `count` bits starting at bit `from`.
    static func countSet(_ base: UnsafeRawPointer, from: Int, count: Int) -> Int {
        var total = 0
        var i = from
        let end = from + count
        while i < end && i & 7 != 0 {
            if get(base, i) { total += 1 }
            i += 1
        }
        while i + 64 <= end {
            total += base.loadUnaligned(fromByteOffset: i >> 3, as: UInt64.self).nonzeroBitCount
            i += 64
        }
        while i < end {
            if get(base, i) { total += 1 }
            i += 1
        }
        return total
    }

    /// Copies `count` bits starting at bit `from` of `source` into a new buffer starting at bit 0,
    /// padded with zero bits. Used to re-align sliced bitmaps when writing Arrow files.
    static func realigned(_ source: UnsafeRawPointer, from: Int, count: Int) -> ByteBuffer {
        var out = GrowableBuffer(capacity: byteCount(bits: count))
        out.appendZeros(byteCount(bits: count))
        if from & 7 == 0 {
            out.pointer.copyMemory(from: source + (from >> 3), byteCount: byteCount(bits: count))
            // Clear the bits past `count` in the last byte so output is deterministic.
            if count & 7 != 0 {
                let last = byteCount(bits: count) - 1
                let byte = out.pointer.load(fromByteOffset: last, as: UInt8.self)
                out.pointer.storeBytes(of: byte & UInt8((1 << (count & 7)) - 1), toByteOffset: last, as: UInt8.self)
            }
        } else {
            for i in 0..<count where get(source, from + i) { set(out.pointer, i, true) }
        }
        return ByteBuffer(out.finish())
    }
}
