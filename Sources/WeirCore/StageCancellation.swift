import Synchronization

/// Work a stage does inside this process that can be asked to stop (a running SQL query),
/// reached on the stage's timeout and when Weir is interrupted, as its child processes are.
public enum StageCancellation {
    private static let handlers = Mutex<[Int: (owner: String, cancel: @Sendable () -> Void)]>([:])
    private static let counter = Atomic<Int>(0)

    /// Registers `cancel` for stage `owner` until `unregister` with the returned token.
    public static func register(owner: String, _ cancel: @escaping @Sendable () -> Void) -> Int {
        let token = counter.wrappingAdd(1, ordering: .relaxed).newValue
        handlers.withLock { $0[token] = (owner, cancel) }
        return token
    }

    public static func unregister(_ token: Int) { _ = handlers.withLock { $0.removeValue(forKey: token) } }

    /// Calls every registered cancel (of the stages `owners` only, when given).
    public static func cancelAll(owners: Set<String>? = nil) {
        let matching = handlers.withLock { $0.values.filter { owners?.contains($0.owner) ?? true }.map(\.cancel) }
        for cancel in matching { cancel() }
    }
}
