//! The protocol buffer messages of a TensorBoard event file, as `prost` structs carrying the
//! official field numbers of TensorFlow's `tensorflow/core/util/event.proto` (`Event`),
//! `tensorflow/core/framework/summary.proto` (`Summary`, `Summary.Value`, `SummaryMetadata`,
//! `SummaryMetadata.PluginData`), `tensor.proto` (`TensorProto`) and `tensor_shape.proto`
//! (`TensorShapeProto`). Only the fields nnc writes are declared; a decoder skips the others.

/// `Event`: one record of an event file.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Event {
    /// Seconds since the Unix epoch when the event was written.
    #[prost(double, tag = "1")]
    pub wall_time: f64,
    /// The training step the event belongs to.
    #[prost(int64, tag = "2")]
    pub step: i64,
    /// What the event holds.
    #[prost(oneof = "What", tags = "3, 5")]
    pub what: Option<What>,
}

/// `Event.what`: the payload of an event (the variants nnc writes).
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum What {
    /// The file's version, `brain.Event:2`, in the first event of every file.
    #[prost(string, tag = "3")]
    FileVersion(String),
    /// Summaries (scalars, text) at the event's step.
    #[prost(message, tag = "5")]
    Summary(Summary),
}

/// `Summary`: a list of tagged values.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Summary {
    /// The values.
    #[prost(message, repeated, tag = "1")]
    pub value: Vec<Value>,
}

/// `Summary.Value`: one tagged value.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Value {
    /// The tag TensorBoard groups and plots by (`loss/train`).
    #[prost(string, tag = "1")]
    pub tag: String,
    /// Which plugin reads the value (set for text summaries).
    #[prost(message, optional, tag = "9")]
    pub metadata: Option<SummaryMetadata>,
    /// The value itself.
    #[prost(oneof = "Data", tags = "2, 8")]
    pub value: Option<Data>,
}

/// `Summary.Value.value`: a scalar or a tensor (the variants nnc writes).
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Data {
    /// A scalar, read by TensorBoard's scalars dashboard.
    #[prost(float, tag = "2")]
    SimpleValue(f32),
    /// A tensor, read by the plugin its metadata names.
    #[prost(message, tag = "8")]
    Tensor(TensorProto),
}

/// `SummaryMetadata`: how a value is to be read.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SummaryMetadata {
    /// The plugin and its data.
    #[prost(message, optional, tag = "1")]
    pub plugin_data: Option<PluginData>,
    /// `DataClass`: 1 scalar, 2 tensor, 3 blob sequence.
    #[prost(int32, tag = "4")]
    pub data_class: i32,
}

/// `SummaryMetadata.PluginData`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PluginData {
    /// The plugin's name (`text`).
    #[prost(string, tag = "1")]
    pub plugin_name: String,
    /// The plugin's own data (empty for text).
    #[prost(bytes = "vec", tag = "2")]
    pub content: Vec<u8>,
}

/// `TensorProto` (the fields of a string tensor).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorProto {
    /// `DataType`: [`DT_STRING`] for text.
    #[prost(int32, tag = "1")]
    pub dtype: i32,
    /// The shape (no dimensions: a scalar).
    #[prost(message, optional, tag = "2")]
    pub tensor_shape: Option<TensorShapeProto>,
    /// The strings of a string tensor, in row-major order.
    #[prost(bytes = "vec", repeated, tag = "8")]
    pub string_val: Vec<Vec<u8>>,
}

/// `TensorShapeProto`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorShapeProto {
    /// The dimensions, outermost first.
    #[prost(message, repeated, tag = "2")]
    pub dim: Vec<Dim>,
}

/// `TensorShapeProto.Dim`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Dim {
    /// The dimension's size.
    #[prost(int64, tag = "1")]
    pub size: i64,
}

/// `DataType.DT_STRING`.
pub const DT_STRING: i32 = 7;
/// `SummaryMetadata.DataClass.DATA_CLASS_TENSOR`.
pub const DATA_CLASS_TENSOR: i32 = 2;
/// The first event of every file names the format version.
pub const FILE_VERSION: &str = "brain.Event:2";
