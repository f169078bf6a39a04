//! Running on several processes: the ranks `mpirun -np N nnc …` or Slurm's `srun` starts.
//!
//! With the cargo feature `mpi`, `nnc run` and `nnc grad` train data-parallel (each rank a
//! contiguous shard of every batch, [`nnc_train::train_data_parallel`]) and `nnc search` hands
//! trials to the ranks ([`crate::search`]); see docs/scaling.md. Rank 0 alone prints and
//! writes; the other ranks' output goes nowhere, except the error of a rank that fails on its
//! own.
//!
//! [`start`] runs first, in every process:
//! * started by a launcher with more than one rank, a binary built **without** the feature
//!   refuses to run (N copies would each run the whole command, racing on one directory);
//! * with the feature, MPI is initialised, commands that cannot use several ranks are refused,
//!   and the ranks compare what they loaded ([`agree`]): the same model file, overrides, seed
//!   and data on every rank, or a clear error naming the ranks that differ.
//!
//! [`finish`] runs last: it finalises MPI, or ends the whole job (`MPI_Abort`) when this rank
//! failed on its own while the others may be waiting for it.

#[cfg(feature = "mpi")]
pub mod mpi;

use crate::exit::{Failure, USAGE};
use nnc_tape::collective::Collective;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// How the process was started, read from the launcher's environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Launch {
    /// This process's rank.
    pub rank: usize,
    /// The number of ranks.
    pub size: usize,
}

/// The rank and size a launcher gave this process, if one started it: OpenMPI's `mpirun`
/// (`OMPI_COMM_WORLD_*`), MPICH's and Intel MPI's (`PMI_*`), and Slurm's `srun` job steps
/// (`SLURM_PROCID`, `SLURM_STEP_NUM_TASKS`; not the batch script itself).
pub fn launch() -> Option<Launch> {
    let var = |name: &str| std::env::var(name).ok()?.trim().parse::<usize>().ok();
    let pairs = [
        ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
        ("PMI_RANK", "PMI_SIZE"),
        ("PMIX_RANK", "OMPI_COMM_WORLD_SIZE"),
    ];
    for (rank, size) in pairs {
        if let (Some(rank), Some(size)) = (var(rank), var(size)) {
            return Some(Launch { rank, size });
        }
    }
    // Inside an `srun` step (its id is a number; the batch script's step is `batch`).
    var("SLURM_STEP_ID")?;
    Some(Launch {
        rank: var("SLURM_PROCID")?,
        size: var("SLURM_STEP_NUM_TASKS")?,
    })
}

/// The default threads of a rank that shares its machine with other ranks of the job: the
/// cores divided among the ranks on this node (OpenMPI's `OMPI_COMM_WORLD_LOCAL_SIZE`,
/// MPICH's `MPI_LOCALNRANKS`, Slurm's `SLURM_STEP_TASKS_PER_NODE` when uniform); `None` with
/// one rank per node or no launcher (all cores, as in one process).
pub fn cores_per_rank() -> Option<usize> {
    launch().filter(|l| l.size > 1)?;
    let var = |name: &str| std::env::var(name).ok()?.trim().parse::<usize>().ok();
    let local = var("OMPI_COMM_WORLD_LOCAL_SIZE")
        .or_else(|| var("MPI_LOCALNRANKS"))
        .or_else(|| var("SLURM_STEP_TASKS_PER_NODE"))
        .filter(|&l| l > 1)?;
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    Some((cores / local).max(1))
}

/// Whether the job has several ranks (MPI initialised by [`start`]).
pub fn ranks() -> usize {
    #[cfg(feature = "mpi")]
    if let Some(w) = mpi::world() {
        return w.size();
    }
    1
}

/// This process's rank (0 in a single process).
pub fn rank() -> usize {
    #[cfg(feature = "mpi")]
    if let Some(w) = mpi::world() {
        return w.rank();
    }
    0
}

