import WeirSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An immutable, reference-counted region of bytes: heap memory Weir allocated, or a slice of a
/// memory-mapped file. Columns share these instead of copying, so slicing a table or reading an
/// Arrow file never moves data.
///
/// `@unchecked Sendable`: the bytes are never written after the buffer is created, so sharing
/// the pointer across threads is safe.
public final class ByteBuffer: @unchecked Sendable {
    public let base: UnsafeRawPointer
    public let count: Int
    private let owner: Owner

    enum Owner {
        case heap(UnsafeMutableRawPointer)
        case mapping(MappedFile)
        case parent(ByteBuffer)
        /// Memory that an object (an output file's mapping) owns and lets go with itself.
        case keeper(AnyObject)
        case none
    }

    init(base: UnsafeRawPointer, count: Int, owner: Owner) {
        self.base = base
        self.count = count
        self.owner = owner
    }

    deinit {
        if case .heap(let pointer) = owner { free(pointer) }
    }

    /// An empty buffer, shared by empty columns.
    public static let empty: ByteBuffer = {
        ByteBuffer(base: UnsafeRawPointer(bitPattern: 64)!, count: 0, owner: .none)
    }()

    /// One Int32 zero: the offsets of an empty string column.
    public static let zeroOffset: ByteBuffer = {
        withUnsafeBytes(of: Int32(0)) { ByteBuffer(copying: $0) }
    }()

    /// A sub-range of another buffer, keeping it alive.
    public convenience init(slicing parent: ByteBuffer, offset: Int, count: Int) {
        precondition(offset >= 0 && count >= 0 && offset + count <= parent.count)
        self.init(base: parent.base + offset, count: count, owner: .parent(parent))
    }

    /// A copy of `bytes`.
    public convenience init(copying bytes: UnsafeRawBufferPointer) {
        var growable = GrowableBuffer(capacity: bytes.count)
        growable.append(bytes)
        self.init(growable.finish())
    }

    /// Takes ownership of a growable buffer's memory without copying it.
    public convenience init(_ finished: consuming GrowableBuffer.Finished) {
        if finished.count == 0 {
            free(finished.pointer)
            self.init(base: ByteBuffer.empty.base, count: 0, owner: .none)
        } else {
            self.init(
                base: UnsafeRawPointer(finished.pointer), count: finished.count,
                owner: .heap(finished.pointer))
        }
    }

    /// A sub-range of a mapped file, kept alive by the mapping.
    init(mapping: MappedFile, offset: Int, count: Int) {
        self.base = mapping.base + offset
        self.count = count
        self.owner = .mapping(mapping)
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Whether the bytes belong to a file mapping (for tests that check nothing was copied).
    var isMapped: Bool {
        switch owner {
        case .mapping: true
        case .parent(let parent): parent.isMapped
        default: false
        }
    }

    @inline(__always)
    public func load<T: BitwiseCopyable>(_ index: Int, as type: T.Type) -> T {
        base.loadUnaligned(fromByteOffset: index &* MemoryLayout<T>.stride, as: T.self)
    }
}

/// A malloc-backed byte buffer that grows by doubling; `finish()` hands the memory to a
/// `ByteBuffer` without a copy. Used by column builders and the CSV parser.
///
/// It may also fill a window of memory that something else owns (`init(window:capacity:)`),
/// so parallel parsers can each write their part of one final buffer; past the window's end
/// it moves what it holds to memory of its own.
public struct GrowableBuffer: ~Copyable {
    public private(set) var pointer: UnsafeMutableRawPointer
    public private(set) var count: Int = 0
    public private(set) var capacity: Int
    private var ownsMemory = true

    public struct Finished: ~Copyable {
        let pointer: UnsafeMutableRawPointer
        let count: Int
    }

    public init(capacity: Int = 64) {
        let capacity = max(capacity, 64)
        self.pointer = GrowableBuffer.allocate(capacity)
        self.capacity = capacity
    }

    /// Buffers of several megabytes are 2 MiB-aligned and marked for transparent huge pages:
    /// filling a gigabyte of column data then takes 512 times fewer page faults.
    static let hugeThreshold = 4 << 20

    static func allocate(_ size: Int) -> UnsafeMutableRawPointer {
        if size >= hugeThreshold {
            var memory: UnsafeMutableRawPointer?
            let rounded = (size + (2 << 20) - 1) & ~((2 << 20) - 1)
            if posix_memalign(&memory, 2 << 20, rounded) == 0, let memory {
                Syscall.advise(memory, size: rounded, MADV_HUGEPAGE)
                return memory
            }
        }
        guard let memory = malloc(size) else { fatalError("out of memory allocating \(size) bytes") }
        return memory
    }

    /// Writes into `capacity` bytes at `window`, which the caller owns and keeps alive.
    public init(window: UnsafeMutableRawPointer, capacity: Int) {
        pointer = window
        self.capacity = capacity
        ownsMemory = false
    }

    deinit { if ownsMemory { free(pointer) } }

