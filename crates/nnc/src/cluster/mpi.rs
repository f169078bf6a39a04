//! The MPI job (cargo feature `mpi`): the ranks `mpirun` or `srun` started, joined through the
//! system MPI library ([rsmpi](https://docs.rs/mpi)).
//!
//! MPI is initialised once, with `MPI_THREAD_MULTIPLE` (training runs on a worker of the
//! thread pool, not the main thread), and finalised by [`finish`]. The world communicator is a
//! process-wide handle: [`World`] is shared by reference and every call on it is thread-safe
//! at that threading level.

use mpi::point_to_point::{Destination, MatchedReceiveVec, Source};
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::traits::*;
use nnc_tape::collective::Collective;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// The world communicator of the job.
pub struct World {
    comm: SimpleCommunicator,
}

// SAFETY: MPI is initialised with `MPI_THREAD_MULTIPLE` (checked in `init`), which makes every
// MPI call on the world communicator safe from any thread; the handle itself is never
// changed or freed (the static lives until the process ends).
unsafe impl Send for World {}
// SAFETY: as above.
unsafe impl Sync for World {}

static UNIVERSE: Mutex<Option<mpi::environment::Universe>> = Mutex::new(None);
static WORLD: OnceLock<World> = OnceLock::new();

/// Initialises MPI (once); the world, or why it cannot be used.
pub fn init() -> Result<&'static World, String> {
    if let Some(w) = WORLD.get() {
        return Ok(w);
    }
    let (universe, threading) = mpi::initialize_with_threading(mpi::Threading::Multiple)
        .ok_or_else(|| "MPI was already initialised".to_string())?;
    if threading != mpi::Threading::Multiple {
        return Err(format!(
            "the MPI library gives threading level {threading:?}; nnc needs MPI_THREAD_MULTIPLE \
             (OpenMPI and MPICH builds of Debian and Ubuntu provide it)"
        ));
    }
    let comm = universe.world();
    *UNIVERSE.lock().unwrap_or_else(|p| p.into_inner()) = Some(universe);
    Ok(WORLD.get_or_init(|| World { comm }))
}

/// The world, if MPI was initialised.
pub fn world() -> Option<&'static World> {
    WORLD.get()
}

/// Finalises MPI (every rank must reach it; see [`World::abort`] for a rank that cannot).
pub fn finish() {
    drop(UNIVERSE.lock().unwrap_or_else(|p| p.into_inner()).take());
}

impl World {
    /// This process's rank.
    pub fn rank(&self) -> usize {
        self.comm.rank() as usize
    }

    /// The number of ranks.
    pub fn size(&self) -> usize {
        self.comm.size() as usize
    }

    /// Every rank's `record` (all of the same length), in rank order, on every rank.
    pub fn all_gather(&self, record: &[u8]) -> Vec<Vec<u8>> {
        let mut all = vec![0u8; record.len() * self.size()];
        self.comm.all_gather_into(record, &mut all[..]);
        all.chunks(record.len().max(1))
            .map(<[u8]>::to_vec)
            .take(self.size())
            .collect()
    }

    /// Sends `bytes` to rank `to` with message kind `tag`.
    pub fn send(&self, to: usize, tag: i32, bytes: &[u8]) {
        self.comm
            .process_at_rank(to as i32)
            .send_with_tag(bytes, tag);
    }

    /// The next message from any rank: `(from, tag, bytes)`; waits for one.
    pub fn receive(&self) -> (usize, i32, Vec<u8>) {
        let (bytes, status) = self.comm.any_process().receive_vec::<u8>();
        (status.source_rank() as usize, status.tag(), bytes)
    }

    /// The next message from any rank if one has arrived, without waiting.
    pub fn try_receive(&self) -> Option<(usize, i32, Vec<u8>)> {
        let probed = self.comm.any_process().immediate_matched_probe()?;
        let (bytes, status) = probed.matched_receive_vec::<u8>();
        Some((status.source_rank() as usize, status.tag(), bytes))
    }

    /// Ends every rank of the job at once with `code` (`MPI_Abort`): for a rank that failed
    /// while the others may be waiting for it.
    pub fn abort(&self, code: i32) -> ! {
        self.comm.abort(code)
    }
}

impl Collective for World {
    fn rank(&self) -> usize {
        World::rank(self)
    }

    fn size(&self) -> usize {
        World::size(self)
    }

