import ArgumentParser
import CSQLite
import Foundation
import LiveWatch
import SQLite
import Synchronization

/// Issue 7's history benchmark: seeds a year of 30-second MR concurrency polls
/// and 90 days of room crawls every 5 minutes through the daemon's own writer
/// (one transaction per poll, as the daemon commits), then prints the file
/// size, bytes per room sample, the insert rate against a raw C loop running
/// the same SQL on the same rows, each report's latency, and what pruning the
/// file to 7 days costs a poll waiting for the writer meanwhile.
struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract:
            "Seeds a year of concurrency and 90 days of room crawls; prints size, bytes/sample, insert rate, report latency, prune blocking."
    )

    @Option(help: "Days of 30-second MR concurrency polls.") var concurrencyDays = 365
    @Option(help: "Seconds between concurrency polls.") var sampleInterval = 30
    @Option(help: "Days of room crawls.") var crawlDays = 90
    @Option(help: "Rooms per crawl (10000 is the full-scale case: 259 M samples, about 4.5 GB).") var rooms = 1_000
    @Option(help: "Seconds between crawls.") var crawlInterval = 300
    @Option(help: "Crawls (from the first) also stored by the raw C loop, for the insert-rate ratio.")
    var compareCrawls = 2_000
    @Option(help: "Days kept by the prune at the end.") var pruneTo = 7
    @Option(help: "Runs of each report (the median and the slowest are printed).") var reportRuns = 15
    @Option(help: "Keep the seeded database at this path (before the prune) instead of deleting it.") var keep: String?
    @Option(help: "Skip seeding: measure the reports and the prune on a copy of a database kept with --keep.") var from:
        String?

    /// The seeded history ends here (2027-01-01T00:00:00Z); reports and the prune run "now" = end.
    static let end: Int64 = 1_798_761_600

    func run() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/history.db"
        if let from {
            try FileManager.default.copyItem(atPath: from, toPath: path)
            try measureReports(path: path)
            try await measurePrune(path: path, sizeBefore: fileSize(path))
            return
        }
        let store = try Store(path: path)

        // 1. A year of concurrency polls, through the writer and through the C loop on a scratch file.
        let polls = concurrencyDays * 86_400 / sampleInterval
        let concurrencyStart = Self.end - Int64(polls * sampleInterval)
        // Writer and C loop alternate a day at a time on the same rows, taking turns at going first, so drift
        // of the machine (page cache, writeback, other load) falls on both alike.
        let raw = try RawBaseline(folder: folder)
        defer { raw.close() }
        var wrapperSeconds = 0.0
        var rawSeconds = 0.0
        var wrapperCPU = 0.0
        var rawCPU = 0.0
        var dayRatios: [Double] = []
        let chunk = max(1, 86_400 / sampleInterval)
        for (day, first) in stride(from: 0, to: polls, by: chunk).enumerated() {
            let range = first..<min(polls, first + chunk)
            let writer = {
                try measure {
                    for index in range {
                        let (at, used) = self.concurrencySample(index, start: concurrencyStart)
                        let observation = Observation.mrConcurrency(
                            MRConcurrency(total: 200, used: used, residual: 200 - used, channelIDs: []))
                        let report = self.pollReport(
                            monitor: "polyv-main", vendor: "polyv", at: at, observation: observation)
                        try store.writeSynchronously { database in
                            try ObservationWriter.insertPoll(report, in: database)
                            try ObservationWriter.insertObservation(
                                observation, monitor: report.monitor, at: report.finishedAt, in: database)
                        }
                    }
                }
            }
            let baseline = {
                measure {
                    for index in range {
                        let (at, used) = self.concurrencySample(index, start: concurrencyStart)
                        raw.concurrencyPoll(at: at, used: used)
                    }
                }
            }
            let (writerDay, rawDay): (Measured, Measured)
            if day % 2 == 0 {
                writerDay = try writer()
                rawDay = baseline()
            } else {
                rawDay = baseline()
                writerDay = try writer()
            }
            wrapperSeconds += writerDay.wall
            wrapperCPU += writerDay.cpu
            rawSeconds += rawDay.wall
            rawCPU += rawDay.cpu
            dayRatios.append(rawDay.wall / writerDay.wall)
        }
        dayRatios.sort()
        let wrapperConcurrency = Double(polls) / wrapperSeconds
        let rawConcurrency = Double(polls) / rawSeconds
        print(
            String(
                format:
                    "seed: %d concurrency polls (%d days every %d s): writer %.0f polls/s, raw C loop %.0f polls/s, ratio %.3f overall, %.3f median of the days (goal >= 0.95); CPU per poll %.1f vs %.1f µs",
                polls, concurrencyDays, sampleInterval, wrapperConcurrency, rawConcurrency,
                wrapperConcurrency / rawConcurrency,
                dayRatios.isEmpty ? 0 : dayRatios[dayRatios.count / 2], wrapperCPU / Double(polls) * 1e6,
                rawCPU / Double(polls) * 1e6))

        // 2. Room crawls; the first `compareCrawls` are timed against the C loop on the same rows.
        let crawls = crawlDays * 86_400 / crawlInterval
        let crawlStart = Self.end - Int64(crawls * crawlInterval)
        var rooms = RoomGenerator(count: self.rooms)
        var crawlSeconds = 0.0
        var comparedSeconds = 0.0
        var rawCrawlSeconds = 0.0
        let compared = min(compareCrawls, crawls)
        for index in 0..<crawls {
            rooms.advance()
            let list = LiveRoomList(rooms: rooms.rooms, pages: (self.rooms + 19) / 20)
            let at = crawlStart + Int64(index * crawlInterval)
            let report = pollReport(monitor: "tim-main", vendor: "tencent_chat", at: at, observation: .liveRooms(list))
            // The C loop stores the same crawl too (for the first `compareCrawls`), going first every other time.
            let compare = index < compared
            if compare, index % 2 == 1 {
                rawCrawlSeconds += try measure { try raw.crawl(list.rooms, at: at) }.wall
            }
            let seconds = try measure {
                try store.writeSynchronously { database in
                    try ObservationWriter.insertPoll(report, in: database)
                    try ObservationWriter.insertLiveRooms(
                        list, monitor: report.monitor, at: report.finishedAt, in: database)
                }
            }.wall
            crawlSeconds += seconds
            if compare {
                comparedSeconds += seconds
            }
            if compare, index % 2 == 0 {
                rawCrawlSeconds += try measure { try raw.crawl(list.rooms, at: at) }.wall
            }
            if (index + 1) % 2_880 == 0 {
                FileHandle.standardError.write(
                    Data(String(format: "  ... %d of %d crawls, %.0f s\n", index + 1, crawls, crawlSeconds).utf8))
            }
        }
        let samples = max(1, crawls * self.rooms)
        print(
            String(
                format: "seed: %d crawls of %d rooms (%d days every %d s) = %d room samples in %.0f s, %.0f samples/s",
                crawls, self.rooms, crawlDays, crawlInterval, samples, crawlSeconds, Double(samples) / crawlSeconds))
        print(
            String(
                format:
                    "seed: first %d crawls: writer %.0f samples/s, raw C loop %.0f samples/s, ratio %.3f (goal >= 0.95)",
                compared, Double(compared * self.rooms) / comparedSeconds,
                Double(compared * self.rooms) / rawCrawlSeconds, rawCrawlSeconds / comparedSeconds))

        // 3. What the other reports read: 100 platforms observed hourly for the crawl period, three alert episodes a day.
        try seedAuthorizationsAndAlerts(store: store)

        // 4. Size.
        let (tableBytes, sizeBefore) = try store.accessSynchronously { database -> (Int64?, Int64) in
            try database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            let table = try? database.scalarInt64("SELECT sum(pgsize) FROM dbstat WHERE name = 'live_room_sample_data'")
            return (table, fileSize(path))
        }
        print(
            String(
                format:
                    "size: %.1f MB file; live_room_sample_data %@ bytes per room sample (goal <= 30); whole file %.1f bytes per row stored",
                Double(sizeBefore) / 1e6,
                tableBytes.map { String(format: "%.1f", Double($0) / Double(samples)) } ?? "n/a (no dbstat)",
                Double(sizeBefore) / Double(samples + 2 * polls + crawls)))
        store.close()
        if let keep {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(atPath: path, toPath: keep)
            print("kept: \(keep)")
        }

        // 5. Reports, on a read-only connection as `livewatch report` opens it.
        try measureReports(path: path)

        // 6. Prune to `pruneTo` days while a poll writes every 20 ms. The daemon prunes a file that has been
        // written over months, not one whose 600 MB are still in the kernel's writeback: settle it first.
        sync()
        try await measurePrune(path: path, sizeBefore: sizeBefore)
    }

    // MARK: Data

    /// The `index`th concurrency sample: a daily curve peaking in the evening, with noise.
    func concurrencySample(_ index: Int, start: Int64) -> (Int64, Int) {
        let at = start + Int64(index * sampleInterval)
        let hour = Double(at % 86_400) / 3_600
        var noise = UInt64(truncatingIfNeeded: at) &* 0x9E37_79B9_7F4A_7C15
        noise ^= noise >> 29
        let used = 100 + 90 * sin((hour - 14) / 24 * 2 * .pi) + Double(noise % 21) - 10
        return (at, max(0, min(200, Int(used))))
    }

    func pollReport(monitor: String, vendor: String, at: Int64, observation: Observation) -> PollReport {
        let finished = Date(timeIntervalSince1970: Double(at))
        return PollReport(
            monitor: monitor, vendor: vendor, startedAt: finished.addingTimeInterval(-0.120), finishedAt: finished,
            requests: 1, httpStatus: 200, requestID: nil, outcome: .observed(observation))
    }

    /// Rooms whose view counts grow and whose live status flips now and then, the same sequence every run.
    struct RoomGenerator {
        var rooms: [LiveRoom]
        var random: UInt64 = 0x9E37_79B9_7F4A_7C15

        init(count: Int) {
            rooms = (0..<count).map { index in
                LiveRoom(
                    roomID: String(format: "@TGS#a%08d", index), roomName: "Room \(index)",
                    ownerAccount: "owner\(index % 997)",
                    coverURL: "https://cdn.example.com/covers/\(index).png", categories: "[\(index % 7)]",
                    createTime: 1_790_000_000 + Int64(index), activityStatus: index % 3 == 0 ? 1 : 0, viewCount: 0)
            }
        }

        mutating func advance() {
            for index in rooms.indices {
                random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                if rooms[index].activityStatus == 1 {
                    rooms[index].viewCount = (rooms[index].viewCount ?? 0) + Int64(random >> 54)
                }
                if random >> 20 & 0x3FF == 0 { rooms[index].activityStatus = 1 - (rooms[index].activityStatus ?? 0) }
            }
        }
    }

    func seedAuthorizationsAndAlerts(store: Store) throws {
        let hours = crawlDays * 24
        try store.writeSynchronously { database in
            let insert = try database.prepare(
                """
                INSERT INTO platform_authorizations (monitor, observed_at, platform_id, platform_name, access_type, authorize_state,
                                                     authorized_time, expire_time, account, auth_key_fingerprint)
                VALUES ('metastudio-cn4', ?, ?, ?, 'MSS_STANDARD', 'AUTHORIZED', ?, ?, 'shop', 'sha256:0123456789abcdef')
                """)
            for hour in 0..<hours {
                let at = Self.end - Int64((hours - hour) * 3_600)
                for platform in 0..<100 {
                    try insert.run([
                        at, "p-\(platform)", "Platform \(platform)", at - 86_400 * 200,
                        Self.end + Int64(platform * 86_400),
                    ])
                }
            }
            let alert = try database.prepare(
                """
                INSERT INTO alerts (rule, monitor, subject, severity, state, started_at, resolved_at, last_value, message, last_written_at)
                VALUES (?, 'polyv-main', 'polyv-main', 'critical', 'resolved', ?, ?, 0, 'seeded', ?)
                """)
            for day in 0..<concurrencyDays {
                for (slot, rule) in ["mr_concurrency_exhausted", "mr_concurrency_low", "monitor_failing"].enumerated() {
                    let startedAt = Self.end - Int64((concurrencyDays - day) * 86_400 + slot * 7_200)
                    try alert.run([rule, startedAt, startedAt + 600, startedAt + 600])
                }
            }
        }
    }

    // MARK: Raw C baselines

    // MARK: Reports

    func measureReports(path: String) throws {
        let database = try Database(path: path, options: .init(readOnly: true))
        let now = Date(timeIntervalSince1970: Double(Self.end))
        let year = Double(concurrencyDays) * 86_400
        let crawlPeriod = Double(crawlDays) * 86_400
        let week = 7 * 86_400.0
        let cases: [(String, ReportRequest)] = [
            (
                "concurrency --by day --since \(concurrencyDays)d (goal <= 20 ms)",
                ReportRequest(name: .concurrency, since: year, now: now)
            ),
            (
                "concurrency --by hour --since 7d",
                ReportRequest(name: .concurrency, since: week, byHour: true, now: now)
            ),
            (
                "concurrency --by hour --since \(concurrencyDays)d",
                ReportRequest(name: .concurrency, since: year, byHour: true, now: now)
            ),
            ("rooms --since 1d", ReportRequest(name: .rooms, since: 86_400, now: now)),
            ("rooms --since 7d", ReportRequest(name: .rooms, since: week, now: now)),
            ("rooms-live --by hour --since 7d", ReportRequest(name: .roomsLive, since: week, byHour: true, now: now)),
            (
                "rooms-live --by day --since \(crawlDays)d",
                ReportRequest(name: .roomsLive, since: crawlPeriod, now: now)
            ),
            ("authorizations --since 7d", ReportRequest(name: .authorizations, since: week, now: now)),
            ("alerts --since \(concurrencyDays)d", ReportRequest(name: .alerts, since: year, now: now)),
            ("polls --since 7d", ReportRequest(name: .polls, since: week, now: now)),
            ("polls --since \(concurrencyDays)d", ReportRequest(name: .polls, since: year, now: now)),
        ]
        for (name, request) in cases {
            var timings: [Double] = []
            var rows = 0
            for _ in 0..<reportRuns {
                timings.append(try measure { rows = try Reports.run(request, on: database).rows.count }.wall * 1_000)
            }
            timings.sort()
            print(
                String(
                    format: "report %@: median %.1f ms, slowest %.1f ms (%d rows)",
                    name, timings[timings.count / 2], timings[timings.count - 1], rows))
        }
    }

    // MARK: Prune

    func measurePrune(path: String, sizeBefore: Int64) async throws {
        let store = try Store(path: path)
        let retention = Retention(
            policy: RetentionPolicy(
                observations: Double(pruneTo) * 86_400, polls: 365 * 86_400, alerts: 730 * 86_400, rollups: 730 * 86_400
            ))
        let waits = WaitLog()
        let pruning = Task {
            let started = Date()
            let summary = try await retention.prune(store: store, now: Date(timeIntervalSince1970: Double(Self.end)))
            return (summary, Date().timeIntervalSince(started))
        }
        // The concurrent poll: a Polyv observation every 20 ms, timed from asking for the writer to its commit.
        let poller = Task {
            var index = 0
            while !waits.isDone {
                index += 1
                let at = Self.end + Int64(index)
                let report = pollReport(
                    monitor: "polyv-live", vendor: "polyv", at: at,
                    observation: .mrConcurrency(MRConcurrency(total: 200, used: 10, residual: 190, channelIDs: [])))
                let started = Date()
                try await store.write { database in
                    try ObservationWriter.insertPoll(report, in: database)
                    try ObservationWriter.insertObservation(
                        .mrConcurrency(MRConcurrency(total: 200, used: 10, residual: 190, channelIDs: [])),
                        monitor: report.monitor, at: report.finishedAt, in: database)
                }
                waits.add(Date().timeIntervalSince(started), wal: fileSize(path + "-wal"))
                try await Task.sleep(nanoseconds: 20_000_000)
            }
        }
        let (summary, seconds) = try await pruning.value
        let sizeAfterPrune = fileSize(path)
        waits.finish()
        try await poller.value
        let sizeAfterCheckpoint = try await store.access { database -> Int64 in
            try database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return fileSize(path)
        }
        store.close()
        let (count, p50, p99, maximum, walPeak) = waits.figures()
        print(
            String(
                format:
                    "prune to %d days: %d rows in %d batches, %d pages freed, %.1f s; longest delete batch %.1f ms, longest reclaim step %.1f ms",
                pruneTo, summary.totalDeleted, summary.batches, summary.pagesFreed, seconds,
                summary.longestBatch * 1_000,
                summary.longestReclaimStep * 1_000))
        print(
            String(
                format:
                    "prune: a concurrent poll (%d writes) waited median %.1f ms, p99 %.1f ms, at most %.1f ms (goal <= 50 ms); WAL peaked at %.1f MB",
                count, p50 * 1_000, p99 * 1_000, maximum * 1_000, Double(walPeak) / 1e6))
        print(
            String(
                format:
                    "prune: file %.1f MB -> %.1f MB after the prune's own passive checkpoint, %.1f MB after a truncating checkpoint",
                Double(sizeBefore) / 1e6, Double(sizeAfterPrune) / 1e6, Double(sizeAfterCheckpoint) / 1e6))
    }
}

