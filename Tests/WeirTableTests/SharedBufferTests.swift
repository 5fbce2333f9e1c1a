import Testing
import WeirTable

@Suite struct SharedBufferTests {
    @Test func parallelIterationsFillTheirOwnIndices() {
        let n = 1_000_003
        let chunks = 7
        let filled = [Int64](unsafeUninitializedCapacity: n) { out, written in
            let target = SharedBuffer(out)
            Parallel.forEach(chunks) { c in
                for i in (n * c / chunks)..<(n * (c + 1) / chunks) { target[i] = Int64(i) * 3 }
            }
            written = n
        }
        #expect(filled.count == n)
        #expect(filled.enumerated().allSatisfy { $0.element == Int64($0.offset) * 3 })
    }

    @Test func aSliceIsTheRunItNames() {
        var values = [Int32](repeating: 0, count: 10)
        values.withUnsafeMutableBufferPointer { buffer in
            let shared = SharedBuffer(buffer)
            let run = shared.slice(3..<6)
            for i in run.indices { run[i] = Int32(i + 1) }
            #expect(shared.count == 10 && run.count == 3)
        }
        #expect(values == [0, 0, 0, 1, 2, 3, 0, 0, 0, 0])
    }
}
