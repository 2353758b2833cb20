//! What hotfix writes and says, in the languages the localized originals
//! spoke: plain catalogs, one [`Msg`] key to one string per [`Lang`].
//!
//! Two audiences pick the language differently. Logs (`svcpack.log`,
//! `KBnnnnnn.log`), registry strings (Add/Remove Programs, the HotFix key)
//! and the Qfecheck report follow the *image's* language, as a Japanese
//! Update.exe wrote Japanese into a Japanese system: [`Lang::of`]. The
//! command line's own messages follow the *user's* locale (`LC_ALL`,
//! `LC_MESSAGES`, `LANG`): [`Lang::from_env`].
//!
//! Templates take positional arguments `{0}`, `{1}`, … ([`Lang::fmt`]).
//! Which Japanese strings are the originals' and which are ours is listed in
//! `docs/fidelity.md`. Start at [`Msg`], then `catalog.rs`.
#![deny(missing_docs)]

mod catalog;
mod help;

pub use catalog::Msg;

use hotfix_model::Language;

/// A language with a catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// English (every language without a catalog falls back to it, as an
    /// English Update.exe was what other systems got for most packages).
    #[default]
    Enu,
    /// Japanese.
    Jpn,
}

impl Lang {
    /// The catalog for a system's install language.
    pub fn of(language: Language) -> Self {
        if language.primary() == Language::JPN.primary() {
            Self::Jpn
        } else {
            Self::Enu
        }
    }

    /// The catalog for a POSIX locale name (`ja_JP.UTF-8`, `ja`, `C`).
    pub fn from_locale(locale: &str) -> Self {
        if locale
            .get(..2)
            .is_some_and(|p| p.eq_ignore_ascii_case("ja"))
        {
            Self::Jpn
        } else {
            Self::Enu
        }
    }

    /// The user's language: the first of `LC_ALL`, `LC_MESSAGES`, `LANG`
    /// that is set and not empty (POSIX precedence); English without one.
    pub fn from_env() -> Self {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| !v.is_empty())
            .map_or(Self::Enu, |v| Self::from_locale(&v))
    }

    /// The text of `msg`, placeholders untouched.
    pub fn text(self, msg: Msg) -> &'static str {
        let (enu, jpn) = msg.texts();
        match self {
            Self::Enu => enu,
            Self::Jpn => jpn,
        }
    }

    /// `msg` with `{0}`, `{1}`, … replaced by `args` in one pass (an
    /// argument that itself contains `{1}` is not expanded again).
    pub fn fmt(self, msg: Msg, args: &[&str]) -> String {
        let template = self.text(msg);
        let mut out = String::with_capacity(template.len() + 16);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let arg = after.find('}').and_then(|close| {
                let i: usize = after[..close].parse().ok()?;
                Some((args.get(i)?, close))
            });
            match arg {
                Some((a, close)) => {
                    out.push_str(a);
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// Update.exe's `/?` text, in its layout.
    pub fn update_help(self) -> &'static str {
        help::update_help(self)
    }
}

#[cfg(test)]
mod tests {
    use super::{Lang, Msg};
    use hotfix_model::Language;

    #[test]
    fn languages_pick_catalogs() {
        assert_eq!(Lang::of(Language::JPN), Lang::Jpn);
        assert_eq!(Lang::of(Language::ENU), Lang::Enu);
        assert_eq!(Lang::of("DEU".parse().unwrap()), Lang::Enu);
        assert_eq!(Lang::from_locale("ja_JP.UTF-8"), Lang::Jpn);
        assert_eq!(Lang::from_locale("JA"), Lang::Jpn);
        assert_eq!(Lang::from_locale("C.UTF-8"), Lang::Enu);
        assert_eq!(Lang::from_locale(""), Lang::Enu);
    }

    #[test]
    fn the_seed_000_cancel_line() {
        assert_eq!(
            Lang::Jpn.fmt(Msg::SetupCanceled, &["Service Pack 2"]),
            "Service Pack 2 セットアップが取り消されました。"
        );
        assert_eq!(
            Lang::Enu.fmt(Msg::SetupCanceled, &["Service Pack 2"]),
            "Service Pack 2 Setup canceled."
        );
        assert_eq!(
            Lang::Jpn.fmt(Msg::ParentDisplayName, &["Windows XP"]),
            "Windows XP - ソフトウェアの更新"
        );
    }

    #[test]
    fn placeholders_expand_once_and_odd_braces_stay() {
        assert_eq!(
            Lang::Enu.fmt(Msg::MessageDisplayed, &["{0} x"]),
            "Message displayed to the user: {0} x"
        );
        assert_eq!(
            Lang::Enu.fmt(Msg::MessageDisplayed, &[]),
            "Message displayed to the user: {0}"
        );
    }

    #[test]
    fn every_message_has_both_texts_with_the_same_placeholders() {
        for &m in Msg::ALL {
            let (enu, jpn) = m.texts();
            assert!(!enu.is_empty() && !jpn.is_empty(), "{m:?}");
            for i in 0..4 {
                let p = format!("{{{i}}}");
                assert_eq!(enu.contains(&p), jpn.contains(&p), "{m:?} {p}");
            }
        }
    }
}
