//! glibc malloc settings for the server processes.

/// Allocations of this size and above get their own memory mapping, returned to
/// the operating system when freed.
const MMAP_THRESHOLD_BYTES: i32 = 1024 * 1024;

/// Makes large allocations come and go with their own mappings.
///
/// Why: each Argon2 hash allocates 19 MiB. glibc serves allocations above its
/// mmap threshold (128 KiB) with their own mapping, but after the first such
/// block is freed it raises the threshold above that size, so later hashes are
/// carved out of per-thread arenas and stay resident after they are freed. Hashes
/// run on tokio's blocking threads, each with its own arena: measured with
/// scripts/bench.sh, 200 concurrent sign-ins with hashing capped at two left the
/// process at 302 MB peak and 283 MB a minute later. A fixed threshold turns the
/// adjustment off; nothing else this service allocates comes near 1 MiB.
pub fn return_large_allocations_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only sets a malloc parameter; it takes glibc's own
        // arena lock, so calling it while other threads allocate is sound.
        #[allow(unsafe_code)]
        let ok = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) };
        if ok != 1 {
            tracing::warn!("could not set malloc's mmap threshold; freed password-hash memory may stay resident");
        }
    }
}
