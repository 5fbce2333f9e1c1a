/// A buffer that the iterations of a `Parallel` call fill, each writing its own indices: the one
/// place kernels write through a raw pointer, with every index checked in debug builds (the
/// model: swift-collections' `Deque._UnsafeHandle`). The writes being disjoint, and the buffer
/// outliving the call, stay the caller's to keep; elements are plain values, so writing into
/// uninitialized memory (an array's `unsafeUninitializedCapacity`) is sound.
@frozen
public struct SharedBuffer<Element: BitwiseCopyable>: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<Element>?
    public let count: Int

    @inlinable
    public init(_ buffer: UnsafeMutableBufferPointer<Element>) {
        base = buffer.baseAddress
        count = buffer.count
    }

    @inlinable
    public subscript(index: Int) -> Element {
        get {
            assert(index >= 0 && index < count, "index \(index) outside 0..<\(count)")
            return base.unsafelyUnwrapped[index]
        }
        nonmutating set {
            assert(index >= 0 && index < count, "index \(index) outside 0..<\(count)")
            base.unsafelyUnwrapped[index] = newValue
        }
    }

    /// Elements `range`, for a kernel that fills a run of them at once.
    @inlinable
    public func slice(_ range: Range<Int>) -> UnsafeMutableBufferPointer<Element> {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "\(range) outside 0..<\(count)")
        return UnsafeMutableBufferPointer(start: base.map { $0 + range.lowerBound }, count: range.count)
    }
}
