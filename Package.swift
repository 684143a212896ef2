// swift-tools-version: 6.0
import PackageDescription

// The products the targets use, named once.
let asyncHTTPClient = Target.Dependency.product(name: "AsyncHTTPClient", package: "async-http-client")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let serviceLifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let metrics = Target.Dependency.product(name: "CoreMetrics", package: "swift-metrics")
let prometheus = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")
/// What an HTTP client or server on NIO is built on.
let nioHTTP: [Target.Dependency] =
    [nioCore] + ["NIOPosix", "NIOHTTP1"].map { .product(name: $0, package: "swift-nio") }

let package = Package(
    name: "livewatch",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "livewatch", targets: ["livewatch"]),
        .executable(name: "livewatch-bench", targets: ["livewatch-bench"]),
        .library(name: "LiveWatch", targets: ["LiveWatch"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "VendorSigning",
            dependencies: ["CZlib", crypto]
        ),
        .target(
            name: "SQLite",
            dependencies: ["CSQLite"]
        ),
        .target(
            name: "LiveWatch",
            dependencies: [
                "SQLite", "VendorSigning", asyncHTTPClient, crypto, .product(name: "Yams", package: "Yams"), logging,
                serviceLifecycle, metrics, prometheus,
            ] + nioHTTP
        ),
        .target(
            name: "VendorSimulator",
            dependencies: ["VendorSigning", crypto] + nioHTTP
        ),
        .target(
            name: "LiveWatchDemo",
            dependencies: ["LiveWatch", "VendorSimulator", logging]
        ),
        .executableTarget(
            name: "livewatch",
            dependencies: ["LiveWatch", "LiveWatchDemo", argumentParser, logging],
            linkerSettings: [
                // Release builds (`make build`): lld packs the 126,000 relative relocations (RELR, glibc >= 2.36)
                // and --no-export-dynamic undoes -static-stdlib's -export-dynamic (37,000 of our symbols in the
                // dynamic table); the loader then reads 60 KB instead of 5 MB at start. `--version` max RSS of the
                // static binary: 20.3 MB -> 15.0 MB.
                .unsafeFlags(
                    [
                        "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker",
                        "--no-export-dynamic",
                    ],
                    .when(platforms: [.linux], configuration: .release))
            ]
        ),
        .executableTarget(
            name: "livewatch-bench",
            dependencies: ["LiveWatch", "SQLite", "CSQLite", "VendorSimulator", "VendorSigning", argumentParser]
                + nioHTTP
        ),
        .testTarget(
            name: "VendorSigningTests",
            dependencies: ["VendorSigning"]
        ),
        .testTarget(
            name: "SQLiteTests",
            dependencies: ["SQLite"]
        ),
        .testTarget(
            name: "LiveWatchTests",
            dependencies: [
                "LiveWatch", "LiveWatchDemo", "VendorSimulator", "SQLite", "VendorSigning",
                .product(name: "PropertyBased", package: "swift-property-based"), asyncHTTPClient, nioCore, logging,
                serviceLifecycle,
            ],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
