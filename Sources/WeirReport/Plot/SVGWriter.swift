import Foundation
import WeirCore

/// Builds SVG text: every attribute value and text is escaped here, numbers are written with
/// one decimal, and each element can carry a tooltip (`<title>`).
struct SVGWriter {
    private(set) var text = ""

    static func number(_ x: Double) -> String {
        let r = (x * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(format: "%.1f", r)
    }

    private static func attributes(_ pairs: [(String, String)]) -> String {
        pairs.map { " \($0.0)=\"\(HTMLText.escape($0.1))\"" }.joined()
    }

    mutating func element(_ name: String, _ attributes: [(String, String)], tooltip: String? = nil) {
        text += "<\(name)\(Self.attributes(attributes))"
        if let tooltip { text += "><title>\(HTMLText.escape(tooltip))</title></\(name)>" } else { text += "/>" }
    }

    mutating func rect(
        x: Double, y: Double, width: Double, height: Double, fill: String, class name: String? = nil,
        extra: [(String, String)] = [], tooltip: String? = nil
    ) {
        var pairs = [
            ("x", Self.number(x)), ("y", Self.number(y)), ("width", Self.number(Swift.max(0, width))),
            ("height", Self.number(Swift.max(0, height))), ("fill", fill),
        ]
        if let name { pairs.insert(("class", name), at: 0) }
        element("rect", pairs + extra, tooltip: tooltip)
    }

    mutating func circle(
        x: Double, y: Double, r: Double, fill: String, class name: String? = nil,
        extra: [(String, String)] = [], tooltip: String? = nil
    ) {
        var pairs = [("cx", Self.number(x)), ("cy", Self.number(y)), ("r", Self.number(r)), ("fill", fill)]
        if let name { pairs.insert(("class", name), at: 0) }
        element("circle", pairs + extra, tooltip: tooltip)
    }

    mutating func line(
        x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, class name: String? = nil,
        dash: String? = nil, width: Double = 1
    ) {
        var pairs = [
            ("x1", Self.number(x1)), ("y1", Self.number(y1)), ("x2", Self.number(x2)), ("y2", Self.number(y2)),
            ("stroke", stroke), ("stroke-width", Self.number(width)),
        ]
        if let name { pairs.insert(("class", name), at: 0) }
        if let dash { pairs.append(("stroke-dasharray", dash)) }
        element("line", pairs)
    }

    mutating func path(
        _ d: String, fill: String, stroke: String, class name: String? = nil, extra: [(String, String)] = [],
        tooltip: String? = nil
    ) {
        var pairs = [("d", d), ("fill", fill), ("stroke", stroke)]
        if let name { pairs.insert(("class", name), at: 0) }
        element("path", pairs + extra, tooltip: tooltip)
    }

    /// Text at (x, y); `full` (when the shown text was shortened) becomes its tooltip.
    mutating func label(
        _ shown: String, x: Double, y: Double, anchor: String = "start", size: Double = 11,
        class name: String, fill: String = "#333", bold: Bool = false, rotate: Double? = nil, full: String? = nil
    ) {
        var pairs = [
            ("class", name), ("x", Self.number(x)), ("y", Self.number(y)), ("font-size", Self.number(size)),
            ("text-anchor", anchor), ("fill", fill),
        ]
        if bold { pairs.append(("font-weight", "bold")) }
        if let rotate {
            pairs.append(("transform", "rotate(\(Self.number(rotate)) \(Self.number(x)) \(Self.number(y)))"))
        }
        text += "<text\(Self.attributes(pairs)) \(PlotText.font)>"
        if let full, full != shown { text += "<title>\(HTMLText.escape(full))</title>" }
        text += HTMLText.escape(shown) + "</text>"
    }

    mutating func raw(_ svg: String) { text += svg }
}