    /// Whether this fills a window of memory it does not own (and would leave it on growing).
    public var isWindow: Bool { !ownsMemory }

    @inline(__always)
    public mutating func reserve(_ extra: Int) {
        if count &+ extra > capacity { grow(to: count &+ extra) }
    }

    @inline(never)
    mutating func grow(to needed: Int) {
        var newCapacity = max(capacity &* 2, 64)
        while newCapacity < needed { newCapacity &*= 2 }
        if !ownsMemory {
            let memory = GrowableBuffer.allocate(newCapacity)
            memory.copyMemory(from: pointer, byteCount: count)
            pointer = memory
            ownsMemory = true
        } else if newCapacity >= GrowableBuffer.hugeThreshold {
            let memory = GrowableBuffer.allocate(newCapacity)
            memory.copyMemory(from: pointer, byteCount: count)
            free(pointer)
            pointer = memory
        } else {
            guard let memory = realloc(pointer, newCapacity) else {
                fatalError("out of memory growing a buffer to \(newCapacity) bytes")
            }
            pointer = memory
        }
        capacity = newCapacity
    }

    @inline(__always)
    public mutating func append<T: BitwiseCopyable>(_ value: T) {
        let size = MemoryLayout<T>.size
        reserve(size)
        (pointer + count).storeBytes(of: value, as: T.self)
        count &+= size
    }

    @inline(__always)
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (pointer + count).copyMemory(from: source, byteCount: bytes.count)
        count &+= bytes.count
    }

    /// Appends `n` copies of `byte`.
    public mutating func append(repeating byte: UInt8, count n: Int) {
        guard n > 0 else { return }
        reserve(n)
        (pointer + count).initializeMemory(as: UInt8.self, repeating: byte, count: n)
        count &+= n
    }

    /// Appends `count` zero bytes.
    public mutating func appendZeros(_ n: Int) {
        guard n > 0 else { return }
        reserve(n)
        (pointer + count).initializeMemory(as: UInt8.self, repeating: 0, count: n)
        count &+= n
    }

    /// Overwrites a value already appended at `byteOffset`.
    @inline(__always)
    public func store<T: BitwiseCopyable>(_ value: T, at byteOffset: Int) {
        (pointer + byteOffset).storeBytes(of: value, as: T.self)
    }

    @inline(__always)
    public func load<T: BitwiseCopyable>(at byteOffset: Int, as type: T.Type) -> T {
        UnsafeRawPointer(pointer + byteOffset).loadUnaligned(as: T.self)
    }

    public mutating func removeAll() { count = 0 }

    /// Counts `n` bytes written directly into the reserved space past `count`.
    public mutating func appendUninitialized(_ n: Int) {
        precondition(count + n <= capacity)
        count += n
    }

    /// Drops bytes past `newCount`.
    public mutating func truncate(to newCount: Int) {
        precondition(newCount >= 0 && newCount <= count, "truncate to \(newCount) of \(count) bytes")
        count = newCount
    }

    public consuming func finish() -> Finished {
        precondition(ownsMemory, "a window into another buffer cannot be handed over")
        let result = Finished(pointer: pointer, count: count)
        discard self
        return result
    }
}

/// A read-only memory mapping of a whole file. Objects in Weir's store are immutable once
/// renamed into place, so a mapping never sees its file truncated.
public final class MappedFile: @unchecked Sendable {
    public let base: UnsafeRawPointer
    public let count: Int
    private let mapped: Bool

    public init(path: String) throws {
        let fd: Int32
        let info: stat
        do {
            fd = try Syscall.open(path, O_RDONLY)
            info = try Syscall.status(fd)
        } catch {
            throw TableError.io(path: path, message: error.description)
        }
        defer { try? Syscall.close(fd) }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw TableError.io(path: path, message: "is a directory, not a file")
        }
        let size = Int(info.st_size)
        count = size
        if size == 0 {
            base = ByteBuffer.empty.base
            mapped = false
            return
        }
        do { base = try Syscall.mapReadOnly(fd, size: size) } catch {
            throw TableError.io(path: path, message: "cannot map file: \(error)")
        }
        mapped = true
    }

    deinit {
        if mapped { Syscall.unmap(base, size: count) }
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Unmaps the whole pages within `range` from this process: they stop counting in its
    /// resident memory, and a later read maps them again from the page cache (the mapping is
    /// read-only, so nothing is lost). For a file read once, part by part.
    public func release(_ range: Range<Int>) {
        guard mapped else { return }
        let page = Syscall.pageSize
        let lower = (range.lowerBound + page - 1) / page * page
        let upper = range.upperBound == count ? count : range.upperBound / page * page
        guard upper > lower else { return }
        Syscall.advise(base + lower, size: upper - lower, MADV_DONTNEED)
    }

    /// Tells the kernel the file will be read front to back.
    public func adviseSequential() {
        if mapped { Syscall.advise(base, size: count, MADV_SEQUENTIAL) }
    }
}
