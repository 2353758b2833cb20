//! Extended conditionals: `[ProductInstall.ExtendedConditional]`.
//!
//! ```text
//! [ProductInstall.ExtendedConditional]
//! ConditionInstall = Cond.Mshtml
//! [Cond.Mshtml]
//! condition = SingleOp, Op.Mshtml        ; then AndOp/OrOp, <section> ...
//! ConditionalOperations = Entry.Mshtml
//! [Op.Mshtml]
//! CheckFilever, Files.System32, mshtml.dll, >=, 6.0.2900.0
//! [Entry.Mshtml]
//! FileOperation = Install.Mshtml
//! [Install.Mshtml]
//! CopyFiles = Files.Mshtml
//! ```
//! The `condition` pairs fold left to right: `SingleOp` starts over,
//! `AndOp`/`OrOp` combine with what came before. All operations of one
//! operation section must hold. As an extension, an operand section that
//! itself has `condition` lines is a nested condition; that is how
//! [`Condition`] trees of any shape are written. `CheckReg`'s field layout
//! (`CheckReg, root, key, value-name, op, expected`) is this crate's
//! assumption: no public source shows a real one.

use hotfix_model::FileVersion;

use crate::parse::eq_nocase;
use crate::reg::root_field;
use crate::{Inf, InfError, Line, RegRoot, invalid};

/// How deep conditions may nest.
const MAX_DEPTH: usize = 16;
/// How many operand sections one conditional may visit in total (shared
/// sections count each time), so a small file cannot expand exponentially.
const MAX_OPERANDS: usize = 4096;

/// A comparison in a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// The file or value exists (empty operator field).
    Exists,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `=` or `==`
    Eq,
}

impl CmpOp {
    /// Reads an operator field.
    pub fn parse(text: &str) -> Option<CmpOp> {
        Some(match text.trim() {
            "" => CmpOp::Exists,
            ">" => CmpOp::Gt,
            ">=" => CmpOp::Ge,
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            "=" | "==" => CmpOp::Eq,
            _ => return None,
        })
    }

    /// The operator as written (empty for [`CmpOp::Exists`]).
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Exists => "",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Eq => "=",
        }
    }
}

/// A condition tree.
///
/// Canonical form (what [`crate::UpdateInf::from_inf`] produces): `And` and
/// `Or` have at least two children and the first child of an `And` is not
/// an `And` (likewise for `Or`). Other trees are written as their
/// canonical equivalent, except an empty `And`/`Or`, which has none (its
/// text does not read back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// `CheckFilever`: compare the version of `file` in the destination of
    /// copy section `section` with `version` (`None` for `Exists`).
    CheckFilever {
        /// Copy section whose destination directory holds the file.
        section: String,
        /// The file name.
        file: String,
        /// The comparison.
        op: CmpOp,
        /// The version compared with.
        version: Option<FileVersion>,
    },
    /// `CheckReg`: compare a registry value (or test a key's existence).
    CheckReg {
        /// The root key.
        root: RegRoot,
        /// The subkey.
        key: String,
        /// The value name, `None` to test the key.
        value_name: Option<String>,
        /// The comparison.
        op: CmpOp,
        /// The data compared with (`None` for `Exists`).
        expected: Option<String>,
    },
    /// All must hold.
    And(Vec<Condition>),
    /// At least one must hold.
    Or(Vec<Condition>),
}

/// One conditional install: files copied when the condition holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conditional {
    /// The condition.
    pub condition: Condition,
    /// The files to copy when it holds.
    pub copy_files: Vec<crate::CopyFile>,
}

fn is_condition_section(inf: &Inf, name: &str) -> bool {
    inf.section(name)
        .is_some_and(|s| s.keyed("condition").next().is_some())
}

/// Reads the condition of condition section `name`, referenced at `line`.
pub(crate) fn read_condition(inf: &Inf, name: &str, line: usize) -> Result<Condition, InfError> {
    let mut walk = Walk {
        inf,
        stack: Vec::new(),
        operands: 0,
    };
    walk.condition_section(name, line)
}

struct Walk<'a> {
    inf: &'a Inf,
    stack: Vec<String>,
    operands: usize,
}

