/// Parses the configuration's durations: `30s`, `5m`, `1h`, `7d`, and combinations such as `1h30m`.
public enum DurationParser {
    /// The longest duration the parser accepts: 100 years. Ranges of keys and options are narrower.
    public static let longest = Seconds.ceiling

    /// Seconds in the given duration text, or nil when it is not a duration or is longer than `longest`.
    public static func seconds(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 64 else { return nil }
        var total = 0.0
        var number = ""
        var sawUnit = false
        var lastUnitRank = Int.max
        var characters = Array(trimmed)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character.isASCII, character.isNumber || character == "." {
                number.append(character)
                index += 1
                continue
            }
            var unit = String(character)
            if character == "m", index + 1 < characters.count, characters[index + 1] == "s" {
                unit = "ms"
                index += 1
            }
            index += 1
            guard let value = Double(number), value.isFinite else { return nil }
            let (multiplier, rank): (Double, Int)
            switch unit {
            case "d": (multiplier, rank) = (86_400, 5)
            case "h": (multiplier, rank) = (3_600, 4)
            case "m": (multiplier, rank) = (60, 3)
            case "s": (multiplier, rank) = (1, 2)
            case "ms": (multiplier, rank) = (0.001, 1)
            default: return nil
            }
            // Units must go from larger to smaller, each at most once: "1h30m", not "30m1h".
            guard rank < lastUnitRank else { return nil }
            lastUnitRank = rank
            total += value * multiplier
            number = ""
            sawUnit = true
        }
        characters.removeAll()
        guard number.isEmpty, sawUnit, total.isFinite, total <= longest else { return nil }
        return total
    }

    /// Formats seconds compactly: `90` → `1m30s`. Any value formats (beyond `longest`, as `longest`).
    public static func format(_ seconds: Double) -> String {
        let seconds = Seconds.clamped(seconds)
        if seconds <= 0 { return "0s" }
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        var remaining = Int(seconds.rounded())
        var text = ""
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] where remaining >= size {
            text += "\(remaining / size)\(unit)"
            remaining %= size
        }
        return text
    }
}
