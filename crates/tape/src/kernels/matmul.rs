//! Matrix multiplication through the `gemm` crate (AVX-512 kernels compiled in, chosen at run
//! time), with an accumulate-into-destination form and a naive oracle for tests.
//!
//! On CPUs with AVX-512, f32 products run on nnc's own kernel instead (`kernels::sgemm`),
//! which computes bit-for-bit what `gemm` computes but allocates nothing per call and handles
//! the narrow and transposed shapes of training steps with less overhead.

use crate::Float;
use crate::kernels::sgemm::{Dest, Epilogue, Operand, sgemm};
use std::any::TypeId;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Products with at least this many multiply-adds (`m·k·n`) use rayon threads; smaller ones stay
/// on the calling thread, where thread hand-off would cost more than it saves.
pub const DEFAULT_PARALLEL_THRESHOLD: usize = 128 * 128 * 128;

static PARALLEL_THRESHOLD: AtomicUsize = AtomicUsize::new(DEFAULT_PARALLEL_THRESHOLD);

/// Sets the multiply-add count above which matmul uses rayon threads.
pub fn set_parallel_threshold(madds: usize) {
    PARALLEL_THRESHOLD.store(madds, Ordering::Relaxed);
}

/// The multiply-add count above which matmul uses rayon threads.
pub fn parallel_threshold() -> usize {
    PARALLEL_THRESHOLD.load(Ordering::Relaxed)
}

static MULTIPLY_ADDS: AtomicU64 = AtomicU64::new(0);

/// The multiply-adds (`m·k·n` per product) of every matrix product this process has computed,
/// on any thread. A step's product work is the difference of two readings around it; its
/// floating-point operations are twice that. One relaxed atomic add per product.
pub fn multiply_adds() -> u64 {
    MULTIPLY_ADDS.load(Ordering::Relaxed)
}

/// A row-major matrix operand: its data and whether to use it transposed.
///
/// `MatRef { data, rows, cols, transposed: false }` is the `rows × cols` matrix stored row-major;
/// with `transposed: true` it stands for the `cols × rows` transpose, read without a copy.
#[derive(Clone, Copy)]
pub struct MatRef<'a, T> {
    /// Row-major storage of the matrix as stored.
    pub data: &'a [T],
    /// Rows as stored.
    pub rows: usize,
    /// Columns as stored.
    pub cols: usize,
    /// Use the transpose of the stored matrix.
    pub transposed: bool,
}

impl<'a, T> MatRef<'a, T> {
    /// A matrix used as stored.
    pub fn new(data: &'a [T], rows: usize, cols: usize) -> Self {
        MatRef {
            data,
            rows,
            cols,
            transposed: false,
        }
    }

    /// The same storage, used transposed.
    pub fn t(self) -> Self {
        MatRef {
            transposed: !self.transposed,
            ..self
        }
    }

    /// Rows and columns of the matrix as used (after the optional transpose).
    pub fn dims(&self) -> (usize, usize) {
        if self.transposed {
            (self.cols, self.rows)
        } else {
            (self.rows, self.cols)
        }
    }

    /// Row and column strides of the matrix as used.
    pub(crate) fn strides(&self) -> (isize, isize) {
        if self.transposed {
            (1, self.cols as isize)
        } else {
            (self.cols as isize, 1)
        }
    }
}

/// `dst = a · b`, or `dst += a · b` when `accumulate` is true; `dst` is `m × n` row-major.
///
/// The dimensions must agree (`a` is `m × k`, `b` is `k × n` as used); callers check shapes and
/// this function asserts them. Deterministic: the result does not depend on the thread count,
/// because the work is split over output blocks and never over the shared dimension `k`.
pub fn matmul_into<T: Float>(dst: &mut [T], a: MatRef<'_, T>, b: MatRef<'_, T>, accumulate: bool) {
    let dest = if accumulate { Dest::Add } else { Dest::Assign };
    product(dst, a, b, dest, None);
}

/// `dst += a · b` for a gradient buffer, where `fresh` says that `dst` holds no contribution
/// yet (its contents are then ignored, and the result is exactly what zero-filling `dst` and
/// accumulating would give, usually without the fill). For
/// [`FusedGrad::accumulate_or_write`](crate::FusedGrad::accumulate_or_write).
pub fn matmul_accumulate_into<T: Float>(
    dst: &mut [T],
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    fresh: bool,
) {
    let dest = if fresh { Dest::AddToZero } else { Dest::Add };
    product(dst, a, b, dest, None);
}

/// A pass run on each finished part of a product's rows: `epilogue(row, first_column, part)`.
pub type RowEpilogue<'a, T> = &'a (dyn Fn(usize, usize, &mut [T]) + Sync);

/// `dst = a · b` followed by `epilogue(i, j0, part)` on every part `dst[i, j0 .. j0 + len]` of
/// every row once its value is final — while it is still in cache, instead of in a separate
/// pass (the bias and activation of a dense layer). The parts of a row are disjoint and
/// together cover it; they may be handled on different threads, in any order.
pub fn matmul_into_then<T: Float>(
    dst: &mut [T],
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    epilogue: RowEpilogue<'_, T>,
) {
    product(dst, a, b, Dest::Assign, Some(epilogue));
}