impl Walk<'_> {
    fn condition_section(&mut self, name: &str, line: usize) -> Result<Condition, InfError> {
        if self.stack.iter().any(|s| eq_nocase(s, name)) {
            return Err(invalid(
                line,
                format!("condition section [{name}] refers back to itself"),
            ));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(invalid(
                line,
                format!("conditions nest deeper than {MAX_DEPTH} levels"),
            ));
        }
        let section = self.inf.section_at(name, line)?;
        let mut pairs = Vec::new();
        for l in section.keyed("condition") {
            if !l.fields.len().is_multiple_of(2) {
                return Err(invalid(
                    l.line,
                    "condition= needs <op>,<section> pairs".into(),
                ));
            }
            pairs.extend(l.fields.chunks_exact(2).map(|p| (&p[0], &p[1], l.line)));
        }
        if pairs.is_empty() {
            return Err(invalid(
                section.line,
                format!("[{name}] has no condition= line"),
            ));
        }
        self.stack.push(name.to_owned());
        let mut acc: Option<Condition> = None;
        for (op, operand_name, op_line) in pairs {
            let combine = match op.to_ascii_lowercase().as_str() {
                "singleop" => None,
                "andop" => Some(true),
                "orop" => Some(false),
                other => {
                    return Err(invalid(
                        op_line,
                        format!("unknown condition operator {other:?}"),
                    ));
                }
            };
            let operand = self.operand(operand_name, op_line)?;
            acc = Some(match (combine, acc) {
                (None, _) | (_, None) => operand,
                (Some(true), Some(Condition::And(mut v))) => {
                    v.push(operand);
                    Condition::And(v)
                }
                (Some(true), Some(prev)) => Condition::And(vec![prev, operand]),
                (Some(false), Some(Condition::Or(mut v))) => {
                    v.push(operand);
                    Condition::Or(v)
                }
                (Some(false), Some(prev)) => Condition::Or(vec![prev, operand]),
            });
        }
        self.stack.pop();
        acc.ok_or_else(|| invalid(section.line, format!("[{name}] has no condition")))
    }

    fn operand(&mut self, name: &str, line: usize) -> Result<Condition, InfError> {
        self.operands += 1;
        if self.operands > MAX_OPERANDS {
            return Err(invalid(
                line,
                format!("condition uses more than {MAX_OPERANDS} operands"),
            ));
        }
        if is_condition_section(self.inf, name) {
            return self.condition_section(name, line);
        }
        let section = self.inf.section_at(name, line)?;
        let mut ops = section
            .lines
            .iter()
            .map(operation)
            .collect::<Result<Vec<_>, _>>()?;
        match ops.len() {
            0 => Err(invalid(
                section.line,
                format!("operation section [{name}] is empty"),
            )),
            1 => Ok(ops.remove(0)),
            _ => Ok(Condition::And(ops)),
        }
    }
}

/// Reads one `CheckFilever`/`CheckReg` line.
fn operation(line: &Line) -> Result<Condition, InfError> {
    let op_at = |i: usize| {
        CmpOp::parse(line.field(i))
            .ok_or_else(|| invalid(line.line, format!("unknown comparison {:?}", line.field(i))))
    };
    let verb = line.field(0);
    if verb.eq_ignore_ascii_case("CheckFilever") {
        let op = op_at(3)?;
        let version = match op {
            CmpOp::Exists => None,
            _ => Some(line.field(4).parse::<FileVersion>().map_err(|_| {
                invalid(
                    line.line,
                    format!("{:?} is not a file version", line.field(4)),
                )
            })?),
        };
        Ok(Condition::CheckFilever {
            section: line.field(1).to_owned(),
            file: line.field(2).to_owned(),
            op,
            version,
        })
    } else if verb.eq_ignore_ascii_case("CheckReg") {
        let root = root_field(line, 1)?;
        let op = op_at(4)?;
        Ok(Condition::CheckReg {
            root,
            key: line.field(2).to_owned(),
            value_name: Some(line.field(3))
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            op,
            expected: (op != CmpOp::Exists).then(|| line.field(5).to_owned()),
        })
    } else {
        Err(invalid(
            line.line,
            format!("unknown conditional operation {verb:?}"),
        ))
    }
}

/// The fields that write one `CheckFilever`/`CheckReg` leaf.
pub(crate) fn leaf_fields(condition: &Condition) -> Option<Vec<String>> {
    Some(match condition {
        Condition::CheckFilever {
            section,
            file,
            op,
            version,
        } => {
            let mut out = vec!["CheckFilever".into(), section.clone(), file.clone()];
            out.push(op.symbol().into());
            if let (Some(v), false) = (version, *op == CmpOp::Exists) {
                out.push(v.to_string());
            }
            out
        }
        Condition::CheckReg {
            root,
            key,
            value_name,
            op,
            expected,
        } => {
            let mut out = vec!["CheckReg".into(), root.as_str().into(), key.clone()];
            out.push(value_name.clone().unwrap_or_default());
            out.push(op.symbol().into());
            if let (Some(e), false) = (expected, *op == CmpOp::Exists) {
                out.push(e.clone());
            }
            out
        }
        Condition::And(_) | Condition::Or(_) => return None,
    })
}
