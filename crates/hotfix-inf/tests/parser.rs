//! The generic INF parser: syntax edge cases and errors.

use hotfix_inf::{Inf, InfError, Line};

fn parse(text: &str) -> Inf {
    Inf::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn fields(inf: &Inf, section: &str, index: usize) -> Vec<String> {
    inf.section(section).unwrap().lines[index].fields.clone()
}

#[test]
fn quotes_commas_semicolons_and_escapes() {
    let inf =
        parse("[S]\r\nk = \"a,b;c\" , \"say \"\"hi\"\"\" ; comment\r\n\"x\"y\" z\" , a\"=\"b\r\n");
    let s = inf.section("s").unwrap();
    assert_eq!(
        s.lines[0],
        Line {
            key: Some("k".into()),
            fields: vec!["a,b;c".into(), "say \"hi\"".into()],
            line: 2
        }
    );
    // Quoted parts join unquoted ones; a quoted '=' is no key separator.
    assert_eq!(s.lines[1].key, None);
    assert_eq!(s.lines[1].fields, vec!["xy z", "a=b"]);
}

#[test]
fn whitespace_empty_fields_and_keys_with_spaces() {
    let inf = parse("[S]\nmy key  =  a b ,, \" c \" ,\nplain\nk=\n");
    let s = inf.section("S").unwrap();
    assert_eq!(s.lines[0].key.as_deref(), Some("my key"));
    assert_eq!(s.lines[0].fields, vec!["a b", "", " c ", ""]);
    assert_eq!(s.lines[1].key, None);
    assert_eq!(s.lines[1].fields, vec!["plain"]);
    assert_eq!(s.lines[2].fields, vec![""]);
    assert_eq!(inf.value("s", "MY KEY"), Some("a b"));
    // A comma before '=' means the line has no key.
    let inf = parse("[S]\na,b=c\n");
    assert_eq!(inf.section("S").unwrap().lines[0].key, None);
    assert_eq!(fields(&inf, "S", 0), vec!["a", "b=c"]);
}

#[test]
fn string_substitution() {
    let inf = parse(
        "[Version]\nSignature=\"$Windows NT$\"\n[S]\n%Key%=%NAME%\\%name%, 100%%, %unknown%, 50%\n\
         [Strings]\nname = \"Hot Fix\"\nkey=K\nraw=\"%name%\"\n",
    );
    let line = &inf.section("S").unwrap().lines[0];
    assert_eq!(line.key.as_deref(), Some("K"));
    assert_eq!(
        line.fields,
        vec!["Hot Fix\\Hot Fix", "100%", "%unknown%", "50%"]
    );
    assert_eq!(inf.string("NAME"), Some("Hot Fix"));
    // [Strings] values are not substituted themselves.
    assert_eq!(inf.string("raw"), Some("%name%"));
    assert_eq!(inf.string("missing"), None);
}

#[test]
fn continuation_and_comments() {
    let inf = parse(
        "; header comment\n\n[S] ; trailing\nk = a, \\  \n   b,\\ ; comment here\n c\npath = C:\\dir\\file\nend = x\\\n",
    );
    let s = inf.section("S").unwrap();
    assert_eq!(s.lines[0].fields, vec!["a", "b", "c"]);
    assert_eq!(s.lines[0].line, 4);
    assert_eq!(s.lines[1].fields, vec!["C:\\dir\\file"]);
    assert_eq!(s.lines[1].line, 7);
    // A backslash at end of file just ends the line.
    assert_eq!(s.lines[2].fields, vec!["x"]);
}

#[test]
fn duplicate_sections_merge_case_insensitively() {
    let inf = parse("[Files]\na.dll\n[Other]\nx=1\n[FILES]\nb.dll\n");
    assert_eq!(inf.sections().len(), 2);
    let files = inf.section("files").unwrap();
    assert_eq!(files.name, "Files");
    assert_eq!(files.line, 1);
    let names: Vec<_> = files.lines.iter().map(|l| l.fields[0].as_str()).collect();
    assert_eq!(names, ["a.dll", "b.dll"]);
    assert_eq!(files.lines[1].line, 6);
    assert_eq!(inf.value("OTHER", "X"), Some("1"));
    assert!(inf.section("nope").is_none());
}

#[test]
fn encodings() {
    let text = "[Strings]\r\nname=\"caf\u{e9}\"\r\n";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(Inf::parse(&utf16).unwrap().string("name"), Some("café"));
    let cp1252 = b"[Strings]\r\nname=\"caf\xE9\"\r\n";
    assert_eq!(Inf::parse(cp1252).unwrap().string("name"), Some("café"));
    let mut utf8_bom = vec![0xEF, 0xBB, 0xBF];
    utf8_bom.extend(text.as_bytes());
    assert_eq!(Inf::parse(&utf8_bom).unwrap().string("name"), Some("café"));
    assert_eq!(
        Inf::parse(text.as_bytes()).unwrap().string("name"),
        Some("café")
    );
    // Ctrl-Z ends the file.
    let inf = Inf::parse(b"[S]\na\n\x1a[T]\nb\n").unwrap();
    assert!(inf.section("T").is_none());
}

#[test]
fn errors_carry_line_numbers() {
    let cases: [(&str, InfError); 4] = [
        (
            "; ok\n\nstray = 1\n[S]\n",
            InfError::Syntax {
                line: 3,
                problem: "text before the first [section] header".into(),
            },
        ),
        (
            "[S]\na=1\nb=\"open\n",
            InfError::Syntax {
                line: 3,
                problem: "quoted string has no closing '\"'".into(),
            },
        ),
        (
            "[S]\n\n[Broken\n",
            InfError::Syntax {
                line: 3,
                problem: "section name has no closing ']'".into(),
            },
        ),
        (
            "[S]\n[]\n",
            InfError::Syntax {
                line: 2,
                problem: "empty section name".into(),
            },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(
            Inf::parse(text.as_bytes()).unwrap_err(),
            expected,
            "{text:?}"
        );
    }
    let long = format!("[{}]\n", "x".repeat(256));
    assert!(matches!(
        Inf::parse(long.as_bytes()),
        Err(InfError::Syntax { line: 1, .. })
    ));
    let err = Inf::parse(b"[S]\n\"\\\n\"").unwrap_err().to_string();
    assert!(err.contains("line 2"), "{err}");
}
