//! The peak heap memory of a closure, measured by dhat's heap profiler. Shared by the memory
//! benchmarks through `#[path]`.

use std::hint::black_box;

// dhat's allocator forwards to the system one, and counts only while a profiler runs.
#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// The most heap memory that blocks allocated by `f` took at once (dhat's "t-gmax": blocks
/// allocated before `f` started are not counted).
pub fn peak_bytes<T>(f: impl FnOnce() -> T) -> usize {
    // Testing mode: the statistics can be read, and no profile file is written on drop.
    let _profiler = dhat::Profiler::builder().testing().build();
    black_box(f());
    dhat::HeapStats::get().max_bytes
}
