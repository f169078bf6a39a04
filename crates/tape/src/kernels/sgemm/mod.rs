//! An f32 matrix product on AVX-512 that computes exactly what the `gemm` crate computes, with
//! no allocation per call and less overhead on the shapes networks use.
//!
//! **Bit-identical to `gemm`.** `gemm` (0.19, AVX-512 f32) accumulates each output element
//! with one fused multiply-add per `p` in increasing order, from zero, over chunks of the
//! shared dimension of length `kc`; it writes the first chunk's sum (or adds it to the
//! destination when accumulating) and adds every later chunk's sum. `kc` comes from
//! `gemm_common::cache::kernel_params` (cache sizes of the machine) or is `min(k, 512)` for
//! outputs of at most 64×64. This module chooses the same chunks and keeps the same per-element
//! order, so only the blocking, packing, threading and vector orientation differ: which elements
//! share a register tile does not change any element's value. Shapes for which `gemm` takes
//! another path (k ≤ 2: an unfused outer product; a single row or column: gemv; tiny outputs
//! with contiguous dot products: horizontal kernels) are either reproduced exactly ([`gevv`])
//! or left to `gemm` by [`sgemm`] returning `false`.
//!
//! **Layout.** The output `C` is `m × n`; a tile covers `NR` rows and `16·MV` columns held in
//! `NR·MV ≤ 24` vector registers. Columns are the vector dimension when `C` is wide; for a
//! narrow `C` (fewer than 16 columns, e.g. class scores) the problem is transposed
//! (`Cᵀ = Bᵀ·Aᵀ`) so that the rows become lanes. Per `k` chunk, a block of `B` columns is packed
//! into panels of `16·MV` columns (zero-padded) and each `NR`-row strip of `A` is packed once
//! per block; both packing buffers are thread-local and reused, so steady-state calls allocate
//! nothing.
//!
//! **Threads.** Above the caller's threshold the column panels (or, for a narrow problem, the
//! row strips) are split into contiguous ranges, one per thread. Every element is still
//! computed by one thread in the same order, so results do not depend on the thread count.

mod kernel;

use kernel::{Store, Tile};

/// What happens to the destination.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Dest {
    /// `C = A·B` (prior contents ignored).
    Assign,
    /// `C += A·B`.
    Add,
    /// `C = 0 + A·B` (prior contents ignored): bit-identical to zero-filling `C` and adding,
    /// without the fill.
    AddToZero,
}
use std::cell::Cell;
use std::sync::OnceLock;

/// A matrix operand: element `(i, j)` at `ptr[i·rs + j·cs]`.
#[derive(Clone, Copy)]
pub(crate) struct Operand {
    pub(crate) ptr: *const f32,
    pub(crate) rs: isize,
    pub(crate) cs: isize,
}

impl Operand {
    fn t(self) -> Operand {
        Operand {
            ptr: self.ptr,
            rs: self.cs,
            cs: self.rs,
        }
    }

    #[inline(always)]
    unsafe fn at(&self, i: usize, j: usize) -> f32 {
        // SAFETY: the caller keeps (i, j) inside the operand's extent.
        unsafe { *self.ptr.offset(i as isize * self.rs + j as isize * self.cs) }
    }
}

/// Whether this CPU runs the AVX-512 kernels.
pub(crate) fn available() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx512f")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    })
}

/// The `k` chunk length `gemm` uses for this product (f32, AVX-512: 64×6 micro-tiles on the
/// transposed problem).
fn gemm_kc(m: usize, n: usize, k: usize) -> usize {
    // gemm transposes a row-major destination: its (m, n) are our (n, m).
    let (gm, gn) = (n, m);
    if gm <= 64 && gn <= 64 {
        k.min(512)
    } else {
        gemm_common::cache::kernel_params(gm, gn, k, 64, 6, std::mem::size_of::<f32>()).kc
    }
}

/// `C = A·B` or `C += A·B` for row-major `C` (`m × n`, contiguous rows), if this module
/// handles the shape; returns false (touching nothing) when the caller should use `gemm`.
/// `threads` > 1 splits the work over the current rayon pool.
///
/// # Safety
/// `a` must be readable for `m × k`, `b` for `k × n` at their strides, `c` writable for
/// `m·n` contiguous values, and `c` must not overlap `a` or `b`.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn sgemm(
    m: usize,
    n: usize,
    k: usize,
    a: Operand,
    b: Operand,
    c: *mut f32,
    dest: Dest,
    threads: usize,
) -> bool {
    if !available() || m < 2 || n < 2 || k == 0 {
        return false;
    }
    // gemm's horizontal kernels: B transposed (contiguous columns), A row-major, tiny output.
    if b.rs == 1 && a.cs == 1 && m * n <= 256 {
        return false;
    }
    let cc = Operand {
        ptr: c,
        rs: n as isize,
        cs: 1,
    };
    if k <= 2 {
        // SAFETY: forwarded caller guarantees.
        unsafe { gevv(m, n, k, a, b, c, dest) };
        return true;
    }
    let kc = gemm_kc(m, n, k);
    // SAFETY: forwarded caller guarantees; the transposed view addresses the same elements.
    unsafe {
        if n < 16 && m >= 16 {
            run(n, m, k, b.t(), a.t(), cc.t(), dest, kc, threads);
        } else {
            run(m, n, k, a, b, cc, dest, kc, threads);
        }
    }
    true
}

