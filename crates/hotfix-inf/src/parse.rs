//! The generic SetupAPI INF parser.
//!
//! Grammar, as SetupAPI (and Wine's open implementation) read it:
//! - `[name]` starts a section; text after `]` on that line is ignored;
//!   a section that appears twice is one section with the lines of both.
//! - Other lines are `key = field, field, ...` or just `field, field, ...`;
//!   the first unquoted `=` before any unquoted `,` ends the key.
//! - `;` outside quotes starts a comment. Whitespace around fields goes,
//!   whitespace inside a field stays. `"..."` quotes any text, `""` inside
//!   quotes is one `"`, and quoted parts can join unquoted ones (`a"b,c"d`).
//! - A `\` followed only by blanks (or a comment) up to the end of the line
//!   joins the next line; any other `\` is an ordinary character.
//! - `%key%` in keys and fields is replaced by the `[Strings]` value of
//!   `key`, `%%` by `%`; unknown `%key%` stays as written. `[Strings]` lines
//!   themselves are not substituted.
//! - Ctrl-Z ends the file; NUL characters read as spaces.

use std::collections::HashMap;

use crate::InfError;
use crate::decode::decode;

/// Longest section name SetupAPI accepts (characters).
const MAX_SECTION_NAME_LEN: usize = 255;

/// One logical line of a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Text before `=`, if the line has one.
    pub key: Option<String>,
    /// Comma-separated fields after the key (or the whole line), unquoted
    /// and substituted.
    pub fields: Vec<String>,
    /// 1-based line number where this logical line starts.
    pub line: usize,
}

impl Line {
    /// Field `index`, or `""` when the line has fewer fields.
    pub(crate) fn field(&self, index: usize) -> &str {
        self.fields.get(index).map_or("", String::as_str)
    }
}

/// A section and its lines, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The name as first written.
    pub name: String,
    /// Line of the first `[name]` header.
    pub line: usize,
    /// All lines, from every header of this name, in file order.
    pub lines: Vec<Line>,
}

impl Section {
    /// The lines whose key equals `key`, ignoring case, in file order.
    pub fn keyed<'a, 'k>(&'a self, key: &'k str) -> impl Iterator<Item = &'a Line> + use<'a, 'k> {
        self.lines
            .iter()
            .filter(move |l| l.key.as_deref().is_some_and(|k| eq_nocase(k, key)))
    }
}

/// A parsed INF file.
#[derive(Debug, Clone)]
pub struct Inf {
    sections: Vec<Section>,
    by_name: HashMap<String, usize>,
}

