//! Peak resident memory from `/proc/self/status` (Linux).

/// The peak resident set size of the process (VmHWM) in KiB, if the platform reports it.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Resets the peak resident set size to the current one (writes `5` to
/// `/proc/self/clear_refs`), so the next [`peak_rss_kib`] covers only what follows. Returns
/// false where that is not supported.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
