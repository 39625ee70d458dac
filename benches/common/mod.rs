//! Helpers shared by the harness-less load drivers in `benches/`.

/// The value after `name` on the command line (`-- --vessels 1000`), or `default`.
pub fn arg(name: &str, default: usize) -> usize {
    arg_opt(name).unwrap_or(default)
}

/// The value after `name` on the command line, if given.
#[allow(dead_code)] // not every bench that includes this module takes optional values
pub fn arg_opt(name: &str) -> Option<usize> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok())
}

/// Resident set size of this process, MB (Linux `/proc/self/statm`; 0 elsewhere).
pub fn rss_mb() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    pages * 4096.0 / 1e6
}
