//! The AVX-512 f32 micro-kernels: a register tile of `NR` rows × `16·MV` columns of `C`,
//! accumulated over one `k` chunk from packed operands.
//!
//! Every element of the tile is `acc = fma(b, a, acc)` in increasing `p` starting from zero,
//! then stored as `acc` (first chunk, not accumulating) or `acc + c` — the arithmetic of the
//! `gemm` crate's micro-kernels, so results are bit-identical to it.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// How a tile is written back.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Store {
    /// `c = acc`.
    Assign,
    /// `c = acc + c`.
    Add,
    /// `c = acc + 0` (what adding to a zero-filled `c` gives, without reading it).
    AddZero,
}

/// Where a tile goes: `rows × cols` elements at `c[r·rs + j·cs]` (`cs == 1` is the fast path).
#[derive(Clone, Copy)]
pub(crate) struct Tile {
    pub(crate) c: *mut f32,
    pub(crate) rs: isize,
    pub(crate) cs: isize,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) store: Store,
}

/// `C[0..rows, 0..cols] (+)= A · B` for one `k` chunk of length `kc`.
///
/// `A[r, p]` is broadcast from `a[r·ars + p·acs]`; with `ADJACENT` the rows are adjacent
/// (`ars == 1`, a packed strip or a transposed operand) and each broadcast is one pointer plus a
/// constant, which keeps the loop free of the per-row address arithmetic the compiler otherwise
/// emits. Row `p` of `B` is `16·MV` values at `b[p·brs ..]`; with `MASKED` the last vector is
/// read under `last` (the valid lanes when `B` is read in place), without it all lanes are read
/// (a packed, zero-padded panel, or a full one). Together the two measured 2–10 % faster on a
/// tile in L1, depending on the tile shape.
///
/// # Safety
/// The CPU must support AVX-512F; `A` must be readable at those offsets for `r < NR`,
/// `p < kc`; `B` for the lanes read; `tile` must describe writable memory for `rows ≤ NR` rows
/// and `cols ≤ 16·MV` columns that no other thread touches.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn tile<
    const MV: usize,
    const NR: usize,
    const ADJACENT: bool,
    const MASKED: bool,
>(
    kc: usize,
    a: *const f32,
    ars: isize,
    acs: isize,
    bp: *const f32,
    brs: isize,
    last: __mmask16,
    t: Tile,
) {
    // SAFETY (whole body): pointer offsets stay within the extents the caller guarantees:
    // `p < kc`, `r < NR`, `v < MV` for the operands, `r < rows`, `j < cols` for C.
    unsafe {
        let mut acc = [[_mm512_setzero_ps(); MV]; NR];
        let mut rows = [a; NR];
        for (r, x) in rows.iter_mut().enumerate() {
            *x = a.offset(r as isize * if ADJACENT { 1 } else { ars });
        }
        let mut off = 0isize;
        let mut b = bp;
        #[inline(always)]
        unsafe fn step<
            const MV: usize,
            const NR: usize,
            const ADJACENT: bool,
            const MASKED: bool,
        >(
            acc: &mut [[__m512; MV]; NR],
            rows: &[*const f32; NR],
            off: isize,
            b: *const f32,
            last: __mmask16,
        ) {
            // SAFETY: as for `tile`.
            unsafe {
                let mut bv = [_mm512_setzero_ps(); MV];
                for (v, x) in bv.iter_mut().enumerate() {
                    *x = if MASKED && v + 1 == MV {
                        _mm512_maskz_loadu_ps(last, b.add(16 * v))
                    } else {
                        _mm512_loadu_ps(b.add(16 * v))
                    };
                }
                for (r, (row, &ar)) in acc.iter_mut().zip(rows).enumerate() {
                    let x = if ADJACENT {
                        *rows[0].offset(off).add(r)
                    } else {
                        *ar.offset(off)
                    };
                    let s = _mm512_set1_ps(x);
                    for (x, &y) in row.iter_mut().zip(&bv) {
                        *x = _mm512_fmadd_ps(y, s, *x);
                    }
                }
            }
        }
        for _ in 0..kc / 4 {
            for u in 0..4 {
                step::<MV, NR, ADJACENT, MASKED>(
                    &mut acc,
                    &rows,
                    off + u as isize * acs,
                    b.offset(u as isize * brs),
                    last,
                );
            }
            off += 4 * acs;
            b = b.offset(4 * brs);
        }
        for _ in 0..kc % 4 {
            step::<MV, NR, ADJACENT, MASKED>(&mut acc, &rows, off, b, last);
            off += acs;
            b = b.offset(brs);
        }
        store::<MV, NR, ADJACENT, MASKED>(&acc, t);
    }
}

