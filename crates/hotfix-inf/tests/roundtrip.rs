//! `UpdateInf::to_text` → `UpdateInf::parse` round trip over generated models.

use hotfix_inf::{
    CmpOp, Condition, Conditional, CopyFile, DestDir, RegData, RegLine, RegRoot, UpdateInf,
};
use hotfix_model::FileVersion;
use proptest::prelude::*;

/// Any text an INF field can hold (no line feed, NUL or Ctrl-Z).
fn text() -> impl Strategy<Value = String> {
    "[^\\n\\x00\\x1a]{0,10}"
}

fn nonempty() -> impl Strategy<Value = String> {
    "[^\\n\\x00\\x1a]{1,10}"
}

fn root() -> impl Strategy<Value = RegRoot> {
    prop_oneof![
        Just(RegRoot::Hklm),
        Just(RegRoot::Hkcu),
        Just(RegRoot::Hkcr),
        Just(RegRoot::Hku)
    ]
}

fn op() -> impl Strategy<Value = CmpOp> {
    prop_oneof![
        Just(CmpOp::Exists),
        Just(CmpOp::Gt),
        Just(CmpOp::Ge),
        Just(CmpOp::Lt),
        Just(CmpOp::Le),
        Just(CmpOp::Eq)
    ]
}

fn leaf() -> impl Strategy<Value = Condition> {
    let filever = (text(), text(), op(), any::<[u16; 4]>()).prop_map(|(section, file, op, v)| {
        let version = (op != CmpOp::Exists).then(|| FileVersion::new(v[0], v[1], v[2], v[3]));
        Condition::CheckFilever {
            section,
            file,
            op,
            version,
        }
    });
    let reg = (
        root(),
        text(),
        proptest::option::of(nonempty()),
        op(),
        text(),
    )
        .prop_map(
            |(root, key, value_name, op, expected)| Condition::CheckReg {
                root,
                key,
                value_name,
                op,
                expected: (op != CmpOp::Exists).then_some(expected),
            },
        );
    prop_oneof![filever, reg]
}

fn condition() -> impl Strategy<Value = Condition> {
    leaf().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Condition::And),
            prop::collection::vec(inner, 2..4).prop_map(Condition::Or),
        ]
    })
}

/// The canonical form `from_inf` produces: a leading child of the same kind
/// is spliced in.
fn canon(c: Condition) -> Condition {
    let splice = |list: Vec<Condition>, is_and: bool| {
        let mut list: Vec<Condition> = list.into_iter().map(canon).collect();
        let first = list.remove(0);
        let mut out = match (first, is_and) {
            (Condition::And(v), true) | (Condition::Or(v), false) => v,
            (other, _) => vec![other],
        };
        out.extend(list);
        out
    };
    match c {
        Condition::And(v) => Condition::And(splice(v, true)),
        Condition::Or(v) => Condition::Or(splice(v, false)),
        leaf => leaf,
    }
}

/// Copy files in 0..3 sections named `<prefix><n>`.
fn copy_files(prefix: &'static str) -> impl Strategy<Value = Vec<CopyFile>> {
    let section = (
        any::<u32>(),
        proptest::option::of(nonempty()),
        prop::collection::vec(
            (nonempty(), proptest::option::of(nonempty()), any::<u32>()),
            1..3,
        ),
    );
    prop::collection::vec(section, 0..3).prop_map(move |sections| {
        let mut out = Vec::new();
        for (i, (dirid, subdir, files)) in sections.into_iter().enumerate() {
            for (target, source, flags) in files {
                out.push(CopyFile {
                    section: format!("{prefix}{i}"),
                    dest: DestDir {
                        dirid,
                        subdir: subdir.clone(),
                    },
                    source: source.unwrap_or_else(|| target.clone()),
                    target,
                    flags,
                });
            }
        }
        out
    })
}

