//! A run's TensorBoard event file, decoded here independently of the writer: every record's
//! length and data checksums (masked CRC-32C) hold, the first event names the format, the
//! scalars are those of `metrics.jsonl` and `summary.json` at the same steps (to `f32`), the
//! findings are there as text summaries, and a corrupted byte is caught.

mod common;

use common::{json, nnc, scratch};
use nnc::run::tensorboard::proto::{Data, Event, What};
use prost::Message;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `((c >> 15) | (c << 17)) + 0xa282ead8` of the CRC-32C `c` of `bytes`.
fn masked(bytes: &[u8]) -> u32 {
    let c = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI).checksum(bytes);
    c.rotate_right(15).wrapping_add(0xa282_ead8)
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// The records of a TFRecord file, or which record is damaged.
fn records(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let len = bytes.get(at..at + 8).ok_or(format!("truncated at {at}"))?;
        if u32_at(bytes, at + 8) != Some(masked(len)) {
            return Err(format!("length checksum of the record at {at}"));
        }
        let n = u64::from_le_bytes(len.try_into().unwrap()) as usize;
        let data = bytes
            .get(at + 12..at + 12 + n)
            .ok_or(format!("truncated at {at}"))?;
        if u32_at(bytes, at + 12 + n) != Some(masked(data)) {
            return Err(format!("data checksum of the record at {at}"));
        }
        out.push(data.to_vec());
        at += 16 + n;
    }
    Ok(out)
}

/// The scalars (tag -> (step, value)) and texts (tag -> texts) of the event file.
#[derive(Default)]
struct Decoded {
    version: String,
    scalars: BTreeMap<String, Vec<(i64, f32)>>,
    texts: BTreeMap<String, Vec<String>>,
}

fn decode(bytes: &[u8]) -> Decoded {
    let mut d = Decoded::default();
    for (i, record) in records(bytes).unwrap().iter().enumerate() {
        let event = Event::decode(record.as_slice()).unwrap();
        match event.what {
            Some(What::FileVersion(v)) => {
                assert_eq!(i, 0, "the file version is the first event");
                d.version = v;
            }
            Some(What::Summary(s)) => {
                for v in s.value {
                    match v.value {
                        Some(Data::SimpleValue(x)) => {
                            d.scalars.entry(v.tag).or_default().push((event.step, x))
                        }
                        Some(Data::Tensor(t)) => {
                            let plugin = v.metadata.unwrap().plugin_data.unwrap().plugin_name;
                            assert_eq!(plugin, "text");
                            assert_eq!(t.dtype, 7, "DT_STRING");
                            let text = String::from_utf8(t.string_val[0].clone()).unwrap();
                            d.texts.entry(v.tag).or_default().push(text);
                        }
                        None => panic!("a value without data"),
                    }
                }
            }
            None => panic!("an empty event"),
        }
    }
    d
}

/// The one event file of a run directory.
fn event_file(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("events.out.tfevents.") && name.ends_with(".nnc")
        })
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

/// `(step, value as f32)` of `key` (a JSON pointer) in the records of `kind`.
fn expected(lines: &[serde_json::Value], kind: &str, key: &str) -> Vec<(i64, f32)> {
    lines
        .iter()
        .filter(|r| r["kind"] == kind)
        .filter_map(|r| {
            let v = r.pointer(key)?.as_f64()?;
            Some((r["step"].as_i64().unwrap(), v as f32))
        })
        .collect()
}

