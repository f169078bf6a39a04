//! A counting global allocator: the system allocator plus a process-wide count of allocations
//! (and reallocations), so a benchmark can report allocations per training step.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting every `alloc`, `alloc_zeroed` and `realloc` on any thread.
///
/// Install it in a binary to get allocation counts from the harness:
///
/// ```no_run
/// #[global_allocator]
/// static GLOBAL: nnc_bench::CountingAllocator = nnc_bench::CountingAllocator;
/// ```
pub struct CountingAllocator;

// SAFETY: every method defers to the system allocator with the caller's arguments, so the
// `GlobalAlloc` contract is the system allocator's; the only addition is a relaxed counter.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `alloc`'s contract, which we pass on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` (through this type) with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` with `layout`; the caller upholds the rest.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations made by the whole process so far (0 unless [`CountingAllocator`] is the global
/// allocator).
pub fn allocations() -> usize {
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// Whether [`CountingAllocator`] is the process's global allocator (an allocation moves the
/// counter).
pub fn counting_allocator_installed() -> bool {
    let before = allocations();
    let probe = black_box(Box::new(black_box(7u64)));
    drop(probe);
    allocations() != before
}