func fileSize(_ path: String) -> Int64 {
    ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.int64Value ?? 0
}

/// The poll's waits, shared between the poll task and the reader of the figures.
final class WaitLog: Sendable {
    private struct State {
        var waits: [Double] = []
        var walPeak: Int64 = 0
        var done = false
    }

    private let state = Mutex(State())

    var isDone: Bool { state.withLock { $0.done } }

    func add(_ wait: Double, wal: Int64) {
        state.withLock {
            $0.waits.append(wait)
            $0.walPeak = max($0.walPeak, wal)
        }
    }

    func finish() { state.withLock { $0.done = true } }

    func figures() -> (Int, Double, Double, Double, Int64) {
        state.withLock { state in
            let sorted = state.waits.sorted()
            guard let last = sorted.last else { return (0, 0, 0, 0, state.walPeak) }
            return (
                sorted.count, sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 99 / 100)], last,
                state.walPeak
            )
        }
    }
}

/// The C baselines: the same rows as the writer, with the same SQL, through plain C-API calls on a
/// second file made by the same migration.
final class RawBaseline {
    let database: RawDatabase
    let begin, commit, poll, sample, concurrencyRollup, crawlRow, selectRoom, updateRoom, insertRoom, roomSample,
        roomRollup: RawStatement

    init(folder: String) throws {
        database = try RawDatabase(path: folder + "/raw.db")
        // Everything prepared once, BEGIN and COMMIT too, as the writer does.
        begin = try database.prepare("BEGIN IMMEDIATE TRANSACTION")
        commit = try database.prepare("COMMIT TRANSACTION")
        poll = try database.prepare(ObservationWriter.insertPollSQL.description)
        sample = try database.prepare(
            "INSERT INTO mr_concurrency (monitor, observed_at, total, used, residual) VALUES (?, ?, ?, ?, ?)")
        concurrencyRollup = try database.prepare(RollupWriter.concurrencyUpsert.description)
        crawlRow = try database.prepare("INSERT INTO live_room_crawls (monitor, observed_at, rooms) VALUES (?, ?, ?)")
        selectRoom = try database.prepare(ObservationWriter.selectRoomKey.description)
        updateRoom = try database.prepare(ObservationWriter.updateLiveRoom.description)
        insertRoom = try database.prepare(ObservationWriter.insertLiveRoom.description)
        roomSample = try database.prepare(ObservationWriter.insertRoomSample)
        roomRollup = try database.prepare(RollupWriter.roomCrawlUpsert.description)
    }