/// `gemm`'s k ≤ 2 path exactly: `c = a₁b₁ + (a₀b₀ (+ c))`, unfused (plain multiply and add).
unsafe fn gevv(m: usize, n: usize, k: usize, a: Operand, b: Operand, c: *mut f32, dest: Dest) {
    // SAFETY: indices stay inside the extents the caller guarantees.
    unsafe {
        let c = std::slice::from_raw_parts_mut(c, m * n);
        if b.cs == 1 {
            // Contiguous rows of B: the same arithmetic, vectorisable.
            let b0 = std::slice::from_raw_parts(b.ptr, n);
            let b1 = std::slice::from_raw_parts(b.ptr.offset(b.rs), if k > 1 { n } else { 0 });
            for (i, row) in c.chunks_exact_mut(n).enumerate() {
                gevv_row(row, a.at(i, 0), b0, (k > 1).then(|| (a.at(i, 1), b1)), dest);
            }
            return;
        }
        for (i, row) in c.chunks_exact_mut(n).enumerate() {
            let (a0, a1) = (a.at(i, 0), if k > 1 { a.at(i, 1) } else { 0.0 });
            for (j, x) in row.iter_mut().enumerate() {
                let mut v = a0 * b.at(0, j);
                v = match dest {
                    Dest::Assign => v,
                    Dest::Add => v + *x,
                    Dest::AddToZero => v + 0.0,
                };
                if k > 1 {
                    v += a1 * b.at(1, j);
                }
                *x = v;
            }
        }
    }
}

/// One row of [`gevv`] with contiguous rows of B: `x = a₁·b₁ + (a₀·b₀ (+ x))`.
#[inline]
fn gevv_row(row: &mut [f32], a0: f32, b0: &[f32], second: Option<(f32, &[f32])>, dest: Dest) {
    let first = |x: f32, b: f32| {
        let v = a0 * b;
        match dest {
            Dest::Assign => v,
            Dest::Add => v + x,
            Dest::AddToZero => v + 0.0,
        }
    };
    match second {
        None => row.iter_mut().zip(b0).for_each(|(x, &b)| *x = first(*x, b)),
        Some((a1, b1)) => row
            .iter_mut()
            .zip(b0)
            .zip(b1)
            .for_each(|((x, &b), &c)| *x = a1 * c + first(*x, b)),
    }
}

/// The vectors per tile for `n` columns.
fn vectors_for(n: usize) -> usize {
    n.div_ceil(16).clamp(1, 4)
}

/// A raw pointer bundle that may cross to rayon threads (each thread writes a disjoint part
/// of `C`).
#[derive(Clone, Copy)]
struct Job {
    a: Operand,
    b: Operand,
    c: Operand,
}
// SAFETY: the pointers are only dereferenced inside `run`'s scope, on disjoint parts of C.
unsafe impl Send for Job {}
// SAFETY: as above; shared reads of A and B only.
unsafe impl Sync for Job {}

/// Splits the product over threads (fixed contiguous ranges) and runs each part.
#[allow(clippy::too_many_arguments)]
unsafe fn run(
    m: usize,
    n: usize,
    k: usize,
    a: Operand,
    b: Operand,
    c: Operand,
    dest: Dest,
    kc: usize,
    threads: usize,
) {
    let mv = vectors_for(n);
    let (w, nr) = (16 * mv, kernel::nr(mv));
    let panels = n.div_ceil(w);
    let strips = m.div_ceil(nr);
    let job = &Job { a, b, c };
    // SAFETY (both branches): parts are disjoint ranges of rows or columns of C.
    if threads <= 1 || (panels < 2 && strips < 2) {
        unsafe { block(m, n, k, *job, dest, kc, mv) };
    } else if panels >= 2 * threads || panels >= strips {
        let parts = threads.min(panels);
        let per = panels.div_ceil(parts);
        rayon_parts(parts, |t| {
            let (j0, j1) = ((t * per * w).min(n), ((t + 1) * per * w).min(n));
            if j0 < j1 {
                let sub = Job {
                    a: job.a,
                    b: offset(job.b, 0, j0),
                    c: offset(job.c, 0, j0),
                };
                unsafe { block(m, j1 - j0, k, sub, dest, kc, mv) };
            }
        });
    } else {
        let parts = threads.min(strips);
        let per = strips.div_ceil(parts);
        rayon_parts(parts, |t| {
            let (i0, i1) = ((t * per * nr).min(m), ((t + 1) * per * nr).min(m));
            if i0 < i1 {
                let sub = Job {
                    a: offset(job.a, i0, 0),
                    b: job.b,
                    c: offset(job.c, i0, 0),
                };
                unsafe { block(i1 - i0, n, k, sub, dest, kc, mv) };
            }
        });
    }
}

