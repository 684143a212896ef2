/// The program's version.
public enum LiveWatchVersion {
    /// Semantic version of this build.
    public static let current = "0.1.0"
}
