import Foundation
import Yams

extension ConfigurationLoader {
    static let weekdayNames = ["sun": 1, "mon": 2, "tue": 3, "wed": 4, "thu": 5, "fri": 6, "sat": 7]

    /// Reads the `silences:` list.
    func readSilences(_ node: Node, monitorNames: Set<String>, now: Date, collector: ProblemCollector) -> [Silence] {
        guard case .sequence(let items) = node else {
            collector.problem(node, owner: nil, key: "silences", "must be a list of silences (each item a mapping)")
            return []
        }
        var silences: [Silence] = []
        for (index, item) in items.enumerated() {
            let owner = Self.peekName(item) ?? "silence #\(index + 1)"
            guard
                let reader = MappingReader(
                    item, owner: owner, prefix: "", collector: collector, environment: environment, what: "a silence")
            else { continue }
            defer { reader.finish() }
            _ = reader.string("name")
            let comment = reader.string("comment")
            let rules = readRuleFilter(reader)
            let monitors = readMonitorFilter(reader, monitorNames: monitorNames)
            let subjects = reader.stringList("subjects").map { Set($0.map(\.1)) }
            if reader.value("subjects") != nil, subjects?.isEmpty == true {
                reader.problem(
                    reader.value("subjects"), "subjects", "must name at least one subject (leave it out for all)")
            }
            if rules == nil, monitors == nil, subjects == nil {
                reader.problem(nil, "", "needs at least one matcher: rules, monitors or subjects")
            }
            let hasAbsolute = reader.value("start") != nil || reader.value("end") != nil
            let dailyNode = reader.value("daily")
            var window: Silence.Window?
            if hasAbsolute, dailyNode != nil {
                reader.problem(dailyNode, "daily", "cannot be combined with start/end: use one window per silence")
            } else if let dailyNode {
                window = readDailyWindow(dailyNode, owner: owner, collector: collector)
            } else if hasAbsolute {
                let start = readTime(reader, "start")
                let end = readTime(reader, "end")
                if reader.value("end") == nil { reader.problem(nil, "end", "is required with start") }
                if let start, let end, end <= start {
                    reader.problem(reader.value("end"), "end", "must be after start")
                } else if let end {
                    window = .between(start: start, end: end)
                    if end <= now { reader.warning(reader.value("end"), "end", "has passed: this silence is over") }
                }
            } else {
                reader.problem(nil, "", "needs a window: start/end, or daily")
            }
            guard let window else { continue }
            silences.append(
                Silence(
                    name: owner, rules: rules.map(Set.init), monitors: monitors.map(Set.init), subjects: subjects,
                    window: window, comment: comment))
        }
        return silences
    }

    func readTime(_ reader: MappingReader, _ key: String) -> Date? {
        guard let text = reader.string(key) else { return nil }
        guard let date = AlertLine.parseRFC3339(text) else {
            reader.problem(
                reader.value(key), key,
                "must be an RFC 3339 time such as 2026-11-22T01:30:00Z or 2026-11-22T09:30:00+08:00 (got \"\(text.prefix(40))\")"
            )
            return nil
        }
        return date
    }

    func readDailyWindow(_ node: Node, owner: String, collector: ProblemCollector) -> Silence.Window? {
        guard
            let reader = MappingReader(
                node, owner: owner, prefix: "daily", collector: collector, environment: environment,
                what: "a daily window")
        else { return nil }
        defer { reader.finish() }
        func minutes(_ key: String) -> Int? {
            guard let text = reader.string(key, required: true) else { return nil }
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[1].count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]),
                (0...23).contains(hour), (0...59).contains(minute)
            else {
                reader.problem(
                    reader.value(key), key, "must be a time of day such as 02:00 or 23:30 (got \"\(text.prefix(40))\")")
                return nil
            }
            return hour * 60 + minute
        }
        let from = minutes("from")
        let to = minutes("to")
        let timeZone = reader.timeZone("time_zone") { name in
            "unknown time zone \"\(name.prefix(40))\" (use a name such as Asia/Shanghai or UTC)"
        }
        let weekdays = reader.nonEmptyList("days", empty: "must name at least one day (leave it out for every day)") {
            text in
            Self.weekdayNames[text.lowercased()].map { .success($0) }
                ?? .failure(ListItemProblem("must be mon, tue, wed, thu, fri, sat or sun (got \"\(text.prefix(20))\")"))
        }.map(Set.init)
        guard let from, let to else { return nil }
        guard from != to else {
            reader.problem(reader.value("to"), "to", "must differ from from")
            return nil
        }
        return .daily(from: from, to: to, timeZone: timeZone, weekdays: weekdays)
    }
}
