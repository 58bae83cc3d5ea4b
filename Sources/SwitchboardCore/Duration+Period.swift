extension Duration {
    /// Whole milliseconds, rounded down: what the database stores times in.
    public var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// A period as settings write it: a positive whole number and one unit, `s`, `m`, `h` or
    /// `d` (`90s`, `15m`, `12h`, `7d`); nil for anything else.
    public init?(period text: String) {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        guard let unit = text.last.flatMap({ units[$0] }), let count = Int64(text.dropLast()), count > 0,
              text.dropLast().allSatisfy({ $0.isASCII && $0.isNumber }), count <= Int64.max / 1_000 / unit else { return nil }
        self = .seconds(count * unit)
    }
}
