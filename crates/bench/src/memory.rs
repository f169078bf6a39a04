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

/// Hands the heap memory the allocator keeps free back to the system (glibc's `malloc_trim`),
/// so that what was freed while preparing a run (a raw data set, split copies) does not stay
/// resident and count in the run's peak. Does nothing on other platforms.
pub fn release_free_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only returns free memory to the system; any thread may call it.
    unsafe {
        libc::malloc_trim(0);
    }
}