    func close() { database.close() }

    func bindPoll(monitor: String, vendor: String, at: Int64, items: Int) {
        poll.text(1, monitor)
        poll.text(2, vendor)
        poll.int(3, at - 1)
        poll.int(4, at)
        poll.int(5, 1)
        poll.int(6, 200)
        poll.text(7, nil)
        poll.text(8, nil)
        poll.text(9, nil)
        poll.int(10, 1)
        poll.int(11, Int64(items))
        poll.int(12, 120)
    }

    /// One concurrency poll: its own transaction with the poll row, the sample and its two rollups.
    func concurrencyPoll(at: Int64, used: Int) {
        database.step(begin)
        bindPoll(monitor: "polyv-main", vendor: "polyv", at: at, items: 1)
        database.step(poll)
        sample.text(1, "polyv-main")
        sample.int(2, at)
        sample.int(3, 200)
        sample.int(4, Int64(used))
        sample.int(5, Int64(200 - used))
        database.step(sample)
        for (period, bucket) in [("hour", at - at % 3_600), ("day", at - at % 86_400)] {
            concurrencyRollup.text(1, "polyv-main")
            concurrencyRollup.text(2, period)
            concurrencyRollup.int(3, bucket)
            concurrencyRollup.int(4, Int64(200 - used))
            concurrencyRollup.int(5, Int64(used))
            concurrencyRollup.int(6, 200)
            database.step(concurrencyRollup)
        }
        database.step(commit)
    }

