/// What a chart draws: its marks' kind, titles, size and annotations. Built by the `chart`
/// stage from its parameters; the renderer knows nothing of tables or YAML.
public struct PlotSpec: Sendable {
    public var mark: PlotMark
    public var title: String
    /// A line under the title: what was left out ("top 10 of 134"), what is highlighted.
    public var subtitle: String?
    public var width: Double
    public var height: Double
    public var xTitle: String
    public var yTitle: String
    /// The legend's heading for series (the `color` column), if there are series.
    public var seriesTitle: String?
    public var logScale: Bool
    public var rules: [PlotRule]
    /// The legend's text for highlighted marks (the predicate).
    public var highlightLabel: String?

    public init(
        mark: PlotMark, title: String, subtitle: String? = nil, width: Double = 720, height: Double = 360,
        xTitle: String, yTitle: String, seriesTitle: String? = nil, logScale: Bool = false,
        rules: [PlotRule] = [], highlightLabel: String? = nil
    ) {
        self.mark = mark
        self.title = title
        self.subtitle = subtitle
        self.width = width
        self.height = height
        self.xTitle = xTitle
        self.yTitle = yTitle
        self.seriesTitle = seriesTitle
        self.logScale = logScale
        self.rules = rules
        self.highlightLabel = highlightLabel
    }
}

public enum PlotMark: String, Sendable, CaseIterable {
    case bar, line, area, point, histogram, heatmap, pie
}

/// A horizontal reference line (a mean, a target) with its label.
public struct PlotRule: Sendable {
    public var label: String
    public var value: Double
    public init(label: String, value: Double) {
        self.label = label
        self.value = value
    }
}

/// A value on the x axis (or a heatmap's y axis).
public enum PlotValue: Sendable, Hashable {
    /// A category; nil is the null category, drawn as "(null)".
    case text(String?)
    case number(Double)
    /// Days since 1970-01-01; a fraction is a time of day.
    case day(Double)
    /// Time of day matters: ticks may be hours.
    case time(Double)

    var numeric: Double? {
        switch self {
        case .number(let x), .day(let x), .time(let x): x
        case .text: nil
        }
    }

    var label: String {
        switch self {
        case .text(let s): s ?? PlotText.null
        case .number(let x): NumberText.value(x)
        case .day(let d): TimeTicks.dateLabel(d)
        case .time(let d): TimeTicks.dateLabel(d)
        }
    }
}

/// One mark: one row of the chart's data table.
public struct PlotRow: Sendable {
    public var x: PlotValue
    /// A histogram bin's upper edge.
    public var xEnd: Double?
    /// A heatmap row's category.
    public var category: PlotValue?
    /// The mark's size (bar height, point height, cell colour, slice); nil is missing, drawn as such.
    public var value: Double?
    public var series: String?
    public var highlighted: Bool
    /// What hovering over the mark shows: the row's values.
    public var tooltip: String

    public init(
        x: PlotValue, xEnd: Double? = nil, category: PlotValue? = nil, value: Double?, series: String? = nil,
        highlighted: Bool = false, tooltip: String
    ) {
        self.x = x
        self.xEnd = xEnd
        self.category = category
        self.value = value
        self.series = series
        self.highlighted = highlighted
        self.tooltip = tooltip
    }
}

enum PlotText {
    static let null = "(null)"
    static let font = "font-family=\"DejaVu Sans, Verdana, sans-serif\""
    /// A generous average glyph width at 11 px, so estimated labels are never narrower than drawn.
    static let charWidth = 7.0

    static func width(_ text: String, size: Double = 11) -> Double { Double(text.count) * charWidth * size / 11 }

    /// At most `limit` characters, with an ellipsis when cut.
    static func truncated(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(Swift.max(1, limit - 1))) + "…"
    }
}

/// Colours told apart with the common forms of colour blindness (Okabe and Ito, 2008).
public enum PlotPalette {
    public static let categorical = [
        "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
    ]
    static let highlight = "#D55E00"
    static let plain = "#0072B2"
    static let missing = "#999999"
    /// Viridis at nine stops: light to dark is low to high, readable in grey too.
    static let sequential = [
        "#fde725", "#a0da39", "#4ac16d", "#1fa187", "#277f8e", "#365c8d", "#46327e", "#440154", "#2d0140",
    ]

    static func sequential(_ t: Double) -> String {
        let t = Swift.min(1, Swift.max(0, t.isFinite ? t : 0))
        return sequential[Int((t * Double(sequential.count - 1)).rounded())]
    }
}