/// Writes an accumulator tile to C. Generic over the tile kernel's variant too, so that each
/// instance has one caller and is inlined into it (the accumulators stay in registers).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn store<const MV: usize, const NR: usize, const ADJACENT: bool, const MASKED: bool>(
    acc: &[[__m512; MV]; NR],
    t: Tile,
) {
    // SAFETY: only `r < rows`, `j < cols` elements of the tile are touched.
    unsafe {
        if t.cs == 1 {
            for (r, row) in acc.iter().enumerate().take(t.rows) {
                let crow = t.c.offset(r as isize * t.rs);
                for (v, &x) in row.iter().enumerate() {
                    let col = 16 * v;
                    if col >= t.cols {
                        break;
                    }
                    let left = t.cols - col;
                    let mask: __mmask16 = if left >= 16 {
                        0xffff
                    } else {
                        (1u16 << left) - 1
                    };
                    let p = crow.add(col);
                    let val = match t.store {
                        Store::Assign => x,
                        Store::Add => _mm512_add_ps(x, _mm512_maskz_loadu_ps(mask, p)),
                        Store::AddZero => _mm512_add_ps(x, _mm512_setzero_ps()),
                    };
                    _mm512_mask_storeu_ps(p, mask, val);
                }
            }
        } else {
            let mut buf = [[0f32; 16]; MV];
            for (r, row) in acc.iter().enumerate().take(t.rows) {
                for (v, &x) in row.iter().enumerate() {
                    _mm512_storeu_ps(buf[v].as_mut_ptr(), x);
                }
                let flat = buf.as_flattened();
                let crow = t.c.offset(r as isize * t.rs);
                for (j, &x) in flat.iter().enumerate().take(t.cols) {
                    let p = crow.offset(j as isize * t.cs);
                    *p = match t.store {
                        Store::Assign => x,
                        Store::Add => x + *p,
                        Store::AddZero => x + 0.0,
                    };
                }
            }
        }
    }
}

/// A tile kernel: `kernel(kc, a, a_row_stride, a_col_stride, b, b_row_stride, last_mask, tile)`.
pub(crate) type TileFn =
    unsafe fn(usize, *const f32, isize, isize, *const f32, isize, __mmask16, Tile);

/// How a tile kernel reads its operands (see [`tile`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Access {
    /// `A` at any strides, the last vector of `B` under the mask.
    StridedMasked,
    /// `A` at any strides, all lanes of `B`.
    Strided,
    /// `A`'s rows adjacent (`ars == 1`), all lanes of `B`.
    Adjacent,
}

/// The kernel for `MV` vectors, `rows` rows (`1 ≤ rows ≤ nr(MV)`) and this access.
#[cfg(target_arch = "x86_64")]
pub(crate) fn select(mv: usize, rows: usize, access: Access) -> TileFn {
    macro_rules! table {
        ($mv:literal; $($nr:literal)*) => {{
            match access {
                Access::StridedMasked => {
                    const T: &[TileFn] = &[$(tile::<$mv, $nr, false, true>,)*];
                    T[rows - 1]
                }
                Access::Strided => {
                    const T: &[TileFn] = &[$(tile::<$mv, $nr, false, false>,)*];
                    T[rows - 1]
                }
                Access::Adjacent => {
                    const T: &[TileFn] = &[$(tile::<$mv, $nr, true, false>,)*];
                    T[rows - 1]
                }
            }
        }};
    }
    match mv {
        1 => table!(1; 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16),
        2 => table!(2; 1 2 3 4 5 6 7 8 9 10 11 12),
        3 => table!(3; 1 2 3 4 5 6 7 8),
        _ => table!(4; 1 2 3 4 5 6),
    }
}

/// Rows per register tile for `mv` vectors (24–16 accumulators of the 32 registers).
pub(crate) const fn nr(mv: usize) -> usize {
    match mv {
        1 => 16,
        2 => 12,
        3 => 8,
        _ => 6,
    }
}

