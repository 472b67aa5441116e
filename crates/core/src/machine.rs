//! What this machine has to run models with, for the hints next to downloads.

/// Physical memory in bytes, or `None` when the system will not say.
pub fn total_memory() -> Option<u64> {
    // SAFETY: `sysinfo` only fills the zeroed struct it is given.
    let mut info: libc::sysinfo = unsafe { std::mem::zeroed() };
    if unsafe { libc::sysinfo(&mut info) } != 0 {
        return None;
    }
    (info.totalram as u64).checked_mul(u64::from(info.mem_unit.max(1)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn memory_agrees_with_proc_meminfo() {
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
        let kib: u64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap();
        assert_eq!(super::total_memory(), Some(kib * 1024));
    }
}