fn add_reg() -> impl Strategy<Value = RegLine> {
    let typed = prop_oneof![
        text().prop_map(|s| (0, RegData::Sz(s))),
        text().prop_map(|s| (0x20000, RegData::ExpandSz(s))),
        prop::collection::vec(text(), 1..3).prop_map(|v| (0x10000, RegData::MultiSz(v))),
        any::<u32>().prop_map(|n| (0x10001, RegData::Dword(n))),
        prop::collection::vec(any::<u8>(), 1..6).prop_map(|b| (0x1, RegData::Binary(b))),
        prop::collection::vec(any::<u8>(), 1..6).prop_map(|b| (0xB0001, RegData::Binary(b))),
        Just((0, RegData::None)),
    ];
    (
        root(),
        text(),
        proptest::option::of(nonempty()),
        typed,
        0u32..32,
    )
        .prop_map(|(root, key, value_name, (kind, data), modifiers)| RegLine {
            root,
            key,
            value_name,
            flags: kind | (modifiers & 0x1E),
            data,
            line: 0,
        })
}

fn del_reg() -> impl Strategy<Value = RegLine> {
    let data = prop_oneof![Just(RegData::None), text().prop_map(RegData::Sz)];
    (
        root(),
        text(),
        proptest::option::of(nonempty()),
        any::<u32>(),
        data,
    )
        .prop_map(|(root, key, value_name, flags, data)| RegLine {
            root,
            key,
            value_name,
            flags,
            data,
            line: 0,
        })
}

fn update_inf() -> impl Strategy<Value = UpdateInf> {
    let numbers = prop::array::uniform6(proptest::option::of(any::<u32>()));
    let strings = prop::collection::vec(("[A-Za-z][A-Za-z0-9_]{0,6}", text()), 0..4);
    let conditionals = prop::collection::vec((condition(), copy_files("Cond.Files")), 0..3);
    (
        (
            text(),
            numbers,
            nonempty(),
            proptest::option::of(text()),
            strings,
        ),
        (
            copy_files("Always.Files"),
            copy_files("Replace.Files"),
            conditionals,
        ),
        (
            prop::collection::vec(add_reg(), 0..5),
            prop::collection::vec(del_reg(), 0..3),
        ),
    )
        .prop_map(
            |((signature, n, short_title, title, raw_strings), copies, regs)| {
                let (copy_always, replace_if_exist, conds) = copies;
                let mut strings: Vec<(String, String)> = Vec::new();
                for (key, value) in raw_strings {
                    let k = format!("S_{key}");
                    if !strings.iter().any(|(x, _)| x.eq_ignore_ascii_case(&k)) {
                        strings.push((k, value));
                    }
                }
                strings.push(("SP_SHORT_TITLE".into(), short_title.clone()));
                if let Some(t) = &title {
                    strings.push(("SP_TITLE".into(), t.clone()));
                }
                // Conditional copy sections get distinct names per conditional.
                let conditionals = conds
                    .into_iter()
                    .enumerate()
                    .map(|(i, (condition, mut copy_files))| {
                        copy_files
                            .iter_mut()
                            .for_each(|f| f.section = format!("{}.{i}", f.section));
                        Conditional {
                            condition,
                            copy_files,
                        }
                    })
                    .collect();
                UpdateInf {
                    signature,
                    nt_build_to_update: n[0],
                    nt_major: n[1],
                    nt_minor: n[2],
                    min_sp: n[3],
                    max_sp: n[4],
                    language_type: n[5],
                    short_title,
                    title,
                    strings,
                    copy_always,
                    replace_if_exist,
                    conditionals,
                    add_reg: regs.0,
                    del_reg: regs.1,
                }
            },
        )
}

fn without_lines(mut u: UpdateInf) -> UpdateInf {
    u.add_reg
        .iter_mut()
        .chain(u.del_reg.iter_mut())
        .for_each(|r| r.line = 0);
    u
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn to_text_round_trips(original in update_inf()) {
        let mut expected = original.clone();
        for c in &mut expected.conditionals {
            c.condition = canon(c.condition.clone());
        }
        let bytes = original.to_bytes();
        let read = UpdateInf::parse(&bytes)
            .unwrap_or_else(|e| panic!("{e}\n{}", original.to_text()));
        prop_assert_eq!(without_lines(read.clone()), expected);
        // Writing what was read changes nothing; from the second write on,
        // even the registry line numbers are stable.
        let again = UpdateInf::parse(&read.to_bytes()).unwrap();
        prop_assert_eq!(without_lines(again.clone()), without_lines(read.clone()));
        prop_assert_eq!(UpdateInf::parse(&again.to_bytes()).unwrap(), again);
        let text = read.to_text();
        prop_assert_eq!(text.matches('\n').count(), text.matches("\r\n").count());
    }
}
