//! Keeps the exporter's resident memory near its live heap. glibc keeps what the initial LISTs
//! and each audit freed (full pods decoded page by page, the audit's snapshot) inside its heap,
//! fragmented between the cached objects, so the resident size stayed near the peak although
//! the live heap is a fraction of it: malloc_trim(3) returns every free page, not only the
//! heap's top. And the audit's thread got an arena of its own, kept after the thread is gone:
//! one arena serves both (the audit allocates little while scrapes are answered).

/// At the start of `serve`, before the watches and the audit allocate. The runtime's threads
/// exist by then, but glibc gives a thread its arena at the thread's first allocation, and
/// M_ARENA_MAX stops new ones from being made: an arena made before this call would be kept.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn one_arena() {
    // SAFETY: mallopt takes no pointer; M_ARENA_MAX only caps how many arenas glibc creates.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// After the first full sync and each audit. A few milliseconds for this heap.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release_freed() {
    // SAFETY: malloc_trim takes no pointer and only walks glibc's own free lists under its
    // arena locks; it may be called from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other allocators (musl, macOS) have neither call: nothing to do.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn one_arena() {}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_freed() {}