    /// Small sums: every rank's values gathered and added in rank order; large ones: a ring
    /// allreduce in a fixed order ([`RING_FROM`]). The ring cuts the values into `N` chunks; in `N − 1`
    /// steps each chunk travels once round the ring, every rank adding its own part
    /// (reduce-scatter: chunk `c` is summed as `((v_c + v_c+1) + v_c+2) + …`, ranks taken
    /// cyclically from `c`), then in `N − 1` more steps the finished chunks travel round again
    /// and are copied (allgather). Each rank sends and receives `2 (N − 1)/N` of the values,
    /// whatever `N`; every rank ends with the same bits, and a given `N` gives the same bits
    /// on every run (the MPI library's own `MPI_Allreduce` promises neither).
    fn sum(&self, values: &mut [f64]) {
        self.timed_sum(values);
    }

    /// [`Collective::sum`] in f32 (training's gradients): half the bytes on the wire.
    fn sum_f32(&self, values: &mut [f32]) {
        self.timed_sum(values);
    }
}

/// Nanoseconds this rank spent in [`Collective::sum`] so far.
static EXCHANGE_NANOS: AtomicU64 = AtomicU64::new(0);

/// Seconds this rank has spent summing across the ranks (its share of a data-parallel step
/// that is communication, waiting for the slowest rank included).
pub fn exchange_seconds() -> f64 {
    EXCHANGE_NANOS.load(Ordering::Relaxed) as f64 * 1e-9
}

/// From this many values on, [`Collective::sum`] is a ring allreduce (bandwidth-bound: each
/// rank moves `2 (N − 1)/N` of the values in `2 (N − 1)` messages); below, every rank
/// gathers every rank's values in one `MPI_Allgather` (latency-bound: about `log₂ N`
/// message times) and adds them in rank order. Batch norm's sums and the step's losses are
/// small; gradients are large.
const RING_FROM: usize = 16 * 1024;

/// The element types sums cross the ranks in.
trait Summed: Equivalence + Copy + Default + std::ops::Add<Output = Self> {}
impl Summed for f64 {}
impl Summed for f32 {}

impl World {
    /// A sum across the ranks ([`RING_FROM`]), its time added to [`exchange_seconds`].
    fn timed_sum<T: Summed>(&self, values: &mut [T]) {
        let n = self.size();
        if n < 2 || values.is_empty() {
            return;
        }
        let started = std::time::Instant::now();
        if values.len() < RING_FROM {
            self.gathered_sum(values, n);
        } else {
            self.ring(values, n);
        }
        EXCHANGE_NANOS.fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
    }

    /// Every rank's `values` gathered to every rank, added in rank order.
    fn gathered_sum<T: Summed>(&self, values: &mut [T], n: usize) {
        let len = values.len();
        let mut all = vec![T::default(); len * n];
        self.comm.all_gather_into(&values[..], &mut all[..]);
        for (i, v) in values.iter_mut().enumerate() {
            *v = (1..n).fold(all[i], |acc, r| acc + all[r * len + i]);
        }
    }

    /// The ring allreduce of [`Collective::sum`] over `n ≥ 2` ranks.
    fn ring<T: Summed>(&self, values: &mut [T], n: usize) {
        let r = self.rank();
        let len = values.len();
        let chunk = move |c: usize| nnc_tape::collective::shard(len, c % n, n);
        let next = self.comm.process_at_rank(((r + 1) % n) as i32);
        let previous = self.comm.process_at_rank(((r + n - 1) % n) as i32);
        let mut incoming = vec![T::default(); values.len().div_ceil(n)];
        // Reduce-scatter: add the chunk that arrives to this rank's part.
        for step in 0..n - 1 {
            let (send, receive) = (chunk(r + n - step), chunk(r + 2 * n - step - 1));
            let into = &mut incoming[..receive.len()];
            pass(&values[send], &next, into, &previous);
            for (v, &got) in values[receive].iter_mut().zip(into.iter()) {
                *v = got + *v;
            }
        }
        // Allgather: copy the finished chunk that arrives.
        for step in 0..n - 1 {
            let (send, receive) = (chunk(r + 1 + n - step), chunk(r + n - step));
            let into = &mut incoming[..receive.len()];
            pass(&values[send], &next, into, &previous);
            values[receive].copy_from_slice(into);
        }
    }
}

/// One step of the ring: `send` to `next` while `into` fills from `previous`.
fn pass<T: Summed>(send: &[T], next: &impl Destination, into: &mut [T], previous: &impl Source) {
    mpi::point_to_point::send_receive_into_with_tags(
        send, next, RING_TAG, into, previous, RING_TAG,
    );
}

/// The message tag of the ring allreduce's exchanges.
const RING_TAG: i32 = 7;

/// Where a follower's own errors go: its standard error as the launcher gave it, kept by
/// [`silence_followers`].
static TELL: OnceLock<Mutex<std::fs::File>> = OnceLock::new();

