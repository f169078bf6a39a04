//! A counting global allocator: the system allocator plus a count of allocations (and
//! reallocations), process-wide and per thread, so a benchmark can report allocations per
//! training step and a test can check that a steady-state step allocates nothing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static THREAD_ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// Counts one allocation, process-wide and on the current thread.
fn count() {
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    THREAD_ALLOCATIONS.with(|c| c.set(c.get() + 1));
}

/// The system allocator, counting every `alloc`, `alloc_zeroed` and `realloc`.
///
/// Install it in a binary, test or benchmark to get allocation counts:
///
/// ```no_run
/// #[global_allocator]
/// static GLOBAL: nnc_tape::alloc_counter::CountingAllocator =
///     nnc_tape::alloc_counter::CountingAllocator;
/// ```
pub struct CountingAllocator;

// SAFETY: every method defers to the system allocator with the caller's arguments, so the
// `GlobalAlloc` contract is the system allocator's; the only addition is a relaxed counter and
// a thread-local one (a `const`-initialised `Cell` without destructor, which never allocates).
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller upholds `alloc`'s contract, which we pass on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` (through this type) with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: `ptr` was allocated by `System` with `layout`; the caller upholds the rest.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations made by the whole process so far, on any thread (0 unless
/// [`CountingAllocator`] is the global allocator).
pub fn allocations() -> usize {
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// Allocations made by the current thread so far (so tests running in parallel do not see
/// each other's); 0 unless [`CountingAllocator`] is the global allocator.
pub fn thread_allocations() -> usize {
    THREAD_ALLOCATIONS.with(|c| c.get())
}

/// Whether [`CountingAllocator`] is the process's global allocator (an allocation moves the
/// counter).
pub fn counting_allocator_installed() -> bool {
    let before = allocations();
    let probe = black_box(Box::new(black_box(7u64)));
    drop(probe);
    allocations() != before
}
