use super::*;
use crate::check::check;
use crate::probe::NoDataProbe;
use std::path::PathBuf;

/// A model directory with `data/d.csv` and `my data/e.csv`, and an empty run directory
/// `runs/m/1` beside it; removed on drop.
struct Dirs {
    root: PathBuf,
    models: PathBuf,
    run: PathBuf,
}

impl Dirs {
    fn new(name: &str) -> Dirs {
        let root = std::env::temp_dir().join(format!("nnc-resolve-{name}-{}", std::process::id()));
        let (models, run) = (root.join("models"), root.join("runs/m/1"));
        std::fs::create_dir_all(models.join("data")).unwrap();
        std::fs::create_dir_all(models.join("my data")).unwrap();
        std::fs::create_dir_all(&run).unwrap();
        for file in ["data/d.csv", "my data/e.csv"] {
            std::fs::write(models.join(file), "x,label\n1,a\n2,b\n").unwrap();
        }
        Dirs { root, models, run }
    }

    /// `text` (with `sets`) checked and resolved for the run directory.
    fn resolve(&self, text: &str, sets: &[&str]) -> String {
        let path = self.models.join("m.nn");
        let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(*s)).collect();
        let checked = check(text, &path, &overrides, &NoDataProbe)
            .unwrap_or_else(|d| panic!("{text} does not check: {d:?}"));
        resolved_text(
            &path,
            text,
            &overrides,
            &checked.experiment,
            Some(3),
            "nnc run",
            &self.run,
        )
    }
}

impl Drop for Dirs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

const REST: &str = "model { dense 2; loss softmax }\n\
                    train { optimizer sgd(lr: 0.1); batch 2; epochs 1 }\n";

fn header(path: &Path, sets: &[&str]) -> String {
    let mut h = format!(
        "# Resolved by `nnc run` from {} (data paths rewritten relative to this file).\n",
        path.display()
    );
    if !sets.is_empty() {
        let sets: Vec<String> = sets.iter().map(|s| format!("--set {s}")).collect();
        h.push_str(&format!("# Overrides: {}\n", sets.join(" ")));
    }
    h + "# Training seed: --seed 3\n"
}

#[test]
fn data_paths_are_rebased_in_sources_and_params_only() {
    let dirs = Dirs::new("places");
    let text = format!(
        "nn 0.1\n\
         # a comment naming \"data/d.csv\" is left alone\n\
         param file = \"data/d.csv\"  # so is \"data/d.csv\" here\n\
         let other = \"data/d.csv\"\n\
         data {{\n  source csv(file, label: \"label\")  # \"data/d.csv\"\n  \
         test csv(\"data/d.csv\", label: \"label\")\n}}\n{REST}"
    );
    let resolved = dirs.resolve(&text, &[]);
    let expected = format!(
        "nn 0.1\n{}\
         # a comment naming \"data/d.csv\" is left alone\n\
         param file = \"../../../models/data/d.csv\"  # so is \"data/d.csv\" here\n\
         let other = \"data/d.csv\"\n\
         data {{\n  source csv(file, label: \"label\")  # \"data/d.csv\"\n  \
         test csv(\"../../../models/data/d.csv\", label: \"label\")\n}}\n{REST}",
        header(&dirs.models.join("m.nn"), &[])
    );
    assert_eq!(resolved, expected);
}

#[test]
fn quotes_inside_comments_and_strings_do_not_shift_the_paths() {
    let dirs = Dirs::new("quotes");
    // A quote in a comment inside the call, and an escaped quote in a string before the
    // path on its line: a quote scanner pairs them wrongly, the spans do not.
    let text = format!(
        "data {{\n  source idx(\n    # a comment's \"quote\n    \
         labels: \"x \\\"y\", images: \"data/d.csv\"\n  )\n}}\n{REST}"
    );
    let resolved = dirs.resolve(&text, &[]);
    let expected = format!(
        "{}data {{\n  source idx(\n    # a comment's \"quote\n    \
         labels: \"x \\\"y\", images: \"../../../models/data/d.csv\"\n  )\n}}\n{REST}",
        header(&dirs.models.join("m.nn"), &[])
    );
    assert_eq!(resolved, expected);
}