/// Transposes a 16×16 block: `dst[j·ds + i] = src[i·ss + j]` for `i, j < 16`.
///
/// # Safety
/// AVX-512F; `src` readable for 16 rows of 16 values at stride `ss`, `dst` writable for 16
/// rows of 16 values at stride `ds`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn transpose16(src: *const f32, ss: usize, dst: *mut f32, ds: usize) {
    // SAFETY: every load and store addresses one of the 16 rows of 16 values of its block.
    unsafe {
        let mut r = [_mm512_setzero_ps(); 16];
        for (i, x) in r.iter_mut().enumerate() {
            *x = _mm512_loadu_ps(src.add(i * ss));
        }
        // Stage 1: interleave pairs of rows (32-bit elements).
        let mut t = [_mm512_setzero_ps(); 16];
        for i in 0..8 {
            t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
            t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
        }
        // Stage 2: interleave pairs of pairs (64-bit elements).
        for i in 0..4 {
            let (a, b, c, d) = (t[4 * i], t[4 * i + 1], t[4 * i + 2], t[4 * i + 3]);
            r[4 * i] =
                _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a), _mm512_castps_pd(c)));
            r[4 * i + 1] =
                _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a), _mm512_castps_pd(c)));
            r[4 * i + 2] =
                _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(b), _mm512_castps_pd(d)));
            r[4 * i + 3] =
                _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(b), _mm512_castps_pd(d)));
        }
        // Stage 3: 128-bit lanes between groups of four rows.
        for i in 0..4 {
            t[i] = _mm512_shuffle_f32x4::<0x88>(r[i], r[4 + i]);
            t[4 + i] = _mm512_shuffle_f32x4::<0xdd>(r[i], r[4 + i]);
            t[8 + i] = _mm512_shuffle_f32x4::<0x88>(r[8 + i], r[12 + i]);
            t[12 + i] = _mm512_shuffle_f32x4::<0xdd>(r[8 + i], r[12 + i]);
        }
        // Stage 4: 128-bit lanes between the two halves.
        for i in 0..4 {
            r[i] = _mm512_shuffle_f32x4::<0x88>(t[i], t[8 + i]);
            r[8 + i] = _mm512_shuffle_f32x4::<0xdd>(t[i], t[8 + i]);
            r[4 + i] = _mm512_shuffle_f32x4::<0x88>(t[4 + i], t[12 + i]);
            r[12 + i] = _mm512_shuffle_f32x4::<0xdd>(t[4 + i], t[12 + i]);
        }
        for (j, &x) in r.iter().enumerate() {
            _mm512_storeu_ps(dst.add(j * ds), x);
        }
    }
}

/// Copies `cols ≤ w` values from `src` to `dst` and zeroes `dst[cols..w]` (`w` a multiple of 16).
///
/// # Safety
/// AVX-512F; `src` readable for `cols` values, `dst` writable for `w`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
pub(crate) unsafe fn copy_row(src: *const f32, dst: *mut f32, cols: usize, w: usize) {
    // SAFETY: masked loads read only `j < cols`; stores write `j < w`.
    unsafe {
        let mut j = 0;
        while j < w {
            let left = cols.saturating_sub(j);
            let mask: __mmask16 = if left >= 16 {
                0xffff
            } else {
                (1u16 << left) - 1
            };
            _mm512_storeu_ps(dst.add(j), _mm512_maskz_loadu_ps(mask, src.add(j)));
            j += 16;
        }
    }
}

/// One row of `gemm`'s k ≤ 2 product with contiguous rows of B, 16 lanes at a time:
/// `x = a₁·b₁ + (a₀·b₀ (+ x))` with separate multiplies and adds (no fused multiply-add), as
/// `gemm` computes it.
///
/// # Safety
/// AVX-512F; `b0` (and `b1` when given) readable for `row.len()` values.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn gevv_row(
    row: &mut [f32],
    a0: f32,
    b0: *const f32,
    second: Option<(f32, *const f32)>,
    dest: super::Dest,
) {
    use super::Dest;
    // SAFETY: masked loads and stores touch only `j < row.len()`.
    unsafe {
        let n = row.len();
        let c = row.as_mut_ptr();
        let va0 = _mm512_set1_ps(a0);
        let mut j = 0;
        while j < n {
            let left = n - j;
            let mask: __mmask16 = if left >= 16 {
                0xffff
            } else {
                (1u16 << left) - 1
            };
            let mut v = _mm512_mul_ps(va0, _mm512_maskz_loadu_ps(mask, b0.add(j)));
            v = match dest {
                Dest::Assign => v,
                Dest::Add => _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, c.add(j))),
                Dest::AddToZero => _mm512_add_ps(v, _mm512_setzero_ps()),
            };
            if let Some((a1, b1)) = second {
                let p = _mm512_mul_ps(_mm512_set1_ps(a1), _mm512_maskz_loadu_ps(mask, b1.add(j)));
                v = _mm512_add_ps(p, v);
            }
            _mm512_mask_storeu_ps(c.add(j), mask, v);
            j += 16;
        }
    }
}