/// `dst ⊕= a·b` behind every matmul entry point: the checks, the f32 kernel (`sgemm`) and the
/// `gemm` crate for the rest. One function (of ~100 lines) on purpose: both `unsafe` calls
/// rely on the bounds asserted at its top, and keeping them beside those asserts keeps the
/// safety argument in one place.
fn product<T: Float>(
    dst: &mut [T],
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    dest: Dest,
    epilogue: Option<RowEpilogue<'_, T>>,
) {
    let (m, k) = a.dims();
    let (k2, n) = b.dims();
    assert_eq!(k, k2, "matmul_into: inner dimensions differ");
    assert_eq!(
        dst.len(),
        m * n,
        "matmul_into: destination has the wrong size"
    );
    assert!(a.data.len() >= m * k && b.data.len() >= k * n);
    if m == 0 || n == 0 {
        return;
    }
    MULTIPLY_ADDS.fetch_add((m * n * k) as u64, Ordering::Relaxed);
    if k == 0 {
        if dest != Dest::Add {
            dst.fill(T::ZERO);
        }
        apply_epilogue(dst, n, epilogue);
        return;
    }
    let threads = rayon::current_num_threads();
    let threads = if threads > 1 && m * n * k >= parallel_threshold() {
        threads
    } else {
        1
    };
    let (a_rs, a_cs) = a.strides();
    let (b_rs, b_cs) = b.strides();
    if let Some(dst32) = as_f32_mut(dst) {
        let op = |m: &MatRef<'_, T>, rs, cs| Operand {
            ptr: m.data.as_ptr() as *const f32,
            rs,
            cs,
        };
        // The epilogue on f32 parts: `T` is f32 here, so the part is a `[T]` slice.
        let epi32 = |i: usize, j: usize, p: *mut f32, len: usize| {
            if let Some(e) = epilogue {
                // SAFETY: `sgemm` passes a part of `dst` (valid, exclusively this call's).
                e(i, j, unsafe {
                    std::slice::from_raw_parts_mut(p as *mut T, len)
                });
            }
        };
        let epi32: Option<Epilogue<'_>> = epilogue.map(|_| &epi32 as Epilogue<'_>);
        // SAFETY: `T` is f32 (checked by `as_f32_mut`), the asserts above bound every index
        // of both operands, and `dst` is a unique borrow disjoint from them.
        let done = unsafe {
            sgemm(
                m,
                n,
                k,
                op(&a, a_rs, a_cs),
                op(&b, b_rs, b_cs),
                dst32.as_mut_ptr(),
                dest,
                threads,
                epi32,
            )
        };
        if done {
            return;
        }
    }
    if dest == Dest::AddToZero {
        dst.fill(T::ZERO);
    }
    let parallelism = if threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the asserts above guarantee that every index gemm touches, `i·rs + j·cs` for
    // `i < rows` and `j < cols` of each operand as used, lies inside its slice, and `dst` is a
    // unique borrow that does not overlap the shared borrows `a` and `b`. `T` is f32 or f64,
    // both supported by gemm. gemm computes `dst := alpha·dst + beta·lhs·rhs`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            dest != Dest::Assign,
            a.data.as_ptr(),
            a_cs,
            a_rs,
            b.data.as_ptr(),
            b_cs,
            b_rs,
            T::ONE,
            T::ONE,
            false,
            false,
            false,
            parallelism,
        );
    }
    apply_epilogue(dst, n, epilogue);
}

/// Runs the epilogue over whole rows (after a product computed elsewhere).
fn apply_epilogue<T: Float>(dst: &mut [T], n: usize, epilogue: Option<RowEpilogue<'_, T>>) {
    if let Some(e) = epilogue {
        for (i, row) in dst.chunks_exact_mut(n).enumerate() {
            e(i, 0, row);
        }
    }
}

/// Whether f32 products run on nnc's own AVX-512 kernel (bit-identical to `gemm`, allocation
/// free) rather than on `gemm` itself, which allocates packing buffers for some layouts.
pub fn native_f32_kernel() -> bool {
    crate::kernels::sgemm::available()
}

/// `dst` as f32 storage, if `T` is f32.
fn as_f32_mut<T: Float>(dst: &mut [T]) -> Option<&mut [f32]> {
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        // SAFETY: `T` is `f32`, so the slice already has this type.
        Some(unsafe { std::slice::from_raw_parts_mut(dst.as_mut_ptr() as *mut f32, dst.len()) })
    } else {
        None
    }
}

/// The textbook triple loop, `dst = a · b` (or `+=`): the oracle `gemm` is tested against.
pub fn matmul_naive_into<T: Float>(
    dst: &mut [T],
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    accumulate: bool,
) {
    let (m, k) = a.dims();
    let (_, n) = b.dims();
    let (a_rs, a_cs) = a.strides();
    let (b_rs, b_cs) = b.strides();
    for i in 0..m {
        for j in 0..n {
            let mut s = T::ZERO;
            for p in 0..k {
                let x = a.data[i * a_rs as usize + p * a_cs as usize];
                let y = b.data[p * b_rs as usize + j * b_cs as usize];
                s += x * y;
            }
            let d = &mut dst[i * n + j];
            *d = if accumulate { *d + s } else { s };
        }
    }
}
