/// A listing read page by page, each entry once: entries keep the order they were first listed in, and one
/// listed again (the listing shifted while it was paged through) keeps its place and takes the later values.
public struct DistinctListing<Entry: Sendable>: Sendable {
    /// The distinct entries, in the order first listed.
    public private(set) var entries: [Entry] = []
    private var positions: [String: Int] = [:]
    private let key: @Sendable (Entry) -> String

    /// - Parameter key: what makes two entries the same one (a room's or a platform's id).
    public init(key: @escaping @Sendable (Entry) -> String) {
        self.key = key
    }

    /// Whether an entry with this key was listed.
    public func contains(_ entry: Entry) -> Bool {
        positions[key(entry)] != nil
    }

    /// Adds a page's entries.
    public mutating func merge(_ page: some Sequence<Entry>) {
        for entry in page {
            let key = key(entry)
            if let position = positions[key] {
                entries[position] = entry
            } else {
                positions[key] = entries.count
                entries.append(entry)
            }
        }
    }
}
