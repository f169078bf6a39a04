//! An event file being written: the file named as TensorBoard names them, its first event the
//! file version, then one event per call, each framed as a TFRecord ([`super::record`]).

use super::proto::{
    DATA_CLASS_TENSOR, DT_STRING, Data, Event, FILE_VERSION, PluginData, Summary, SummaryMetadata,
    TensorProto, TensorShapeProto, Value, What,
};
use super::record::frame;
use prost::Message;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Writes one event file. Errors are kept, not returned: the first one is in
/// [`EventWriter::write_error`], and nothing more is written after it.
pub struct EventWriter {
    file: Option<BufWriter<File>>,
    path: PathBuf,
    /// The first error writing the file, if any.
    pub write_error: Option<String>,
}

/// Seconds since the Unix epoch, now.
fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The machine's name for the file name (TensorBoard's naming), letters, digits, `-`, `_`
/// and `.` only; `localhost` when it cannot be read.
fn host_name() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_default();
    let name: String = name
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    if name.is_empty() {
        "localhost".to_string()
    } else {
        name
    }
}

/// The name TensorBoard gives event files: `events.out.tfevents.<unix seconds>.<host>.nnc`.
pub fn file_name() -> String {
    format!(
        "events.out.tfevents.{:010}.{}.nnc",
        now() as u64,
        host_name()
    )
}

impl EventWriter {
    /// Creates an event file in `dir` (named by [`file_name`]) and writes its first event,
    /// the file version.
    pub fn create(dir: &Path) -> std::io::Result<Self> {
        let path = dir.join(file_name());
        let file = BufWriter::new(File::create(&path)?);
        let mut writer = EventWriter {
            file: Some(file),
            path,
            write_error: None,
        };
        writer.write(0, What::FileVersion(FILE_VERSION.to_string()));
        writer.flush();
        match writer.write_error.take() {
            Some(e) => Err(std::io::Error::other(e)),
            None => Ok(writer),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the scalars `(tag, value)` at `step`, as one event (rounded to `f32`, the
    /// precision of TensorBoard's scalars).
    pub fn scalars(&mut self, step: u64, values: &[(String, f64)]) {
        if values.is_empty() {
            return;
        }
        let value = values
            .iter()
            .map(|(tag, v)| Value {
                tag: tag.clone(),
                metadata: None,
                value: Some(Data::SimpleValue(*v as f32)),
            })
            .collect();
        self.write(step, What::Summary(Summary { value }));
    }

    /// Writes `text` (Markdown) under `tag` at `step`, as a summary of TensorBoard's text
    /// plugin: a scalar string tensor whose metadata names the plugin `text`.
    pub fn text(&mut self, step: u64, tag: &str, text: &str) {
        let value = Value {
            tag: tag.to_string(),
            metadata: Some(SummaryMetadata {
                plugin_data: Some(PluginData {
                    plugin_name: "text".to_string(),
                    content: Vec::new(),
                }),
                data_class: DATA_CLASS_TENSOR,
            }),
            value: Some(Data::Tensor(TensorProto {
                dtype: DT_STRING,
                tensor_shape: Some(TensorShapeProto { dim: Vec::new() }),
                string_val: vec![text.as_bytes().to_vec()],
            })),
        };
        self.write(step, What::Summary(Summary { value: vec![value] }));
    }

    /// Flushes what was written to the file, so that TensorBoard (and a reader after a kill)
    /// sees every event so far.
    pub fn flush(&mut self) {
        if let Some(f) = self.file.as_mut()
            && let Err(e) = f.flush()
        {
            self.fail(e);
        }
    }

    fn write(&mut self, step: u64, what: What) {
        let Some(f) = self.file.as_mut() else { return };
        let event = Event {
            wall_time: now(),
            step: i64::try_from(step).unwrap_or(i64::MAX),
            what: Some(what),
        };
        if let Err(e) = f.write_all(&frame(&event.encode_to_vec())) {
            self.fail(e);
        }
    }

    /// Keeps the first error and stops writing.
    fn fail(&mut self, e: std::io::Error) {
        if self.write_error.is_none() {
            self.write_error = Some(e.to_string());
        }
        self.file = None;
    }
}
