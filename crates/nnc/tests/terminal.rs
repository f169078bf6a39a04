//! `nnc run` on a terminal: run under a pseudo-terminal (`script`), its byte stream is played
//! on a terminal emulator (`vt100`), and every finding and every epoch line the run printed
//! must be on the screen intact, none wider than the terminal, for 80 and 200 columns.

mod common;

use common::{nnc, root, scratch};
use std::process::{Command, Stdio};

/// Why no pseudo-terminal can be had here, or `None` when `script` runs a command in one.
fn no_pty() -> Option<String> {
    let ran = Command::new("script")
        .args(["-qfec", "test -t 2", "/dev/null"])
        .stdin(Stdio::null())
        .output();
    match ran {
        Err(e) => Some(format!("`script` (util-linux) cannot run: {e}")),
        Ok(out) if !out.status.success() => Some(format!(
            "`script` gives no pseudo-terminal: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(_) => None,
    }
}

/// The screen's lines after `nnc args…` ran on a terminal `cols` columns wide (and tall
/// enough that nothing scrolls away), and whether any line was wrapped by the terminal.
fn on_terminal(cols: u16, args: &[&str]) -> (Vec<String>, Vec<usize>) {
    const ROWS: u16 = 500;
    let command = format!(
        "stty cols {cols} rows {ROWS}; exec {} {}",
        env!("CARGO_BIN_EXE_nnc"),
        args.join(" ")
    );
    let out = Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("script runs");
    let mut term = vt100::Parser::new(ROWS, cols, 0);
    term.process(&out.stdout);
    let screen = term.screen();
    let lines: Vec<String> = screen.rows(0, cols).collect();
    let wrapped = (0..ROWS)
        .filter(|&r| screen.row_wrapped(r))
        .map(usize::from)
        .collect();
    (lines, wrapped)
}

/// The findings (each with its advice line) and the epoch lines `nnc args…` prints to a pipe.
fn printed_to_a_pipe(args: &[&str]) -> (Vec<String>, Vec<String>) {
    let ran = nnc(args);
    let mut findings: Vec<String> = Vec::new();
    let mut epochs = Vec::new();
    for line in ran.stderr.lines() {
        let label = line.split(" [").next().unwrap_or("");
        if ["ok", "note", "warning", "error"].contains(&label) {
            findings.push(line.to_string());
        } else if line.starts_with("  advice:")
            && let Some(f) = findings.last_mut()
        {
            f.push('\n');
            f.push_str(line);
        } else if line.starts_with("epoch ") {
            epochs.push(line.to_string());
        }
    }
    (findings, epochs)
}

/// `line` without its last word (the epoch lines' time).
fn without_time(line: &str) -> &str {
    line.trim_end().rsplit_once("  ").map_or(line, |(l, _)| l)
}

/// Runs `args` on terminals 80 and 200 columns wide and checks the screen against what the same
/// run prints to a pipe; returns the number of epoch lines on the 80-column screen.
fn survives_the_bar(args: &[&str]) -> usize {
    let dir = scratch(&format!(
        "terminal-{}",
        args.join("-").replace(['/', '='], "_")
    ));
    let piped_out = dir.join("piped");
    let mut piped_args = args.to_vec();
    let piped_out = piped_out.to_string_lossy();
    piped_args.extend(["--out", &piped_out]);
    let (findings, piped_epochs) = printed_to_a_pipe(&piped_args);
    assert!(!findings.is_empty(), "no finding printed to a pipe");
    let mut epoch_lines = 0;
    for cols in [80u16, 200] {
        let out = dir.join(format!("tty{cols}"));
        let out = out.to_string_lossy();
        let mut tty_args = args.to_vec();
        tty_args.extend(["--out", &out]);
        let (lines, wrapped) = on_terminal(cols, &tty_args);
        let screen = lines.join("\n");
        assert!(
            wrapped.is_empty(),
            "{cols} columns: rows {wrapped:?} are wider than the terminal:\n{screen}"
        );
        assert!(
            lines.iter().any(|l| l.starts_with("run directory:")),
            "{cols} columns: the run did not finish:\n{screen}"
        );
        // A finding broken at the terminal's width is the same words in the same order.
        let words = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
        let flat = words(&screen);
        for f in &findings {
            let head = f.lines().next().unwrap_or("");
            let first_word_run: String = words(head).chars().take(cols as usize / 2).collect();
            assert!(
                flat.contains(&words(f)),
                "{cols} columns: the finding\n{f}\nis not on the screen intact:\n{screen}"
            );
            assert!(
                lines.iter().any(|l| words(l).starts_with(&first_word_run)),
                "{cols} columns: no line starts with the finding `{head}`:\n{screen}"
            );
        }
        let tty_epochs: Vec<&str> = lines
            .iter()
            .filter(|l| l.starts_with("epoch ") && l.contains("  loss "))
            .map(|l| without_time(l))
            .collect();
        for e in &piped_epochs {
            assert!(
                tty_epochs.contains(&without_time(e)),
                "{cols} columns: the epoch line `{e}` is not on the screen:\n{screen}"
            );
        }
        assert!(
            (1..=50).contains(&tty_epochs.len()),
            "{cols} columns: {} epoch lines:\n{screen}",
            tty_epochs.len()
        );
        epoch_lines = tty_epochs.len();
    }
    std::fs::remove_dir_all(&dir).ok();
    epoch_lines
}

#[test]
fn findings_and_epoch_lines_survive_the_progress_bar() {
    if let Some(reason) = no_pty() {
        eprintln!("skipped: {reason}");
        return;
    }
    // A run with a validation split: a line per epoch (20 epochs, all kept), the initial-loss
    // finding.
    let epochs = survives_the_bar(&["run", "models/wine.nn", "--set", "n_epochs=20"]);
    assert_eq!(epochs, 20, "one line per epoch");
    // A diverging run: the error finding and its advice, longer than 80 columns.
    survives_the_bar(&["run", "models/spiral.nn", "--set", "lr=100"]);
}
