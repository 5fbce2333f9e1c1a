/// Constants of the Arrow IPC format (Schema.fbs, Message.fbs, File.fbs). Field ids are the
/// positions of fields in the flatbuffer tables; a union takes two ids (type, then value).
enum ArrowFormat {
    static let magic: [UInt8] = Array("ARROW1".utf8)
    static let continuation: UInt32 = 0xFFFF_FFFF
    /// MetadataVersion.V5 (the enum is 0-based).
    static let metadataVersion: Int16 = 4

    enum MessageHeader: UInt8 {
        case schema = 1, dictionaryBatch = 2, recordBatch = 3
    }

    /// Type union ids.
    enum TypeID: UInt8 {
        case null = 1, int = 2, floatingPoint = 3, binary = 4, utf8 = 5, bool = 6, decimal = 7,
            date = 8, time = 9, timestamp = 10, interval = 11, list = 12, struct_ = 13, union = 14,
            fixedSizeBinary = 15, fixedSizeList = 16, map = 17, duration = 18, largeBinary = 19,
            largeUtf8 = 20, largeList = 21, runEndEncoded = 22, binaryView = 23, utf8View = 24,
            listView = 25, largeListView = 26

        var name: String {
            switch self {
            case .null: "null"
            case .int: "int"
            case .floatingPoint: "floating point"
            case .binary: "binary"
            case .utf8: "utf8"
            case .bool: "bool"
            case .decimal: "decimal"
            case .date: "date"
            case .time: "time"
            case .timestamp: "timestamp"
            case .interval: "interval"
            case .list: "list"
            case .struct_: "struct"
            case .union: "union"
            case .fixedSizeBinary: "fixed-size binary"
            case .fixedSizeList: "fixed-size list"
            case .map: "map"
            case .duration: "duration"
            case .largeBinary: "large binary"
            case .largeUtf8: "large utf8"
            case .largeList: "large list"
            case .runEndEncoded: "run-end encoded"
            case .binaryView: "binary view"
            case .utf8View: "utf8 view"
            case .listView: "list view"
            case .largeListView: "large list view"
            }
        }
    }

    enum MessageField { static let version = 0, headerType = 1, header = 2, bodyLength = 3 }
    enum SchemaField { static let endianness = 0, fields = 1 }
    enum FieldField { static let name = 0, nullable = 1, typeType = 2, type = 3, dictionary = 4, children = 5 }
    enum RecordBatchField { static let length = 0, nodes = 1, buffers = 2, compression = 3 }
    enum DictionaryBatchField { static let id = 0, data = 1, isDelta = 2 }
    enum FooterField { static let version = 0, schema = 1, dictionaries = 2, recordBatches = 3 }
    enum DictionaryEncodingField { static let id = 0, indexType = 1 }

    /// Block struct in the footer: offset (int64), metaDataLength (int32), padding, bodyLength (int64).
    static let blockSize = 24
    /// FieldNode and Buffer structs: two int64s each.
    static let pairSize = 16

    @inline(__always)
    static func padded(_ n: Int) -> Int { (n + 7) & ~7 }
}