#[test]
fn the_event_file_holds_the_runs_scalars_and_findings_with_valid_checksums() {
    let dir = scratch("tensorboard");
    let out = dir.join("run");
    let out_arg = out.to_str().unwrap();
    nnc(&[
        "run",
        "models/wine.nn",
        "--set",
        "n_epochs=30",
        "--quiet",
        "--out",
        out_arg,
    ])
    .expect(0);
    let path = event_file(&out);
    let bytes = std::fs::read(&path).unwrap();
    let d = decode(&bytes);
    assert_eq!(d.version, "brain.Event:2");

    let lines: Vec<serde_json::Value> = std::fs::read_to_string(out.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let pairs = [
        ("loss/train_batch", "step", "/loss"),
        ("loss/penalty", "step", "/penalty"),
        ("lr", "step", "/lr"),
        ("loss/train", "epoch", "/train/loss"),
        ("accuracy/train", "epoch", "/train/accuracy"),
        ("loss/val", "epoch", "/val/loss"),
        ("accuracy/val", "epoch", "/val/accuracy"),
        (
            "activations/relu1/dead",
            "epoch",
            "/activations/0/dead_fraction",
        ),
        ("activations/relu1/std", "epoch", "/activations/0/std"),
        (
            "update_ratio/dense1.weight",
            "update_ratios",
            "/ratios/dense1.weight",
        ),
        (
            "update_ratio/dense2.weight",
            "update_ratios",
            "/ratios/dense2.weight",
        ),
    ];
    for (tag, kind, key) in pairs {
        let want = expected(&lines, kind, key);
        assert!(!want.is_empty(), "metrics.jsonl has no {key}");
        assert_eq!(d.scalars.get(tag), Some(&want), "{tag}");
    }
    assert_eq!(
        d.scalars["loss/train_batch"].len(),
        240,
        "30 epochs of 8 steps"
    );
    // The babysitter samples update ratios from step 100 to 199 of 240.
    assert_eq!(d.scalars["update_ratio/median"].len(), 100);

    let summary = json(&out.join("summary.json"));
    let steps = summary["steps"].as_i64().unwrap();
    for (tag, key) in [
        ("loss/test", "/test/loss"),
        ("accuracy/test", "/test/accuracy"),
    ] {
        let want = summary.pointer(key).unwrap().as_f64().unwrap() as f32;
        assert_eq!(d.scalars[tag], vec![(steps, want)], "{tag}");
    }
    assert_eq!(
        summary["files"]["tensorboard"],
        path.file_name().unwrap().to_str().unwrap()
    );

    let findings = summary["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        let tag = format!("findings/{}", f["check"].as_str().unwrap());
        let message = f["message"].as_str().unwrap();
        assert!(
            d.texts
                .get(&tag)
                .is_some_and(|t| t.iter().any(|t| t.contains(message))),
            "no text `{message}` under {tag}: {:?}",
            d.texts
        );
    }

    // A flipped byte in the middle of the file fails a checksum, here and in the library.
    let mut bad = bytes.clone();
    bad[bytes.len() / 2] ^= 0x10;
    assert!(records(&bad).unwrap_err().contains("checksum"));
    assert!(nnc::run::tensorboard::record::read_records(&bad).is_err());
    assert!(nnc::run::tensorboard::record::read_records(&bytes).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Each trial of a k-fold search writes an event file per fold in `trials/<n>/fold-<k>/`,
/// among whose validation accuracies is the fold's metric in `trials.jsonl`; the refit, run
/// as `nnc run` runs, has its own.
#[test]
fn a_search_writes_an_event_file_per_trial_and_fold() {
    let dir = scratch("tensorboard-search");
    let out = dir.join("s");
    let model = "crates/nnc/tests/search_files/kfold.nn";
    nnc(&["search", model, "--quiet", "--out", out.to_str().unwrap()]).expect(0);
    let trials: Vec<serde_json::Value> = std::fs::read_to_string(out.join("trials.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(trials.len(), 3);
    for t in &trials {
        let folds = t["fold_metrics"].as_array().unwrap();
        assert_eq!(folds.len(), 4, "{t}");
        for (k, metric) in folds.iter().enumerate() {
            let fold = out.join(format!("trials/{}/fold-{}", t["trial"], k + 1));
            let d = decode(&std::fs::read(event_file(&fold)).unwrap());
            assert_eq!(d.version, "brain.Event:2");
            // The fold's metric is one of its evaluations (the last, or the best one kept).
            let want = metric.as_f64().unwrap() as f32;
            let val = &d.scalars["accuracy/val"];
            assert!(
                val.iter().any(|(_, v)| *v == want),
                "{}: {want} not in {val:?}",
                fold.display()
            );
            assert_eq!(
                d.scalars["loss/train"].len(),
                100,
                "an evaluation per epoch"
            );
        }
    }
    let refit = decode(&std::fs::read(event_file(&out.join("refit"))).unwrap());
    assert!(refit.scalars.contains_key("loss/test"));
    std::fs::remove_dir_all(&dir).unwrap();
}
