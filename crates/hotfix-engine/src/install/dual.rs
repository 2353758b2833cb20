//! Dual-mode packages on XP RTM (KB328848): the `SP1\` side goes into place
//! like any payload, and the `SP2\` side is kept in
//! `%windir%\$xpsp1hfm$\KBnnnnnn\` in the same transaction, so that SP1's
//! setup (hotfix-sp) can migrate the fix to its post-SP1 build. The install
//! record lists every kept copy; uninstall removes the folder with it.

use hotfix_model::DualSide;

use super::Ctx;
use super::files::join;
use super::plan::{Layout, Target};
use crate::EngineError;
use crate::rank::{Facts, tag_number};
use crate::record::{DualStash, StashedFile};
use crate::view::Content;

/// `%windir%\$xpsp1hfm$`.
pub(crate) const XPSP1HFM_DIR: &str = "$xpsp1hfm$";

impl Ctx<'_, '_> {
    /// Keeps the `SP2\` copies of the targets when the package installs its
    /// `SP1\` side; `None` for every other package or level.
    pub(super) fn keep_post_sp1_side(
        &mut self,
        layout: &Layout,
        targets: &[Target],
    ) -> Result<Option<DualStash>, EngineError> {
        if layout.dual != Some(DualSide::Sp1) {
            return Ok(None);
        }
        let image = self.view.image();
        let dir = join(&join(image.windir(), XPSP1HFM_DIR), &self.kb);
        let mut files = Vec::new();
        for t in targets {
            let source = format!("{}\\{}", DualSide::Sp2.folder(), t.copy.source);
            if !self.pkg.has(&source) {
                continue;
            }
            let stash = join(&dir, &source.replace('\\', "/"));
            let file = self.pkg.file(&source)?;
            let size = file.len();
            let facts = Facts::of(&file.read()?);
            if !self.view.exists(&stash) {
                self.view.put(&stash, Content::Packaged(file));
            }
            files.push(StashedFile {
                target: t.rel.as_str().to_owned(),
                stash: stash.as_str().to_owned(),
                version: facts.rank.version.map(|v| v.to_string()),
                tag_rank: tag_number(facts.rank.tag),
                sha256: facts.rank.sha256.clone(),
                size,
            });
        }
        if files.is_empty() {
            return Ok(None);
        }
        self.log.line(format!(
            "Xpsp1hfm: dual-mode package; installed the pre-SP1 files and kept {} post-SP1 files in {} for Service Pack 1",
            files.len(),
            image.win_path(&dir)
        ));
        Ok(Some(DualStash {
            dir: dir.as_str().to_owned(),
            files,
            migrated_at_sp: None,
        }))
    }
}
