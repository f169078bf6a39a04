use super::*;
use crate::ast::{ExprKind, Item, Stmt};
use crate::pretty::ast_to_string;

fn parse_ok(text: &str) -> crate::ast::File {
    match parse(text) {
        Ok(file) => file,
        Err(d) => panic!("expected a clean parse, got {d:#?}"),
    }
}

fn codes(text: &str) -> Vec<crate::Code> {
    parse_recovering(text).diagnostics.codes()
}

#[test]
fn precedence_and_units() {
    let file = parse_ok("let a = -2 ** 2 * 3 + 1\nlet b = 2 * 5 epochs\nlet c = 0..4\n");
    let text = ast_to_string(&file);
    assert!(text.contains("let a = (((-(2 ** 2)) * 3) + 1)"), "{text}");
    assert!(text.contains("let b = (2 * (5 epochs))"), "{text}");
    assert!(text.contains("let c = (0 .. 4)"), "{text}");
}

#[test]
fn parenthesised_first_argument_is_not_the_call_form() {
    let file = parse_ok("model {\n  dense (H*2), init: he\n  hidden(64, act: tanh)\n}\n");
    let text = ast_to_string(&file);
    assert!(text.contains("dense (H * 2), init: he"), "{text}");
    assert!(text.contains("hidden(64, act: tanh)"), "{text}");
}

#[test]
fn semicolons_comments_and_continuations() {
    let file = parse_ok("model { dense 3; relu # c\n  dense 4,\n    init: he -> \n relu }\n");
    let Item::Section(section) = &file.items[0] else {
        panic!("expected a section")
    };
    assert_eq!(section.body.stmts.len(), 3);
    let Stmt::Chain(chain) = &section.body.stmts[2] else {
        panic!("expected a chain")
    };
    assert_eq!(chain.commands.len(), 2);
}

#[test]
fn bom_crlf_and_tabs_are_accepted() {
    let file = parse_ok("\u{feff}nn 0.1\r\nlet\tH = 1_000\r\n");
    let Item::Let(binding) = &file.items[0] else {
        panic!("expected a let")
    };
    assert_eq!(binding.value.kind, ExprKind::Number(1000.0));
}

#[test]
fn error_productions_report_and_recover() {
    use crate::Code::*;
    assert_eq!(codes("let a = sgd(lr=0.1)\nlet b = 1e\n"), vec![E004, E003]);
    assert_eq!(codes("let a = \"open\nlet b = 10%%\n"), vec![E006, E003]);
    assert_eq!(codes("nn 2.0\n"), vec![E005]);
    assert_eq!(codes("model {\n dense 3\ntrain {\n}\n"), vec![E002]);
    assert_eq!(codes("train { every 5 epoc }\n"), vec![E003]);
    assert_eq!(codes("model { dense 10 relu }\n"), vec![E001]);
    assert_eq!(codes("let x = 1.\n"), vec![E003]);
}

#[test]
fn fatal_errors_name_what_was_expected() {
    let output = parse_recovering("model {\n  hidden(64, act tanh)\n}\n");
    let d = &output.diagnostics.iter().next().expect("one diagnostic");
    assert_eq!(d.code, crate::Code::E001);
    assert_eq!(d.message, "unexpected word `tanh` after `act`");
    assert_eq!(
        d.help[0],
        "if `act` is a keyword argument, write `act: tanh`"
    );
    // A layer's activation written after its width: chain it.
    let output = parse_recovering("model {\n  dense 10 relu\n}\n");
    let d = &output.diagnostics.iter().next().expect("one diagnostic");
    assert_eq!(
        d.help[0],
        "`relu` is a layer of its own: chain it with `->`, `… 10 -> relu`"
    );
    let output = parse_recovering("model {\n  hidden(64, act 2)\n}\n");
    let d = output.diagnostics.iter().next().expect("one diagnostic");
    assert_eq!(d.message, "expected `:` after keyword argument name `act`");
    let output = parse_recovering("param lr 1e-3\n");
    let d = output.diagnostics.iter().next().expect("one diagnostic");
    assert!(d.message.starts_with("expected `=`"), "{}", d.message);
}

#[test]
fn override_values_parse_with_offsets() {
    let source = crate::span::SourceId::override_text(0);
    let expr = parse_override_value("lr=1e-3", 3, source).expect("parses");
    assert_eq!(expr.kind, ExprKind::Number(1e-3));
    assert_eq!((expr.span.start, expr.span.end), (3, 7));
    assert!(parse_override_value("lr=(", 3, source).is_err());
}