/// Seconds this rank has spent exchanging with the others (0 in a single process).
pub fn exchange_seconds() -> f64 {
    #[cfg(feature = "mpi")]
    return mpi::exchange_seconds();
    #[cfg(not(feature = "mpi"))]
    0.0
}

/// Whether this process prints and writes: rank 0, or a single process.
pub fn leads() -> bool {
    rank() == 0
}

/// The ranks as a [`Collective`], when there are several.
pub fn collective() -> Option<Arc<dyn Collective>> {
    #[cfg(feature = "mpi")]
    if let Some(w) = mpi::world()
        && w.size() > 1
    {
        return Some(Arc::new(WorldSum(w)));
    }
    None
}

/// The world as an owned [`Collective`].
#[cfg(feature = "mpi")]
struct WorldSum(&'static mpi::World);

#[cfg(feature = "mpi")]
impl Collective for WorldSum {
    fn rank(&self) -> usize {
        self.0.rank()
    }
    fn size(&self) -> usize {
        self.0.size()
    }
    fn sum(&self, values: &mut [f64]) {
        Collective::sum(self.0, values)
    }
    fn sum_f32(&self, values: &mut [f32]) {
        Collective::sum_f32(self.0, values)
    }
}

/// Set when every rank failed the same way at the same point (they all stop and finalise),
/// rather than this rank alone.
static AGREED: AtomicBool = AtomicBool::new(false);

/// Prepares the process for `command` (its name; `parallel`: whether it can use several
/// ranks). Without a launcher, or with one rank, nothing happens. A failure here is printed by
/// rank 0 only: every rank reaches the same one.
pub fn start(command: &str, parallel: bool) -> Result<(), Failure> {
    let Some(launch) = launch().filter(|l| l.size > 1) else {
        return Ok(());
    };
    AGREED.store(true, Ordering::Relaxed);
    let quiet_unless_leader = |f: Failure| {
        if launch.rank == 0 {
            f
        } else {
            Failure::silent(f.code)
        }
    };
    #[cfg(not(feature = "mpi"))]
    {
        let _ = (command, parallel);
        Err(quiet_unless_leader(
            Failure::new(
                USAGE,
                format!(
                    "this nnc was built without MPI, but it was started as one of {} ranks: \
                     each copy would run the whole command on its own, racing on one output \
                     directory",
                    launch.size
                ),
            )
            .hint(
                "build it with `cargo build --release --features mpi` (README, \"Scale out\"), \
                 or run it without mpirun/srun",
            ),
        ))
    }
    #[cfg(feature = "mpi")]
    {
        let world =
            mpi::init().map_err(|e| Failure::new(USAGE, format!("cannot start MPI: {e}")))?;
        if world.rank() != 0 {
            mpi::silence_followers();
        }
        if !parallel {
            return Err(quiet_unless_leader(
                Failure::new(
                    USAGE,
                    format!(
                        "`nnc {command}` runs on one process, but it was started as one of {} \
                         ranks",
                        world.size()
                    ),
                )
                .hint(
                    "run it without mpirun/srun; `nnc run`, `nnc grad` and `nnc search` use \
                     several ranks",
                ),
            ));
        }
        AGREED.store(false, Ordering::Relaxed);
        Ok(())
    }
}

/// What a rank loaded, compared across ranks by [`agree`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fingerprint {
    /// The model file's text, the `--set` overrides and the seed.
    pub model: u64,
    /// Every split's features and labels, after preprocessing.
    pub data: u64,
}

impl Fingerprint {
    /// The fingerprint of a loaded model file.
    pub fn of(file: &nnc_dsl::ModelFile, seed: Option<u64>) -> Fingerprint {
        Fingerprint::of_parts(file.text(), file.overrides(), Some(file.compiled()), seed)
    }

