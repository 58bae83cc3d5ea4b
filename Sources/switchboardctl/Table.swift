/// Plain-text tables whose columns line up in a terminal, wide characters included.
struct Table {
    enum Alignment { case left, right }

    var headers: [String]
    var alignments: [Alignment]
    var rows: [[String]] = []

    init(_ columns: [(String, Alignment)]) {
        headers = columns.map(\.0)
        alignments = columns.map(\.1)
    }

    mutating func add(_ cells: [String]) { rows.append(cells) }

    /// Leaves out each named column whose every cell is the value given for it: a floor that
    /// uses no skills or channels sees the tables it always saw.
    func hiding(whenAll defaults: [String: String]) -> Table {
        let kept = headers.indices.filter { column in
            guard let value = defaults[headers[column]] else { return true }
            return rows.contains { $0[column] != value }
        }
        var table = Table(kept.map { (headers[$0], alignments[$0]) })
        table.rows = rows.map { row in kept.map { row[$0] } }
        return table
    }

    var rendered: String {
        let widths = headers.indices.map { column in
            ([headers] + rows).map { displayWidth($0[column]) }.max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.indices.map { column in
                let padding = String(repeating: " ", count: widths[column] - displayWidth(cells[column]))
                return alignments[column] == .left ? cells[column] + padding : padding + cells[column]
            }
            .joined(separator: "  ")
            .trimmingTrailingSpaces()
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }
}

/// Columns a string takes in a terminal: two for East Asian wide and fullwidth characters
/// and most emoji, one for the rest (Cyrillic included), per user-perceived character.
func displayWidth(_ text: String) -> Int {
    text.reduce(0) { total, character in
        guard let scalar = character.unicodeScalars.first else { return total }
        return total + (isWide(scalar.value) ? 2 : 1)
    }
}

private func isWide(_ v: UInt32) -> Bool {
    (0x1100...0x115F).contains(v) || (0x2E80...0x303E).contains(v) || (0x3041...0x33FF).contains(v)
        || (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v) || (0xA000...0xA4CF).contains(v)
        || (0xAC00...0xD7A3).contains(v) || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v)
        || (0xFF00...0xFF60).contains(v) || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1F64F).contains(v)
        || (0x1F900...0x1F9FF).contains(v) || (0x20000...0x3FFFD).contains(v)
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}

/// `███████···` for a share of 0...1, ten cells wide.
func bar(_ fraction: Double, width: Int = 10) -> String {
    let filled = max(0, min(width, Int((fraction * Double(width)).rounded())))
    return String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
}

func percent(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    let fraction = String(hundredths % 100)
    return "\(hundredths / 100).\(fraction.count == 1 ? "0" + fraction : fraction)%"
}
