//! Prints the AST of a `.nn` file (a debugging aid).
fn main() {
    for path in std::env::args().skip(1) {
        let text = std::fs::read_to_string(&path).expect("readable file");
        match nnc_dsl::parse(&text) {
            Ok(file) => print!("{}", nnc_dsl::pretty::ast_to_string(&file)),
            Err(d) => println!("{path}: {d:#?}"),
        }
    }
}
