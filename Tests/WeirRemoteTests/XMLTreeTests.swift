import Foundation
import Testing

@testable import WeirRemote

/// S3's replies as the tree reads them; expected values written by hand from the XML spec.
@Suite struct XMLTreeTests {
    func parse(_ text: String) -> XMLTree? { XMLTree.parse(Data(text.utf8)) }

    @Test func readsAListingWithItsDeclarationNamespaceAndEntities() throws {
        let tree = try #require(
            parse(
                """
                \u{FEFF}<?xml version="1.0" encoding="UTF-8"?>
                <!-- a listing -->
                <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
                  <Name>b</Name><IsTruncated>false</IsTruncated>
                  <Contents><Key>a&amp;b &lt;c&gt; &#233;&#x4E2D;.csv</Key><ETag>&quot;9f&quot;</ETag></Contents>
                  <Contents><Key><![CDATA[x&y<z>.csv]]></Key><Size/></Contents>
                </ListBucketResult>
                """))
        #expect(tree.name == "ListBucketResult")
        #expect(tree["Name"] == "b")
        let keys = tree.all("Contents").map { $0["Key"] }
        #expect(keys == ["a&b <c> é中.csv", "x&y<z>.csv"])
        #expect(tree.all("Contents")[0]["ETag"] == "\"9f\"")
        #expect(tree.all("Contents")[1]["Size"] == "")
    }

    @Test func refusesWhatIsNotWellFormed() {
        for text in [
            "", "just text", "<a>", "<a></b>", "<a><b></a></b>", "<a/><b/>", "<a>&bogus;</a>", "<a>&#xZZ;</a>",
            "<a>&amp</a>", "x<a/>", "<a/>x", "<!DOCTYPE a [<!ENTITY e \"boom\">]><a>&e;</a>", "<a><!-- open </a>",
            "<a><![CDATA[open</a>", "<>",
        ] {
            #expect(parse(text) == nil, "accepted \(text.debugDescription)")
        }
    }

    @Test func refusesNestingDeeperThanItsLimit() {
        let deep = String(repeating: "<a>", count: 300) + String(repeating: "</a>", count: 300)
        #expect(parse(deep) == nil)
        let fine = String(repeating: "<a>", count: 200) + "x" + String(repeating: "</a>", count: 200)
        #expect(parse(fine)?.name == "a")
    }
}
