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
//! into panels of `16·MV` columns (zero-padded) in a thread-local buffer that is reused, so
//! steady-state calls allocate nothing. `A` is read in place, one broadcast per row and `p`;
//! when its rows are adjacent (a transposed operand, as in `xᵀ·ḡ`) the kernel addresses them
//! from one pointer, which measured ~5 % faster in L1 than one address per row. Packing
//! row-major strips of `A` that way was tried and cost more than it gained on the benchmark
//! shapes. Packed panels are full width, so their loads need no mask; only a ragged last panel
//! read in place is loaded under a mask.
//!
//! **Threads.** Above the caller's threshold the column panels (or, for a narrow problem, the
//! row strips) are split into contiguous ranges, one per thread. Every element is still
//! computed by one thread in the same order, so results do not depend on the thread count.

mod kernel;

use kernel::{Access, Store, Tile};

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

/// Called on every part of every row of `C` once its value is final, while it is in cache:
/// `epilogue(row, first_column, pointer_to_part, length)`. The parts of a row are disjoint and
/// cover it; parts may be handled on different threads.
pub(crate) type Epilogue<'a> = &'a (dyn Fn(usize, usize, *mut f32, usize) + Sync);

/// `C = A·B` or `C += A·B` for row-major `C` (`m × n`, contiguous rows), if this module
/// handles the shape; returns false (touching nothing) when the caller should use `gemm`.
/// `threads` > 1 splits the work over the current rayon pool; `epilogue` runs on each finished
/// part of `C`.
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
    epilogue: Option<Epilogue<'_>>,
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
        unsafe { gevv(m, n, k, a, b, c, dest, epilogue) };
        return true;
    }
    let kc = gemm_kc(m, n, k);
    // SAFETY: forwarded caller guarantees; the transposed view addresses the same elements.
    unsafe {
        if n < 16 && m >= 16 {
            // Rows of C are columns of the transposed problem: run the epilogue afterwards.
            run(n, m, k, b.t(), a.t(), cc.t(), dest, kc, threads, None);
            if let Some(epi) = epilogue {
                for i in 0..m {
                    epi(i, 0, c.add(i * n), n);
                }
            }
        } else {
            run(m, n, k, a, b, cc, dest, kc, threads, epilogue);
        }
    }
    true
}

/// `gemm`'s k ≤ 2 path exactly: `c = a₁b₁ + (a₀b₀ (+ c))`, unfused (plain multiply and add).
#[allow(clippy::too_many_arguments)]
unsafe fn gevv(
    m: usize,
    n: usize,
    k: usize,
    a: Operand,
    b: Operand,
    c: *mut f32,
    dest: Dest,
    epilogue: Option<Epilogue<'_>>,
) {
    // SAFETY: indices stay inside the extents the caller guarantees.
    unsafe {
        let c = std::slice::from_raw_parts_mut(c, m * n);
        for (i, row) in c.chunks_exact_mut(n).enumerate() {
            if b.cs == 1 {
                // Contiguous rows of B: the same arithmetic, 16 lanes at a time.
                let a1 = (k > 1).then(|| (a.at(i, 1), b.ptr.offset(b.rs)));
                kernel::gevv_row(row, a.at(i, 0), b.ptr, a1, dest);
            } else {
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
            if let Some(epi) = epilogue {
                epi(i, 0, row.as_mut_ptr(), n);
            }
        }
    }
}

/// The vectors per tile for `n` columns.
fn vectors_for(n: usize) -> usize {
    n.div_ceil(16).clamp(1, 4)
}

/// One part of a product: the operands at the part's origin, where that origin is in the
/// whole `C` (for the epilogue), and the settings shared by all parts. May cross to rayon
/// threads: each part writes a disjoint block of `C`.
#[derive(Clone, Copy)]
struct Job<'e> {
    a: Operand,
    b: Operand,
    c: Operand,
    row0: usize,
    col0: usize,
    dest: Dest,
    kc: usize,
    mv: usize,
    epilogue: Option<Epilogue<'e>>,
}
// SAFETY: the pointers are only dereferenced inside `run`'s scope, on disjoint parts of C, and
// the epilogue is `Sync`.
unsafe impl Send for Job<'_> {}
// SAFETY: as above; shared reads of A and B only.
unsafe impl Sync for Job<'_> {}

