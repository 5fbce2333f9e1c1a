import Dispatch
import WeirSystem

#if canImport(Glibc)
    import Glibc
#endif

/// CPU-bound loops over all cores. Only for kernels: blocking work (I/O, subprocesses) belongs
/// on dedicated threads, because Dispatch does not widen its pool for blocked workers.
public enum Parallel {
    public static var coreCount: Int { Syscall.coreCount }

    /// `body(i)` for every i in 0..<count, on all cores, results in order.
    public static func map<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
        if count == 0 { return [] }
        if count == 1 { return [body(0)] }
        let slots = Slots<T>(count)
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: count) { i in
                slots.store(work.value(i), at: i)
            }
        }
        return slots.collect()
    }

    /// Two different jobs at once, on two cores when there are two; their results in order.
    public static func both<A, B>(_ first: () -> A, _ second: () -> B) -> (A, B) {
        var a: A?
        var b: B?
        forEach(2) { job in
            if job == 0 { a = first() } else { b = second() }
        }
        return (a!, b!)
    }

    /// `body(i)` for every i in 0..<count, on all cores.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count == 1 {
            body(0)
            return
        }
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: count) { work.value($0) }
        }
    }
}

/// Result slots written by concurrent iterations, each iteration to its own index only; that
/// disjointness is what makes the unchecked Sendable sound.
private final class Slots<T>: @unchecked Sendable {
    private let buffer: UnsafeMutablePointer<T?>
    private let count: Int

    init(_ count: Int) {
        self.count = count
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: nil, count: count)
    }

    deinit {
        buffer.deinitialize(count: count)
        buffer.deallocate()
    }

    func store(_ value: T, at index: Int) { buffer[index] = value }

    func collect() -> [T] { (0..<count).map { buffer[$0]! } }
}

/// A kernel closure handed to `concurrentPerform`, which returns only after every iteration
/// has finished: the closure never outlives the call, and kernels write disjoint memory.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
