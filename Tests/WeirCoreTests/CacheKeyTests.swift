import Testing
import WeirTable

@testable import WeirCore

@Suite struct CacheKeyTests {
    func stage(_ params: [String: ResolvedParam]) -> StageSpec {
        StageSpec(
            id: "s", location: SourceLocation(file: "p.yaml", line: 1, column: 1), typeName: "toy.sum", inputs: [],
            params: params, retries: 0, timeout: nil)
    }

    func plain(_ value: ParamValue) -> ResolvedParam {
        ResolvedParam(value: value, location: nil, secret: false, environment: [])
    }

    @Test func canonicalEncodingIsOrderIndependentAndExact() {
        let a = KeyMaterial(
            stage: stage([
                "k": plain(.int(4)), "by": plain(.string("x")),
                "m": plain(.map(["b": .double(0.1), "a": .list([.bool(true), .null])])),
            ]),
            version: "1", inputs: [InputDigest(name: "orders", digest: "ab")], sources: [])
        let b = KeyMaterial(
            stage: stage([
                "m": plain(.map(["a": .list([.bool(true), .null]), "b": .double(0.1)])), "by": plain(.string("x")),
                "k": plain(.int(4)),
            ]),
            version: "1", inputs: [InputDigest(name: "orders", digest: "ab")], sources: [])
        #expect(a.canonical == b.canonical)
        #expect(
            a.canonical
                == #"{"inputs":[{"digest":"ab","name":"orders"}],"params":{"by":"x","k":4,"m":{"a":[true,null],"b":0.1}},"secrets":{},"sources":[],"type":"toy.sum","version":"1"}"#
        )
        #expect(a.key == ContentHash.sha256(a.canonical))
        #expect(a.key.count == 64)
    }

    @Test func secretsAreKeyedByNameNotValue() {
        let one = KeyMaterial(
            stage: stage([
                "url": ResolvedParam(
                    value: .string("https://hooks/secret-1"), location: nil, secret: true, environment: ["HOOK"])
            ]),
            version: "1", inputs: [], sources: [])
        let two = KeyMaterial(
            stage: stage([
                "url": ResolvedParam(
                    value: .string("https://hooks/secret-2"), location: nil, secret: true, environment: ["HOOK"])
            ]),
            version: "1", inputs: [], sources: [])
        #expect(one.key == two.key)
        #expect(!one.canonical.contains("secret-1"))
        #expect(one.canonical.contains("HOOK"))
    }

    @Test func changesNameWhatDiffers() {
        let old = KeyMaterial(
            stage: stage(["k": plain(.int(4)), "by": plain(.string("x"))]), version: "1",
            inputs: [InputDigest(name: "a", digest: "1"), InputDigest(name: "b", digest: "2")],
            sources: [SourceInput(name: "data/x.csv", digest: "f1")])
        let new = KeyMaterial(
            stage: stage(["k": plain(.int(5)), "by": plain(.string("x"))]), version: "2",
            inputs: [InputDigest(name: "a", digest: "1"), InputDigest(name: "b", digest: "3")],
            sources: [SourceInput(name: "data/x.csv", digest: "f2"), SourceInput(name: "data/y.csv", digest: "f3")])
        #expect(
            new.changes(since: old) == [
                "code version changed: toy.sum 1 -> 2",
                "params changed: k",
                "input changed: b",
                "source changed: data/x.csv, data/y.csv (new)",
            ])
        #expect(old.changes(since: old).isEmpty)
    }

    @Test func hashesMatchKnownVectors() throws {
        #expect(ContentHash.sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let path = try temporaryFile("hello\n")
        #expect(
            try ContentHash.sha256(file: path) == "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
    }
}

func temporaryFile(_ text: String) throws -> String {
    let path = "/tmp/weir-core-\(UInt64.random(in: 0...UInt64.max)).txt"
    try Array(text.utf8).withUnsafeBytes { bytes in
        let sink = try FileSink(path: path)
        try sink.write(bytes)
        try sink.close()
    }
    return path
}
