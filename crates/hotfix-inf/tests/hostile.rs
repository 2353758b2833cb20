//! Hostile input: errors, never panics or hangs.

use hotfix_inf::{Inf, InfError, UpdateInf};
use proptest::prelude::*;

const HEAD: &str = "[Version]\nSignature=\"$Windows NT$\"\n[Strings]\nSP_SHORT_TITLE=KB1\n\
                    [ProductInstall.ExtendedConditional]\nConditionInstall=C0\n";

#[test]
fn unterminated_quote_is_an_error() {
    let err = UpdateInf::parse(format!("{HEAD}[X]\na=\"never closed, 1\n").as_bytes());
    assert!(
        matches!(err, Err(InfError::Syntax { line: 8, .. })),
        "{err:?}"
    );
}

#[test]
fn huge_line_parses() {
    let mut text = String::from("[S]\nk=");
    for _ in 0..500_000 {
        text.push_str("abcdefgh,");
    }
    let inf = Inf::parse(text.as_bytes()).unwrap();
    assert_eq!(inf.section("S").unwrap().lines[0].fields.len(), 500_001);
}

#[test]
fn condition_cycles_are_errors() {
    let cycle = format!(
        "{HEAD}[C0]\ncondition=SingleOp,C1\nConditionalOperations=E\n\
         [C1]\ncondition=SingleOp,C2\n[C2]\ncondition=AndOp,C1\n"
    );
    let err = UpdateInf::parse(cycle.as_bytes()).unwrap_err();
    assert_eq!(
        err,
        InfError::Invalid {
            line: 13,
            problem: "condition section [C1] refers back to itself".into()
        }
    );
    let self_ref = format!("{HEAD}[C0]\ncondition=SingleOp,c0\n");
    assert!(matches!(
        UpdateInf::parse(self_ref.as_bytes()),
        Err(InfError::Invalid { line: 8, .. })
    ));
}

#[test]
fn deep_and_wide_conditions_are_errors() {
    // A chain 100 deep.
    let mut deep = String::from(HEAD);
    for i in 0..100 {
        deep.push_str(&format!("[C{i}]\ncondition=SingleOp,C{}\n", i + 1));
    }
    let err = UpdateInf::parse(deep.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("nest deeper"), "{err}");

    // Fifteen levels, each naming the next eight times: 8^15 paths.
    let mut wide = String::from(HEAD);
    for i in 0..15 {
        let pairs = vec![format!("OrOp,C{}", i + 1); 8].join(",");
        wide.push_str(&format!("[C{i}]\ncondition=SingleOp,C{},{pairs}\n", i + 1));
    }
    wide.push_str("[C15]\ncondition=SingleOp,Ops\n[Ops]\nCheckFilever,F,a.dll,,\n");
    let err = UpdateInf::parse(wide.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("more than 4096 operands"), "{err}");
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = Inf::parse(&bytes);
        let _ = UpdateInf::parse(&bytes);
    }

    #[test]
    fn inf_like_text_never_panics(
        pieces in prop::collection::vec(
            prop_oneof![
                Just("["), Just("]"), Just("\""), Just("\"\""), Just(","), Just(";"),
                Just("="), Just("\\"), Just("\r\n"), Just("\n"), Just(" "), Just("%"),
                Just("\u{1a}"), Just("\0"), Just("é"), Just("Version"), Just("Strings"),
                Just("Signature"), Just("SP_SHORT_TITLE"), Just("CopyFiles"),
                Just("ProductInstall.CopyFilesAlways"), Just("DestinationDirs"),
                Just("ProductInstall.ExtendedConditional"), Just("ConditionInstall"),
                Just("condition"), Just("SingleOp"), Just("AndOp"), Just("CheckFilever"),
                Just("Product.Add.Reg"), Just("HKLM"), Just("0x10001"), Just("11"), Just("a"),
            ],
            0..200,
        )
    ) {
        let text: String = pieces.concat();
        let _ = Inf::parse(text.as_bytes());
        let _ = UpdateInf::parse(text.as_bytes());
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let _ = UpdateInf::parse(&utf16);
    }
}
