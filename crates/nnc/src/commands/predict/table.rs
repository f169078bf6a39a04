//! The predictions table `nnc predict` writes: one CSV row per input row.
//!
//! Columns: `label` (when the input has the label column), `predicted` (the class name),
//! `predicted_index`, then one column per class: `prob_<class>` (softmax probabilities) for
//! a model trained with `loss softmax`, `score_<class>` (the raw class scores) otherwise.

use std::io::Write;

/// Writes predictions as CSV to any writer.
pub struct PredictionTable<W: Write> {
    writer: W,
    classes: Vec<String>,
    line: String,
}

/// Quotes a CSV field when it holds a separator, a quote or a line break.
fn field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

impl<W: Write> PredictionTable<W> {
    /// A table of `classes`; writes the header row at once. `probabilities` names the class
    /// columns `prob_…` (else `score_…`); `labelled` adds the `label` column.
    pub fn new(
        mut writer: W,
        classes: &[String],
        probabilities: bool,
        labelled: bool,
    ) -> std::io::Result<Self> {
        let prefix = if probabilities { "prob_" } else { "score_" };
        let mut header: Vec<String> = Vec::with_capacity(classes.len() + 3);
        if labelled {
            header.push("label".into());
        }
        header.push("predicted".into());
        header.push("predicted_index".into());
        header.extend(
            classes
                .iter()
                .map(|c| field(&format!("{prefix}{c}")).into_owned()),
        );
        writeln!(writer, "{}", header.join(","))?;
        Ok(PredictionTable {
            writer,
            classes: classes.to_vec(),
            line: String::new(),
        })
    }

    /// Writes one row per row of `values` (`rows × classes`, row-major); `predicted` holds
    /// each row's class, `labels` each row's true class (empty without labels). Values are
    /// written in the shortest form that reads back to the same f32.
    pub fn write_rows(
        &mut self,
        values: &[f32],
        predicted: &[usize],
        labels: &[usize],
    ) -> std::io::Result<()> {
        use std::fmt::Write as _;
        let k = self.classes.len();
        for (i, (row, &p)) in values.chunks_exact(k).zip(predicted).enumerate() {
            self.line.clear();
            if let Some(&l) = labels.get(i) {
                self.line.push_str(&field(&self.classes[l]));
                self.line.push(',');
            }
            let _ = write!(self.line, "{},{p}", field(&self.classes[p]));
            for v in row {
                let _ = write!(self.line, ",{v}");
            }
            self.line.push('\n');
            self.writer.write_all(self.line.as_bytes())?;
        }
        Ok(())
    }

    /// Flushes the writer.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_carry_the_label_the_class_and_every_probability() {
        let classes = vec!["a".to_string(), "b,c".to_string()];
        let mut t = PredictionTable::new(Vec::new(), &classes, true, true).unwrap();
        t.write_rows(&[0.25, 0.75, 0.9, 0.1], &[1, 0], &[1, 1])
            .unwrap();
        let text = String::from_utf8(t.writer.clone()).unwrap();
        assert_eq!(
            text,
            "label,predicted,predicted_index,prob_a,\"prob_b,c\"\n\
             \"b,c\",\"b,c\",1,0.25,0.75\n\"b,c\",a,0,0.9,0.1\n"
        );
        let mut t = PredictionTable::new(Vec::new(), &classes, false, false).unwrap();
        t.write_rows(&[-1.5, 2.0], &[1], &[]).unwrap();
        let text = String::from_utf8(t.writer).unwrap();
        assert_eq!(
            text,
            "predicted,predicted_index,score_a,\"score_b,c\"\n\"b,c\",1,-1.5,2\n"
        );
    }
}