/// Compares two names the way SetupAPI does: ignoring case.
pub(crate) fn eq_nocase(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

fn fold(name: &str) -> String {
    name.to_lowercase()
}

impl Inf {
    /// Parses an INF file from its bytes (see the module docs for the
    /// grammar and `decode` for the encodings).
    pub fn parse(bytes: &[u8]) -> Result<Inf, InfError> {
        let text = decode(bytes)?;
        let chars: Vec<char> = text
            .chars()
            .take_while(|&c| c != '\u{1A}')
            .map(|c| if c == '\0' { ' ' } else { c })
            .collect();
        let mut inf = Tokenizer {
            chars: &chars,
            pos: 0,
            line: 1,
        }
        .run()?;
        inf.substitute();
        Ok(inf)
    }

    /// All sections, in the order their names first appear.
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// The section called `name`, ignoring case.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.by_name
            .get(&fold(name))
            .and_then(|&i| self.sections.get(i))
    }

    /// The section called `name`, which line `line` refers to; a
    /// [`InfError::MissingSection`] when there is none.
    pub(crate) fn section_at(&self, name: &str, line: usize) -> Result<&Section, InfError> {
        self.section(name).ok_or_else(|| InfError::MissingSection {
            line,
            section: name.to_owned(),
        })
    }

    /// The first field of the first line keyed `key` in `section`.
    pub fn value(&self, section: &str, key: &str) -> Option<&str> {
        self.section(section)?
            .keyed(key)
            .next()?
            .fields
            .first()
            .map(String::as_str)
    }

    /// The `[Strings]` value of `key` (unsubstituted, as SetupAPI uses it).
    pub fn string(&self, key: &str) -> Option<&str> {
        Some(self.section("Strings")?.keyed(key).next()?.field(0))
    }

    fn add_section(&mut self, name: String, line: usize) -> usize {
        let folded = fold(&name);
        if let Some(&index) = self.by_name.get(&folded) {
            return index;
        }
        self.sections.push(Section {
            name,
            line,
            lines: Vec::new(),
        });
        let index = self.sections.len() - 1;
        self.by_name.insert(folded, index);
        index
    }

    fn substitute(&mut self) {
        let strings_index = self.by_name.get("strings").copied();
        let mut table: HashMap<String, String> = HashMap::new();
        if let Some(strings) = strings_index.and_then(|i| self.sections.get(i)) {
            for line in &strings.lines {
                if let Some(key) = &line.key {
                    let value = line.fields.first().cloned().unwrap_or_default();
                    table.entry(fold(key)).or_insert(value);
                }
            }
        }
        for (index, section) in self.sections.iter_mut().enumerate() {
            if Some(index) == strings_index {
                continue;
            }
            for line in &mut section.lines {
                if let Some(key) = &mut line.key {
                    *key = substitute(key, &table);
                }
                for field in &mut line.fields {
                    *field = substitute(field, &table);
                }
            }
        }
    }
}

/// Replaces `%name%` from `table` (keys folded), `%%` by `%`; unknown names
/// and an unpaired `%` stay as written. Replacement text is not rescanned.
fn substitute(text: &str, table: &HashMap<String, String>) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('%') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('%') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &after[..end];
        if name.is_empty() {
            out.push('%');
        } else if let Some(value) = table.get(&fold(name)) {
            out.push_str(value);
        } else {
            out.push('%');
            out.push_str(name);
            out.push('%');
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

struct Tokenizer<'a> {
    chars: &'a [char],
    pos: usize,
    /// Current physical line (1-based).
    line: usize,
}

/// The field being built: its text and how much of it to keep if only
/// whitespace follows.
#[derive(Default)]
struct FieldBuf {
    text: String,
    keep: usize,
    started: bool,
}

impl FieldBuf {
    fn push_significant(&mut self, c: char) {
        self.text.push(c);
        self.keep = self.text.len();
        self.started = true;
    }

    fn take(&mut self) -> String {
        self.text.truncate(self.keep);
        let text = std::mem::take(&mut self.text);
        *self = FieldBuf::default();
        text
    }
}

fn is_blank(c: char) -> bool {
    c != '\n' && c.is_whitespace()
}