/// Sends this rank's standard output and error to `/dev/null` (rank 0 alone prints), keeping
/// the original standard error for [`tell`].
pub fn silence_followers() {
    use std::os::fd::{AsRawFd, FromRawFd};
    // SAFETY: plain descriptor calls on descriptors this process owns: 2 is duplicated (the
    // copy is owned by the `File`), then 1 and 2 are pointed at /dev/null.
    unsafe {
        let copy = libc::dup(2);
        if copy >= 0 {
            let _ = TELL.set(Mutex::new(std::fs::File::from_raw_fd(copy)));
        }
        if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
            libc::dup2(null.as_raw_fd(), 1);
            libc::dup2(null.as_raw_fd(), 2);
        }
    }
}

/// Prints `line` on this rank's original standard error (a follower's own error).
pub fn tell(line: &str) {
    use std::io::Write;
    match TELL.get() {
        Some(f) => {
            let mut f = f.lock().unwrap_or_else(|p| p.into_inner());
            let _ = writeln!(f, "{line}");
        }
        None => eprintln!("{line}"),
    }
}

/// The bytes of a rank's record in [`agree`]: status, model and data fingerprints, message.
const RECORD: usize = 1 + 8 + 8 + 4 + MESSAGE;
/// The longest error message a rank sends to rank 0 (longer ones are cut).
const MESSAGE: usize = 400;

/// [`super::agree`] over MPI: every rank's record gathered to every rank, one verdict.
pub fn agree(
    world: &World,
    loaded: Result<super::Fingerprint, &crate::exit::Failure>,
) -> Result<(), crate::exit::Failure> {
    use crate::exit::{BAD_MODEL, Failure};
    let mut record = vec![0u8; RECORD];
    match &loaded {
        Ok(f) => {
            record[1..9].copy_from_slice(&f.model.to_le_bytes());
            record[9..17].copy_from_slice(&f.data.to_le_bytes());
        }
        Err(f) => {
            record[0] = 1;
            record[17..21].copy_from_slice(&f.code.to_le_bytes());
            let text = cut(&f.message, MESSAGE);
            record[21..21 + text.len()].copy_from_slice(text.as_bytes());
        }
    }
    let all = world.all_gather(&record);
    let failed: Vec<usize> = (0..all.len()).filter(|&r| all[r][0] == 1).collect();
    let leader = world.rank() == 0;
    let silent = |code| Failure::silent(code);
    if let Err(f) = loaded
        && failed.len() == all.len()
    {
        // Every rank failed: rank 0's own error says why.
        return Err(if leader { f.clone() } else { silent(f.code) });
    }
    if !failed.is_empty() {
        if !leader {
            return Err(silent(BAD_MODEL));
        }
        let lines: Vec<String> = failed
            .iter()
            .map(|&r| {
                let end = all[r][21..].iter().position(|&b| b == 0).unwrap_or(MESSAGE);
                let text = String::from_utf8_lossy(&all[r][21..21 + end]).into_owned();
                match text.is_empty() {
                    true => format!(
                        "rank {r}: its model file has errors (run `nnc check` where it runs)"
                    ),
                    false => format!("rank {r}: {text}"),
                }
            })
            .collect();
        return Err(Failure::new(
            BAD_MODEL,
            format!(
                "{} of {} ranks could not load the model and data:\n  {}",
                failed.len(),
                all.len(),
                lines.join("\n  ")
            ),
        )
        .hint("every rank must reach the same files: a shared directory, or the same copies on every node"));
    }
    let field =
        |r: usize, at: usize| u64::from_le_bytes(all[r][at..at + 8].try_into().unwrap_or_default());
    let differ = |at: usize| -> Vec<usize> {
        (1..all.len())
            .filter(|&r| field(r, at) != field(0, at))
            .collect()
    };
    let (model, data) = (differ(1), differ(9));
    if model.is_empty() && data.is_empty() {
        return Ok(());
    }
    if !leader {
        return Err(silent(BAD_MODEL));
    }
    let list = |v: &[usize]| {
        v.iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut what = Vec::new();
    if !model.is_empty() {
        what.push(format!(
            "the model file, its --set overrides or the seed differ on ranks {} (from rank 0's)",
            list(&model)
        ));
    }
    if !data.is_empty() {
        what.push(format!(
            "the data differs on ranks {} (from rank 0's)",
            list(&data)
        ));
    }
    Err(Failure::new(
        BAD_MODEL,
        format!("the ranks did not load the same experiment: {}", what.join("; ")),
    )
    .hint("start every rank with the same command line, on the same files (a shared directory, or identical copies)"))
}

/// `text` cut to at most `max` bytes at a character boundary.
fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
