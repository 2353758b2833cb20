//! Writing an [`UpdateInf`] back as update.inf text.

use crate::cond::leaf_fields;
use crate::decode::encode_utf16le;
use crate::parse::eq_nocase;
use crate::reg::fields as reg_fields;
use crate::{Condition, CopyFile, RegLine, UpdateInf};

/// One section being written: its name and rendered lines.
struct Block {
    name: String,
    lines: Vec<String>,
}

impl Block {
    fn new(name: impl Into<String>) -> Self {
        Block {
            name: name.into(),
            lines: Vec::new(),
        }
    }

    /// Adds `key=fields` (or just the fields); `%` is escaped.
    fn line(&mut self, key: Option<&str>, fields: &[String]) {
        let mut text = String::new();
        if let Some(key) = key {
            text.push_str(&quote(key, true));
            text.push('=');
        }
        let rendered: Vec<String> = fields.iter().map(|f| quote(f, true)).collect();
        let joined = rendered.join(",");
        if key.is_none() && joined.is_empty() {
            // A keyless line holding one empty field must not look blank.
            text.push_str("\"\"");
        } else {
            text.push_str(&joined);
        }
        self.lines.push(text);
    }
}

/// Renders one field: `%` doubled when the section is substituted, quoted
/// when it holds INF punctuation or whitespace. Characters no INF field can
/// hold (line feed, NUL, Ctrl-Z) become spaces.
fn quote(text: &str, escape_percent: bool) -> String {
    let mut s: String = text
        .chars()
        .map(|c| {
            if matches!(c, '\n' | '\0' | '\u{1A}') {
                ' '
            } else {
                c
            }
        })
        .collect();
    if escape_percent {
        s = s.replace('%', "%%");
    }
    let needs_quotes = s
        .chars()
        .any(|c| matches!(c, ',' | ';' | '"' | '=' | '\\' | '[' | ']') || c.is_whitespace());
    if needs_quotes {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn copy_line(file: &CopyFile) -> Vec<String> {
    let source = if file.source == file.target {
        String::new()
    } else {
        file.source.clone()
    };
    let mut fields = vec![file.target.clone(), source, String::new()];
    if file.flags != 0 {
        fields.push(file.flags.to_string());
    }
    while fields.len() > 1 && fields.last().is_some_and(String::is_empty) {
        fields.pop();
    }
    fields
}

/// The copy sections to write, each from its first run, in first-use order.
struct CopySections<'a> {
    sections: Vec<&'a [CopyFile]>,
}

impl<'a> CopySections<'a> {
    /// Registers `files`' runs and returns the section names to reference.
    fn add(&mut self, files: &'a [CopyFile]) -> Vec<String> {
        let mut names = Vec::new();
        for run in files.chunk_by(|a, b| eq_nocase(&a.section, &b.section)) {
            let Some(first) = run.first() else { continue };
            let known = self.sections.iter().any(|s| {
                s.first()
                    .is_some_and(|f| eq_nocase(&f.section, &first.section))
            });
            if !known {
                self.sections.push(run);
            }
            names.push(first.section.clone());
        }
        names
    }
}

/// Builds condition section `name` and returns it; the operand sections it
/// names (leaf operations and nested conditions) are appended to `out`.
fn condition_blocks(name: &str, condition: &Condition, out: &mut Vec<Block>) -> Block {
    let (children, combine): (Vec<&Condition>, &str) = match condition {
        Condition::And(list) => (list.iter().collect(), "AndOp"),
        Condition::Or(list) => (list.iter().collect(), "OrOp"),
        leaf => (vec![leaf], "SingleOp"),
    };
    let mut block = Block::new(name);
    for (i, child) in children.into_iter().enumerate() {
        let operand = format!("{name}.{}", i + 1);
        let op = if i == 0 { "SingleOp" } else { combine };
        block.line(Some("condition"), &[op.to_owned(), operand.clone()]);
        match leaf_fields(child) {
            Some(fields) => {
                let mut leaf = Block::new(operand);
                leaf.line(None, &fields);
                out.push(leaf);
            }
            None => {
                let nested = condition_blocks(&operand, child, out);
                out.push(nested);
            }
        }
    }
    block
}

fn reg_block(name: &str, lines: &[RegLine]) -> Block {
    let mut block = Block::new(name);
    for reg in lines {
        block.line(None, &reg_fields(reg));
    }
    block
}

impl UpdateInf {
    /// Writes update.inf text (CRLF line ends) that [`UpdateInf::from_inf`]
    /// reads back equal, line numbers of registry lines aside.
    ///
    /// Copy sections keep the names in [`CopyFile::section`] and must not
    /// clash with the fixed section names or the generated
    /// `ExtendedConditional.*` ones; a section's lines come from its first
    /// run of files. Conditions are written in canonical form.
    pub fn to_text(&self) -> String {
        let mut blocks = Vec::new();
        let mut version = Block::new("Version");
        version.line(Some("Signature"), std::slice::from_ref(&self.signature));
        let numbers = [
            (
                "NtBuildToUpdate",
                self.nt_build_to_update.map(|n| n.to_string()),
            ),
            (
                "NtMajorVersionToUpdate",
                self.nt_major.map(|n| n.to_string()),
            ),
            (
                "NtMinorVersionToUpdate",
                self.nt_minor.map(|n| n.to_string()),
            ),
            (
                "MinNtServicePackVersion",
                self.min_sp.map(|n| n.to_string()),
            ),
            (
                "MaxNtServicePackVersion",
                self.max_sp.map(|n| n.to_string()),
            ),
            (
                "LanguageType",
                self.language_type.map(|n| format!("0x{n:08x}")),
            ),
        ];
        for (key, value) in numbers {
            if let Some(value) = value {
                version.line(Some(key), &[value]);
            }
        }
        blocks.push(version);

        let mut copies = CopySections {
            sections: Vec::new(),
        };
        for (name, files) in [
            ("ProductInstall.CopyFilesAlways", &self.copy_always),
            ("ProductInstall.ReplaceFilesIfExist", &self.replace_if_exist),
        ] {
            let names = copies.add(files);
            if !names.is_empty() {
                let mut block = Block::new(name);
                block.line(Some("CopyFiles"), &names);
                blocks.push(block);
            }
        }

        let mut condition_blocks_out = Vec::new();
        let mut cond_names = Vec::new();
        for (i, conditional) in self.conditionals.iter().enumerate() {
            let name = format!("ExtendedConditional.{}", i + 1);
            let mut operands = Vec::new();
            let mut top = condition_blocks(&name, &conditional.condition, &mut operands);
            top.line(Some("ConditionalOperations"), &[format!("{name}.Entry")]);
            let mut entry = Block::new(format!("{name}.Entry"));
            entry.line(Some("FileOperation"), &[format!("{name}.Install")]);
            let mut install = Block::new(format!("{name}.Install"));
            let names = copies.add(&conditional.copy_files);
            if !names.is_empty() {
                install.line(Some("CopyFiles"), &names);
            }
            condition_blocks_out.push(top);
            condition_blocks_out.extend(operands);
            condition_blocks_out.push(entry);
            condition_blocks_out.push(install);
            cond_names.push(name);
        }
        if !cond_names.is_empty() {
            let mut block = Block::new("ProductInstall.ExtendedConditional");
            block.line(Some("ConditionInstall"), &cond_names);
            blocks.push(block);
        }

        let mut global = Block::new("ProductInstall.GlobalRegistryChanges");
        if !self.add_reg.is_empty() {
            global.line(Some("AddReg"), &["Product.Add.Reg".to_owned()]);
        }
        if !self.del_reg.is_empty() {
            global.line(Some("DelReg"), &["Product.Del.Reg".to_owned()]);
        }
        if !global.lines.is_empty() {
            blocks.push(global);
        }

        let mut dirs = Block::new("DestinationDirs");
        for run in &copies.sections {
            if let Some(first) = run.first() {
                let mut fields = vec![first.dest.dirid.to_string()];
                fields.extend(first.dest.subdir.clone());
                dirs.line(Some(&first.section), &fields);
            }
        }
        if !dirs.lines.is_empty() {
            blocks.push(dirs);
        }
        blocks.extend(condition_blocks_out);
        for run in &copies.sections {
            if let Some(first) = run.first() {
                let mut block = Block::new(first.section.clone());
                for file in *run {
                    block.line(None, &copy_line(file));
                }
                blocks.push(block);
            }
        }
        if !self.add_reg.is_empty() {
            blocks.push(reg_block("Product.Add.Reg", &self.add_reg));
        }
        if !self.del_reg.is_empty() {
            blocks.push(reg_block("Product.Del.Reg", &self.del_reg));
        }
        blocks.push(self.strings_block());

        let mut text = String::new();
        for block in blocks {
            if !text.is_empty() {
                text.push_str("\r\n");
            }
            text.push('[');
            text.push_str(&block.name);
            text.push_str("]\r\n");
            for line in block.lines {
                text.push_str(&line);
                text.push_str("\r\n");
            }
        }
        text
    }

    /// [`UpdateInf::to_text`] as bytes: ASCII when the text is ASCII,
    /// otherwise UTF-16LE with a BOM (the Unicode INF form SetupAPI reads).
    pub fn to_bytes(&self) -> Vec<u8> {
        let text = self.to_text();
        if text.is_ascii() {
            text.into_bytes()
        } else {
            encode_utf16le(&text)
        }
    }

    /// `[Strings]`: the entries in order, with SP_SHORT_TITLE and SP_TITLE
    /// taken from their fields (appended when absent). Values are not
    /// substituted, so `%` stays single.
    fn strings_block(&self) -> Block {
        let mut block = Block::new("Strings");
        let mut push = |key: &str, value: &str| {
            block
                .lines
                .push(format!("{}={}", quote(key, false), quote_always(value)));
        };
        let mut seen_short = false;
        let mut seen_title = false;
        for (key, value) in &self.strings {
            if eq_nocase(key, "SP_SHORT_TITLE") && !seen_short {
                seen_short = true;
                push(key, &self.short_title);
            } else if let (true, false, Some(title)) =
                (eq_nocase(key, "SP_TITLE"), seen_title, &self.title)
            {
                seen_title = true;
                push(key, title);
            } else {
                push(key, value);
            }
        }
        if !seen_short {
            push("SP_SHORT_TITLE", &self.short_title);
        }
        if let (false, Some(title)) = (seen_title, &self.title) {
            push("SP_TITLE", title);
        }
        block
    }
}

/// A `[Strings]` value, always quoted as real files do.
fn quote_always(value: &str) -> String {
    let quoted = quote(value, false);
    if quoted.starts_with('"') {
        quoted
    } else {
        format!("\"{quoted}\"")
    }
}
