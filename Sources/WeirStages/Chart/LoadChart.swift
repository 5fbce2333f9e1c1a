import Foundation
import WeirCore
import WeirTable

/// Shared by `load.svg` and `load.png`: the input is a chart stage's `chart` port.
protocol ChartFileLoad: FileLoad {}

extension ChartFileLoad {
    func checkInput(_ context: inout PlanContext) {
        guard let schema = context.inputSchemas.first else { return }
        if schema["svg"]?.type != .string {
            context.error(
                "input",
                "\(context.stage.id) writes a chart, but '\(context.inputNames.first ?? "its input")' is not one "
                    + "(it has: \(schema.names.joined(separator: ", ")))",
                hint: "input: a chart stage (its `chart` port)")
        }
    }

    func svg(_ table: Table, stage: StageSpec) throws -> String {
        guard table.rowCount == 1, let svg = table.column("svg"), svg.isValid(0) else {
            throw StageError("the input holds \(table.rowCount) charts; \(stage.typeName) writes one", param: "input")
        }
        return svg[0].description
    }
}

public struct LoadSVG: ChartFileLoad {
    public let name = "load.svg"
    public let version = "1"
    public let summary = "Write a chart stage's picture to an SVG file."
    public var params: [ParamSpec] { LoadTarget.specs }

    public init() {}

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        checkInput(&context)
        return [:]
    }

    func write(_ table: Table, to sink: inout HashingFileSink, stage: StageSpec) throws {
        try sink.write(Array(try svg(table, stage: stage).utf8))
    }
}

public struct LoadPNG: ChartFileLoad {
    public let name = "load.png"
    public let version = "1"
    public let summary = "Write a chart stage's picture to a PNG file (rasterised by rsvg-convert)."
    public var params: [ParamSpec] { LoadTarget.specs }

    public init() {}

    public func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        checkInput(&context)
        if SVGRaster.converter == nil {
            context.error(nil, "\(context.stage.id): \(SVGRaster.missing)", hint: "or write SVG with load.svg")
        }
        return [:]
    }

    func write(_ table: Table, to sink: inout HashingFileSink, stage: StageSpec) throws {
        try sink.write(Array(try SVGRaster.png(try svg(table, stage: stage))))
    }
}