    /// One crawl: poll row, crawl row, each room looked up by id then updated by key or inserted, the samples in
    /// key order,
    /// the two rollups; one transaction.
    func crawl(_ list: [LiveRoom], at: Int64) throws {
        database.step(begin)
        bindPoll(monitor: "tim-main", vendor: "tencent_chat", at: at, items: list.count)
        database.step(poll)
        crawlRow.text(1, "tim-main")
        crawlRow.int(2, at)
        crawlRow.int(3, Int64(list.count))
        database.step(crawlRow)
        let crawlID = sqlite3_last_insert_rowid(database.handle)
        var samples: [(key: Int64, activityStatus: Int64?, viewCount: Int64?)] = []
        samples.reserveCapacity(list.count)
        for room in list {
            selectRoom.text(1, "tim-main")
            selectRoom.text(2, room.roomID)
            let key: Int64
            if sqlite3_step(selectRoom.handle) == SQLITE_ROW {
                key = sqlite3_column_int64(selectRoom.handle, 0)
                sqlite3_reset(selectRoom.handle)
                updateRoom.text(1, room.roomName)
                updateRoom.text(2, room.ownerAccount)
                updateRoom.text(3, room.coverURL)
                updateRoom.text(4, room.categories)
                updateRoom.int(5, room.createTime)
                updateRoom.int(6, room.activityStatus)
                updateRoom.int(7, room.viewCount)
                updateRoom.int(8, at)
                updateRoom.int(9, key)
                database.step(updateRoom)
            } else {
                sqlite3_reset(selectRoom.handle)
                insertRoom.text(1, "tim-main")
                insertRoom.text(2, room.roomID)
                insertRoom.text(3, room.roomName)
                insertRoom.text(4, room.ownerAccount)
                insertRoom.text(5, room.coverURL)
                insertRoom.text(6, room.categories)
                insertRoom.int(7, room.createTime)
                insertRoom.int(8, room.activityStatus)
                insertRoom.int(9, room.viewCount)
                insertRoom.int(10, at)
                insertRoom.int(11, at)
                database.step(insertRoom)
                key = sqlite3_last_insert_rowid(database.handle)
            }
            samples.append((key, room.activityStatus, room.viewCount))
        }
        samples.sort { $0.key < $1.key }
        for entry in samples {
            roomSample.int(1, crawlID)
            roomSample.int(2, entry.key)
            roomSample.int(3, entry.activityStatus)
            roomSample.int(4, entry.viewCount)
            database.step(roomSample)
        }
        let views = list.map { $0.viewCount ?? 0 }
        let live = Int64(list.filter { $0.activityStatus == 1 }.count)
        for (period, bucket) in [("hour", at - at % 3_600), ("day", at - at % 86_400)] {
            roomRollup.text(1, "tim-main")
            roomRollup.text(2, period)
            roomRollup.int(3, bucket)
            roomRollup.int(4, Int64(list.count))
            roomRollup.int(5, live)
            roomRollup.int(6, views.max() ?? 0)
            roomRollup.int(7, views.reduce(0, &+))
            database.step(roomRollup)
        }
        database.step(commit)
    }
}