    /// The fingerprint of a model file's text, its `--set` overrides, what it lowered to (no
    /// data without it) and the seed (`nnc search`, which keeps the parts rather than a
    /// [`nnc_dsl::ModelFile`]).
    pub fn of_parts(
        text: &str,
        overrides: &[nnc_dsl::Override],
        compiled: Option<&nnc_dsl::lower::Compiled>,
        seed: Option<u64>,
    ) -> Fingerprint {
        let crc = crc::Crc::<u64>::new(&crc::CRC_64_ECMA_182);
        let mut model = crc.digest();
        model.update(text.as_bytes());
        model.update(format!("{overrides:?}{seed:?}").as_bytes());
        let mut data = crc.digest();
        let splits = compiled.map(|c| &c.data.splits);
        for split in splits.iter().flat_map(|s| [&s.train, &s.val, &s.test]) {
            for v in split.inputs().data() {
                data.update(&v.to_le_bytes());
            }
            for &l in split.labels() {
                data.update(&(l as u64).to_le_bytes());
            }
        }
        Fingerprint {
            model: model.finalize(),
            data: data.finalize(),
        }
    }
}

/// Compares what every rank loaded: `loaded` is this rank's fingerprint, or its failure. All
/// ranks return the same verdict: `Ok` when every rank loaded the same model and data; else a
/// failure that rank 0 prints (its own error, which ranks failed, or which ranks differ).
pub fn agree(loaded: Result<Fingerprint, &Failure>) -> Result<(), Failure> {
    #[cfg(feature = "mpi")]
    if let Some(world) = mpi::world()
        && world.size() > 1
    {
        return mpi::agree(world, loaded).inspect_err(|_| AGREED.store(true, Ordering::Relaxed));
    }
    loaded.map(|_| ()).map_err(Failure::clone)
}

/// Runs `f` on rank 0 alone (creating a directory, say) and tells every rank how it went:
/// `Some(value)` on rank 0, `None` on the others; when `f` fails, every rank fails with its
/// exit code, rank 0 alone printing why. In a single process, simply `f`.
pub fn on_leader<T>(f: impl FnOnce() -> Result<T, Failure>) -> Result<Option<T>, Failure> {
    #[cfg(feature = "mpi")]
    if let Some(world) = mpi::world()
        && world.size() > 1
    {
        let result = (world.rank() == 0).then(f).transpose();
        let code = result.as_ref().err().map_or(0, |f| f.code);
        let leader_code = i32::from_le_bytes(
            world.all_gather(&code.to_le_bytes())[0]
                .as_slice()
                .try_into()
                .unwrap_or_default(),
        );
        if leader_code != 0 {
            return Err(agreed(result.err().unwrap_or(Failure::silent(leader_code))));
        }
        return result;
    }
    f().map(Some)
}

/// A failure every rank reaches at the same point (a check of what they all loaded): rank 0
/// prints it, the others stay silent, and all end normally.
pub fn agreed(f: Failure) -> Failure {
    settled();
    if leads() { f } else { Failure::silent(f.code) }
}

/// Ends the process's part in the job with `result`, returning the exit code: MPI is
/// finalised; a rank that failed on its own (not a failure every rank agreed on) ends the
/// whole job, after printing its error with its rank when it is not rank 0.
pub fn finish(result: &Result<i32, Failure>) -> i32 {
    let code = match result {
        Ok(code) => *code,
        Err(f) => f.code,
    };
    #[cfg(feature = "mpi")]
    if let Some(world) = mpi::world() {
        if let Err(f) = result
            && world.size() > 1
            && !AGREED.load(Ordering::Relaxed)
        {
            if world.rank() != 0 {
                mpi::tell(&format!("rank {}: error: {}", world.rank(), f.message));
            }
            world.abort(code.max(1));
        }
        mpi::finish();
    }
    code
}

/// Records that every rank knows how the job ends from here on (e.g. rank 0 told the others
/// to stop and they did): a later failure of this rank is its own to report, and ends the
/// job normally instead of aborting it.
pub fn settled() {
    AGREED.store(true, Ordering::Relaxed);
}