impl Tokenizer<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_to_eol(&mut self) {
        while self.peek().is_some_and(|c| c != '\n') {
            self.pos += 1;
        }
    }

    fn run(mut self) -> Result<Inf, InfError> {
        let mut inf = Inf {
            sections: Vec::new(),
            by_name: HashMap::new(),
        };
        let mut current: Option<usize> = None;
        while let Some(c) = self.peek() {
            match c {
                '\n' => {
                    self.pos += 1;
                    self.line += 1;
                }
                c if is_blank(c) => self.pos += 1,
                ';' => self.skip_to_eol(),
                '[' => {
                    let line = self.line;
                    let name = self.section_name()?;
                    current = Some(inf.add_section(name, line));
                    self.skip_to_eol();
                }
                _ => {
                    let Some(index) = current else {
                        return Err(InfError::Syntax {
                            line: self.line,
                            problem: "text before the first [section] header".into(),
                        });
                    };
                    let line = self.logical_line()?;
                    if let Some(section) = inf.sections.get_mut(index) {
                        section.lines.push(line);
                    }
                }
            }
        }
        Ok(inf)
    }

    fn section_name(&mut self) -> Result<String, InfError> {
        self.pos += 1; // '['
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c == '\n' {
                break;
            }
            if c == ']' {
                let name: String = self.chars[start..self.pos].iter().collect();
                self.pos += 1;
                let problem = if name.is_empty() {
                    "empty section name"
                } else if name.chars().count() > MAX_SECTION_NAME_LEN {
                    "section name longer than 255 characters"
                } else {
                    return Ok(name);
                };
                return Err(InfError::Syntax {
                    line: self.line,
                    problem: problem.into(),
                });
            }
            self.pos += 1;
        }
        Err(InfError::Syntax {
            line: self.line,
            problem: "section name has no closing ']'".into(),
        })
    }

    /// Reads one logical line starting at a non-blank, non-comment char.
    fn logical_line(&mut self) -> Result<Line, InfError> {
        let line = self.line;
        let mut key = None;
        let mut fields = Vec::new();
        let mut field = FieldBuf::default();
        let mut key_possible = true;
        while let Some(c) = self.peek() {
            match c {
                '\n' => break,
                ';' => {
                    self.skip_to_eol();
                    break;
                }
                '"' => self.quoted(&mut field)?,
                '\\' => {
                    if self.continuation() {
                        // Blanks before the backslash do not survive the join.
                        field.text.truncate(field.keep);
                    } else {
                        field.push_significant('\\');
                        self.pos += 1;
                    }
                }
                '=' if key_possible => {
                    key = Some(field.take());
                    key_possible = false;
                    self.pos += 1;
                }
                ',' => {
                    fields.push(field.take());
                    key_possible = false;
                    self.pos += 1;
                }
                c if is_blank(c) => {
                    if field.started {
                        field.text.push(c);
                    }
                    self.pos += 1;
                }
                c => {
                    field.push_significant(c);
                    self.pos += 1;
                }
            }
        }
        fields.push(field.take());
        Ok(Line { key, fields, line })
    }

    /// At an unquoted `\`: if only blanks, more backslashes or a comment
    /// follow on this line, consumes through the next line's leading blanks
    /// and returns true.
    fn continuation(&mut self) -> bool {
        let mut p = self.pos + 1;
        while let Some(&c) = self.chars.get(p) {
            if c == '\\' || is_blank(c) {
                p += 1;
            } else {
                break;
            }
        }
        if self.chars.get(p) == Some(&';') {
            while self.chars.get(p).is_some_and(|&c| c != '\n') {
                p += 1;
            }
        }
        match self.chars.get(p) {
            None => {
                self.pos = p;
                true
            }
            Some('\n') => {
                self.pos = p + 1;
                self.line += 1;
                while self.peek().is_some_and(is_blank) {
                    self.pos += 1;
                }
                true
            }
            Some(_) => false,
        }
    }

    /// At an opening `"`: appends the quoted text to `field`.
    fn quoted(&mut self, field: &mut FieldBuf) -> Result<(), InfError> {
        self.pos += 1;
        field.started = true;
        while let Some(c) = self.peek() {
            match c {
                '\n' => break,
                '"' if self.chars.get(self.pos + 1) == Some(&'"') => {
                    field.text.push('"');
                    self.pos += 2;
                }
                '"' => {
                    self.pos += 1;
                    field.keep = field.text.len();
                    return Ok(());
                }
                c => {
                    field.text.push(c);
                    self.pos += 1;
                }
            }
        }
        Err(InfError::Syntax {
            line: self.line,
            problem: "quoted string has no closing '\"'".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_rules() {
        let table: HashMap<String, String> =
            [("a".to_string(), "x%y".to_string())].into_iter().collect();
        assert_eq!(substitute("%A%-%%-%b%-%", &table), "x%y-%-%b%-%");
        assert_eq!(substitute("%%a%%", &table), "%a%");
    }
}