#[test]
fn a_path_with_spaces_is_rebased() {
    let dirs = Dirs::new("spaces");
    let text = format!("data {{ source csv(\"my data/e.csv\", label: \"label\") }}\n{REST}");
    let resolved = dirs.resolve(&text, &[]);
    assert!(
        resolved.contains("source csv(\"../../../models/my data/e.csv\", label: \"label\")"),
        "{resolved}"
    );
}

#[test]
fn strings_naming_no_file_and_absolute_paths_are_left_alone() {
    let dirs = Dirs::new("alone");
    let absolute = dirs.models.join("data/d.csv");
    let text = format!(
        "data {{ source csv(\"{}\", label: \"label\") }}\n{REST}",
        absolute.display()
    );
    let resolved = dirs.resolve(&text, &[]);
    assert!(resolved.ends_with(&text), "{resolved}");
}

#[test]
fn set_values_replace_their_declarations_nested_uses_included() {
    let dirs = Dirs::new("sets");
    let text = "param act = relu\nparam width = 4\nparam file = \"data/d.csv\"\n\
                block hidden(w) {\n  dense w\n  act\n}\n\
                data { source csv(file, label: \"label\") }\n\
                model {\n  repeat 2 { hidden(width) }\n  dense 2\n  loss softmax\n}\n\
                train { optimizer sgd(lr: 0.1); batch 2; epochs 1 }\n";
    let sets = [
        "act=leaky_relu(alpha: 0.2)",
        "width=8",
        "width= 16 ",
        "file=\"my data/e.csv\"",
    ];
    let resolved = dirs.resolve(text, &sets);
    let expected = format!(
        "{}param act = leaky_relu(alpha: 0.2)  # --set (default: relu)\n\
         param width = 16  # --set (default: 4)\n\
         param file = \"../../../models/my data/e.csv\"  # --set (default: \"data/d.csv\")\n\
         block hidden(w) {{\n  dense w\n  act\n}}\n\
         data {{ source csv(file, label: \"label\") }}\n\
         model {{\n  repeat 2 {{ hidden(width) }}\n  dense 2\n  loss softmax\n}}\n\
         train {{ optimizer sgd(lr: 0.1); batch 2; epochs 1 }}\n",
        header(&dirs.models.join("m.nn"), &sets)
    );
    assert_eq!(resolved, expected);
}

#[test]
fn an_unquoted_string_override_is_written_as_a_string() {
    let dirs = Dirs::new("unquoted");
    let text = format!(
        "param file = \"data/d.csv\"\ndata {{ source csv(file, label: \"label\") }}\n{REST}"
    );
    let resolved = dirs.resolve(&text, &["file=my data/e.csv"]);
    assert!(
        resolved.contains(
            "param file = \"../../../models/my data/e.csv\"  # --set (default: \"data/d.csv\")\n"
        ),
        "{resolved}"
    );
    // The resolved copy checks clean where it is written.
    let copy = dirs.run.join("model.nn");
    check(&resolved, &copy, &[], &NoDataProbe).expect("the resolved copy checks");
}

#[test]
fn a_byte_order_mark_is_dropped_and_the_version_line_stays_first() {
    let dirs = Dirs::new("bom");
    let text = format!("\u{feff}nn 0.1\ndata {{ source spiral(points: 5, classes: 2) }}\n{REST}");
    let resolved = dirs.resolve(&text, &[]);
    let expected = format!(
        "nn 0.1\n{}data {{ source spiral(points: 5, classes: 2) }}\n{REST}",
        header(&dirs.models.join("m.nn"), &[])
    );
    assert_eq!(resolved, expected);
}

#[test]
fn quoting_escapes_what_the_parser_unescapes() {
    assert_eq!(quoted("a \"b\" \\ c\n\t"), "\"a \\\"b\\\" \\\\ c\\n\\t\"");
}