impl Job<'_> {
    /// The part starting `i` rows and `j` columns further on.
    fn sub(&self, i: usize, j: usize) -> Self {
        Job {
            a: offset(self.a, i, 0),
            b: offset(self.b, 0, j),
            c: offset(self.c, i, j),
            row0: self.row0 + i,
            col0: self.col0 + j,
            ..*self
        }
    }
}

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
    epilogue: Option<Epilogue<'_>>,
) {
    let mv = vectors_for(n);
    let (w, nr) = (16 * mv, kernel::nr(mv));
    let panels = n.div_ceil(w);
    let strips = m.div_ceil(nr);
    let job = &Job {
        a,
        b,
        c,
        row0: 0,
        col0: 0,
        dest,
        kc,
        mv,
        epilogue,
    };
    // SAFETY (all branches): parts are disjoint ranges of rows or columns of C.
    if threads <= 1 || (panels < 2 && strips < 2) {
        unsafe { block(m, n, k, job) };
    } else if panels >= 2 * threads || panels >= strips {
        let parts = threads.min(panels);
        let per = panels.div_ceil(parts);
        rayon_parts(parts, |t| {
            let (j0, j1) = ((t * per * w).min(n), ((t + 1) * per * w).min(n));
            if j0 < j1 {
                unsafe { block(m, j1 - j0, k, &job.sub(0, j0)) };
            }
        });
    } else {
        let parts = threads.min(strips);
        let per = strips.div_ceil(parts);
        rayon_parts(parts, |t| {
            let (i0, i1) = ((t * per * nr).min(m), ((t + 1) * per * nr).min(m));
            if i0 < i1 {
                unsafe { block(i1 - i0, n, k, &job.sub(i0, 0)) };
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
/// then blocks of B columns, then strips of A rows, then the panels of the block; the epilogue
/// runs on each tile of the last chunk right after it is stored.
unsafe fn block(m: usize, n: usize, k: usize, job: &Job<'_>) {
    let (mv, kc) = (job.mv, job.kc);
    let (w, nr) = (16 * mv, kernel::nr(mv));
    let nc = block_cols(kc.min(k), w).min(n.div_ceil(w) * w);
    // A single strip of rows uses each value of B once: read B in place (rows contiguous)
    // instead of packing it.
    let direct = m <= nr && job.b.cs == 1;
    let b_len = if direct { 0 } else { kc.min(k) * nc };
    // A transposed operand has its rows adjacent: the faster broadcast. (Packing row-major
    // strips of A that way cost more than it gained on the shapes of the benchmarks.)
    let access = if job.a.rs == 1 {
        Access::Adjacent
    } else {
        Access::Strided
    };
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
            let store_mode = match (p0 == 0, job.dest) {
                (true, Dest::Assign) => Store::Assign,
                (true, Dest::AddToZero) => Store::AddZero,
                _ => Store::Add,
            };
            let epilogue = job.epilogue.filter(|_| p0 + kcl == k);
            let mut j0 = 0;
            while j0 < n {
                let ncl = nc.min(n - j0);
                let b = offset(job.b, p0, j0);
                if !direct {
                    pack_b(kcl, ncl, w, b, bp);
                }
                let mut i0 = 0;
                while i0 < m {
                    let rows = nr.min(m - i0);
                    let a = offset(job.a, i0, p0);
                    let mut jp = 0;
                    while jp < ncl {
                        let cols = w.min(ncl - jp);
                        let c = offset(job.c, i0, j0 + jp).ptr as *mut f32;
                        // A narrow last panel uses fewer vectors. Packed panels are zero-padded;
                        // read in place, the last vector is masked.
                        let mvp = cols.div_ceil(16);
                        let (panel, brs, last) = if direct {
                            let left = cols - 16 * (mvp - 1);
                            let last = if left >= 16 {
                                0xffff
                            } else {
                                (1u16 << left) - 1
                            };
                            (b.ptr.add(jp), b.rs, last)
                        } else {
                            (bp.add(jp * kcl) as *const f32, w as isize, 0xffff)
                        };
                        let access = if last != 0xffff {
                            Access::StridedMasked
                        } else {
                            access
                        };
                        let f = kernel::select(mvp, rows, access);
                        let tile = Tile {
                            c,
                            rs: job.c.rs,
                            cs: job.c.cs,
                            rows,
                            cols,
                            store: store_mode,
                        };
                        f(kcl, a.ptr, a.rs, a.cs, panel, brs, last, tile);
                        if let Some(epi) = epilogue {
                            debug_assert_eq!(job.c.cs, 1);
                            for r in 0..rows {
                                let row = job.row0 + i0 + r;
                                epi(
                                    row,
                                    job.col0 + j0 + jp,
                                    c.offset(r as isize * job.c.rs),
                                    cols,
                                );
                            }
                        }
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
                if cols < w {
                    for p in 0..kc {
                        std::ptr::write_bytes(panel.add(p * w + cols), 0, w - cols);
                    }
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