/// A bare sqlite3 connection with the daemon's schema and pragmas, for the C baselines.
final class RawDatabase {
    let handle: OpaquePointer
    private var statements: [RawStatement] = []

    init(path: String) throws {
        // The schema and pragmas come from the daemon's own migration; then only C calls.
        try Store(path: path).close()
        var handle: OpaquePointer?
        guard sqlite3_open(path, &handle) == SQLITE_OK, let handle else { throw ValidationError("cannot open \(path)") }
        self.handle = handle
        exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON")
    }

    func prepare(_ sql: String) throws -> RawStatement {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
            let statement
        else {
            throw ValidationError("prepare failed: \(String(cString: sqlite3_errmsg(handle)))")
        }
        let wrapped = RawStatement(statement)
        statements.append(wrapped)
        return wrapped
    }

    func exec(_ sql: String) {
        sqlite3_exec(handle, sql, nil, nil, nil)
    }

    /// Steps to the end and resets.
    func step(_ statement: RawStatement) {
        while sqlite3_step(statement.handle) == SQLITE_ROW {}
        sqlite3_reset(statement.handle)
    }

    func close() {
        for statement in statements { sqlite3_finalize(statement.handle) }
        sqlite3_close(handle)
    }
}

struct RawStatement {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    func text(_ index: Int32, _ value: String?) {
        if let value {
            sqlite3_bind_text(handle, index, value, -1, Self.transient)
        } else {
            sqlite3_bind_null(handle, index)
        }
    }

    func int(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }
}
