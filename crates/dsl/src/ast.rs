//! The typed syntax tree: what the file says, with byte spans, before any name is resolved.

use crate::span::Span;

/// A name as written, with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    /// The text.
    pub name: String,
    /// Where it is.
    pub span: Span,
}

/// A whole `.nn` file.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    /// The optional `nn 0.1` line.
    pub header: Option<Header>,
    /// Top-level items in file order.
    pub items: Vec<Item>,
}

/// The `nn <version>` line.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The version as written (`0.1`).
    pub version: String,
    /// The whole line.
    pub span: Span,
    /// The version number alone.
    pub version_span: Span,
}

/// A top-level item.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `let NAME = expr`: a constant.
    Let(Binding),
    /// `param NAME = expr`: a hyperparameter with a default.
    Param(Binding),
    /// `block NAME(formals) { ... }`.
    Block(BlockDef),
    /// `data { ... }`, `model [name] { ... }`, `train { ... }`, `search [strategy] { ... }`.
    Section(Section),
}

/// `let` or `param`.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// The bound name.
    pub name: Ident,
    /// Its value.
    pub value: Expr,
    /// The whole declaration.
    pub span: Span,
}

/// A block definition.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockDef {
    /// The block's name.
    pub name: Ident,
    /// Formal parameters.
    pub formals: Vec<Formal>,
    /// Its statements.
    pub body: Body,
    /// From `block` to the end of the name and formals.
    pub header_span: Span,
}

/// A formal parameter of a block, with an optional default.
#[derive(Debug, Clone, PartialEq)]
pub struct Formal {
    /// The formal's name.
    pub name: Ident,
    /// Its default value.
    pub default: Option<Expr>,
}

/// Which section.
#[derive(Debug, Clone, PartialEq)]
pub enum SectionKind {
    /// `data`.
    Data,
    /// `model`, with an optional name.
    Model(Option<Ident>),
    /// `train`.
    Train,
    /// `search`, with an optional strategy (`random(seed: 7)`, `grid`,
    /// `halving(min: 1 epoch, max: 27 epochs)`).
    Search(Option<Expr>),
    /// A word that is not a section (reported as E101).
    Unknown(Ident),
}

/// A section.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Which one.
    pub kind: SectionKind,
    /// The header (keyword, name or strategy, up to `{`).
    pub header_span: Span,
    /// Its statements.
    pub body: Body,
}

impl Section {
    /// The section keyword (`data`, `model`, ...), or the unknown word.
    pub fn keyword(&self) -> &str {
        match &self.kind {
            SectionKind::Data => "data",
            SectionKind::Model(_) => "model",
            SectionKind::Train => "train",
            SectionKind::Search(_) => "search",
            SectionKind::Unknown(word) => &word.name,
        }
    }
}

/// `{ statements }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    /// The `{`.
    pub open: Span,
    /// The `}`; `None` when it is missing (reported as E002).
    pub close: Option<Span>,
    /// Statements in order.
    pub stmts: Vec<Stmt>,
}

/// A statement in a body.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    /// `repeat N { ... }` or `repeat i in a..b { ... }`.
    Repeat(Repeat),
    /// `name ~ distribution` (search only).
    Sample(Sample),
    /// `cmd -> cmd -> ...` (a single command is a chain of one).
    Chain(Chain),
}

/// A repeat loop.
#[derive(Debug, Clone, PartialEq)]
pub struct Repeat {
    /// The loop variable of `repeat i in 0..N`.
    pub var: Option<Ident>,
    /// The count or range.
    pub count: Expr,
    /// The repeated statements.
    pub body: Body,
    /// `repeat ... {`.
    pub header_span: Span,
}

/// A search space line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The searched name.
    pub name: Ident,
    /// The distribution expression.
    pub dist: Expr,
    /// The whole line.
    pub span: Span,
}

/// Commands joined by `->`.
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    /// At least one.
    pub commands: Vec<Command>,
    /// The whole chain.
    pub span: Span,
}

/// `word args` or `word(args)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// The statement word (a layer, a block, a setting).
    pub name: Ident,
    /// Its arguments.
    pub args: Vec<Arg>,
    /// Whether the call form `word(args)` was used.
    pub call_form: bool,
    /// The whole command.
    pub span: Span,
}

/// A positional or keyword argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    /// The keyword, for `key: value`.
    pub name: Option<Ident>,
    /// The value.
    pub value: Expr,
    /// The whole argument.
    pub span: Span,
}

/// An expression with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where.
    pub span: Span,
}

/// Time units of `5 epochs` / `1000 steps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    /// Passes over the training set.
    Epochs,
    /// Optimisation steps.
    Steps,
}

impl TimeUnit {
    /// The plural word.
    pub fn word(self) -> &'static str {
        match self {
            TimeUnit::Epochs => "epochs",
            TimeUnit::Steps => "steps",
        }
    }
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `//` (division rounded down, Python's)
    FloorDiv,
    /// `**`
    Pow,
    /// `..` (end excluded)
    Range,
    /// `..=` (end included)
    RangeInclusive,
}

impl BinaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::FloorDiv => "//",
            BinaryOp::Pow => "**",
            BinaryOp::Range => "..",
            BinaryOp::RangeInclusive => "..=",
        }
    }
}

/// Expression forms.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A number literal (underscores removed).
    Number(f64),
    /// A string literal (escapes resolved).
    Str(String),
    /// `name` or `a.b.c`.
    Path(Vec<Ident>),
    /// `name(args)`.
    Call {
        /// The callee.
        callee: Ident,
        /// Its arguments.
        args: Vec<Arg>,
    },
    /// `[a, b]`.
    List(Vec<Expr>),
    /// `-x`.
    Neg(Box<Expr>),
    /// `a op b`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `x%`.
    Percent(Box<Expr>),
    /// `x epochs`, `x steps`.
    Quantity {
        /// The amount.
        value: Box<Expr>,
        /// The unit.
        unit: TimeUnit,
    },
    /// A syntax error already reported; evaluates to nothing and causes no further errors.
    Error,
}

impl Expr {
    /// The single name of a plain path (`relu`), if this is one.
    pub fn as_name(&self) -> Option<&Ident> {
        match &self.kind {
            ExprKind::Path(parts) if parts.len() == 1 => parts.first(),
            _ => None,
        }
    }
}