/// Runs `f(0..parts)` on the rayon pool, part 0 on the calling thread.
fn rayon_parts(parts: usize, f: impl Fn(usize) + Sync + Send) {
    use rayon::prelude::*;
    (0..parts).into_par_iter().for_each(f);
}

fn offset(o: Operand, i: usize, j: usize) -> Operand {
    Operand {
        ptr: o.ptr.wrapping_offset(i as isize * o.rs + j as isize * o.cs),
        ..o
    }
}

thread_local! {
    /// Packing storage of this thread, reused across calls (taken out while in use, so a
    /// nested call on the same thread gets its own).
    static PACK: Cell<Vec<Line>> = const { Cell::new(Vec::new()) };
}

/// One cache line of f32s: packing buffers are 64-byte aligned.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([f32; 16]);

/// Columns of B packed per block: about 1 MiB of packed B per block (half the L2 of a core).
fn block_cols(kc: usize, w: usize) -> usize {
    ((1 << 18) / kc.max(1) / w).max(1) * w
}

/// The single-threaded product on one part: k chunks outermost (gemm's order of chunk sums),
/// then blocks of B columns, then strips of A rows, then the panels of the block.
#[allow(clippy::too_many_arguments)]
unsafe fn block(m: usize, n: usize, k: usize, job: Job, dest: Dest, kc: usize, mv: usize) {
    let (w, nr) = (16 * mv, kernel::nr(mv));
    let nc = block_cols(kc.min(k), w).min(n.div_ceil(w) * w);
    let b_len = kc.min(k) * nc;
    let lines = b_len.div_ceil(16);
    let mut store = PACK.take();
    if store.len() < lines {
        store = vec![Line([0.0; 16]); lines];
    }
    let bp = store.as_mut_ptr() as *mut f32;
    // SAFETY: `bp` has room for `b_len` values; pointers into A, B and C stay inside the
    // extents guaranteed by `sgemm`'s caller for this part.
    unsafe {
        let mut p0 = 0;
        while p0 < k {
            let kcl = kc.min(k - p0);
            let first = p0 == 0;
            let store_mode = match (first, dest) {
                (true, Dest::Assign) => Store::Assign,
                (true, Dest::AddToZero) => Store::AddZero,
                _ => Store::Add,
            };
            let mut j0 = 0;
            while j0 < n {
                let ncl = nc.min(n - j0);
                pack_b(kcl, ncl, w, offset(job.b, p0, j0), bp);
                let mut i0 = 0;
                while i0 < m {
                    let rows = nr.min(m - i0);
                    let a = offset(job.a, i0, p0);
                    let f = kernel::select(mv, rows);
                    let mut jp = 0;
                    while jp < ncl {
                        let cols = w.min(ncl - jp);
                        let c = job
                            .c
                            .ptr
                            .offset(i0 as isize * job.c.rs + (j0 + jp) as isize * job.c.cs)
                            as *mut f32;
                        f(
                            kcl,
                            a.ptr,
                            a.rs,
                            a.cs,
                            bp.add(jp * kcl),
                            Tile {
                                c,
                                rs: job.c.rs,
                                cs: job.c.cs,
                                rows,
                                cols,
                                store: store_mode,
                            },
                        );
                        jp += w;
                    }
                    i0 += rows;
                }
                j0 += ncl;
            }
            p0 += kcl;
        }
    }
    PACK.set(store);
}

/// Packs `B[0..kc, 0..ncols]` into panels of `w` columns: panel `q` at `dst[q·w·kc ..]`, row `p`
/// at `+ p·w`, zero beyond `ncols`.
unsafe fn pack_b(kc: usize, ncols: usize, w: usize, b: Operand, dst: *mut f32) {
    // SAFETY: reads stay inside B's part, writes inside the `kc · ceil(ncols/w) · w` buffer.
    unsafe {
        let mut q = 0;
        while q < ncols {
            let cols = w.min(ncols - q);
            let panel = dst.add(q * kc);
            if b.cs == 1 {
                for p in 0..kc {
                    let src = b.ptr.offset(p as isize * b.rs + q as isize);
                    kernel::copy_row(src, panel.add(p * w), cols, w);
                }
            } else {
                // Columns of B are contiguous (a transposed operand): transpose 16×16 blocks.
                debug_assert_eq!(b.rs, 1);
                for p in 0..kc {
                    std::ptr::write_bytes(panel.add(p * w + cols), 0, w - cols);
                }
                let (full_j, full_p) = (cols / 16 * 16, kc / 16 * 16);
                let col = |j: usize| b.ptr.offset((q + j) as isize * b.cs);
                for jb in (0..full_j).step_by(16) {
                    for pb in (0..full_p).step_by(16) {
                        kernel::transpose16(
                            col(jb).add(pb),
                            b.cs as usize,
                            panel.add(pb * w + jb),
                            w,
                        );
                    }
                    for p in full_p..kc {
                        for y in 0..16 {
                            *panel.add(p * w + jb + y) = *col(jb + y).add(p);
                        }
                    }
                }
                for j in full_j..cols {
                    let src = col(j);
                    for p in 0..kc {
                        *panel.add(p * w + j) = *src.add(p);
                    }
                }
            }
            q += w;
        }
    }
}
