//! The catalogs: one line per message, English then Japanese.
//!
//! Lines marked *real* carry the originals' wording (the English and
//! Japanese logs and dialogs quoted in the reference and seed documents);
//! the others are ours, written in the same register. `docs/fidelity.md`
//! repeats the list. Log lines the Japanese originals left in English
//! (`Message displayed to the user:`, the extended-code lines) stay English
//! in both columns.

macro_rules! catalog {
    ($($(#[doc = $doc:literal])* $name:ident => $enu:literal, $jpn:literal;)*) => {
        /// A message; [`crate::Lang::text`] gives its text.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Msg {
            $($(#[doc = $doc])* $name,)*
        }

        impl Msg {
            /// Every message, for tests that check the catalogs whole.
            pub const ALL: &'static [Msg] = &[$(Msg::$name,)*];

            /// (English, Japanese).
            pub(crate) fn texts(self) -> (&'static str, &'static str) {
                match self {
                    $(Msg::$name => ($enu, $jpn),)*
                }
            }
        }
    };
}

catalog! {
    // --- service-pack setup: svcpack.log and its dialog's stages ---
    /// Stage 1 (real, both).
    StageInspect => "Inspecting your current configuration", "現在の構成を検査中";
    /// Stage 2 (real, both).
    StageDiskSpace => "Checking for available disk space", "必要な領域を確認しています";
    /// Stage 3 (real, both).
    StageBackupFiles => "Backing up files for uninstall", "ファイルのバックアップを作成しています";
    /// Stage 4 (English real; Japanese ours).
    StageBackupRegistry => "Backing up the registry", "レジストリのバックアップを作成しています";
    /// Stage 5 (English real; Japanese ours).
    StageRestorePoint => "Creating a restore point", "復元ポイントを作成しています";
    /// Stage 6 (English real; Japanese ours).
    StageInstall => "Installing", "インストールしています";
    /// Stage 7 (English real; Japanese ours).
    StagePostInstall => "Performing post-installation", "インストールの後処理を実行しています";
    /// Stage 8 (English real; Japanese ours).
    StageCleanup => "Cleaning up", "クリーンアップを実行しています";
    /// `{0}` = `Service Pack 2` (real, both: seed 000 and the 2003 SP2 log).
    SetupCanceled => "{0} Setup canceled.", "{0} セットアップが取り消されました。";
    /// `{0}` = `Service Pack 2`, `{1}` = the exit code (ours).
    SetupFinished => "{0} Setup finished (exit code {1})", "{0} セットアップが完了しました (終了コード {1})";
    /// `{0}` = the message (real; English in the Japanese log too).
    MessageDisplayed => "Message displayed to the user: {0}", "Message displayed to the user: {0}";
    /// The answer to the message box (real; English in the Japanese log).
    UserInputOk => "User Input: OK", "User Input: OK";
    /// `{0}` = `Windows XP Service Pack` (ours, after the real de-registering line).
    RegisteringUninstall => "Registering the Uninstall Program -> {0}", "Registering the Uninstall Program -> {0}";
    /// `{0}` = `Windows XP Service Pack` (real, English in the Japanese log).
    DeregisteringUninstall => "DeRegistering the Uninstall Program -> {0}, 0", "DeRegistering the Uninstall Program -> {0}, 0";
    /// `{0}` stage, `{1}` count, `{2}` folder (ours).
    BackedUpFiles => "{0}: {1} files backed up to {2}", "{0}: {1} 個のファイルを {2} にバックアップしました";
    /// `{0}` stage, `{1}` number, `{2}` description (ours).
    RestorePointCreated => "{0}: restore point {1} created: {2}", "{0}: 復元ポイント {1} を作成しました: {2}";
    /// The restore point's description; `{0}` = the SP's title (ours).
    RestorePointDescription => "Installed {0}", "{0} のインストール";
    /// After the restore point (ours).
    PointOfNoReturn => "Point of no return: from here on the install can no longer be cancelled; a crash is recovered by the journal", "これ以降はインストールを取り消すことはできません。中断された場合はジャーナルから回復されます";
    /// `{0}` stage, `{1}` files, `{2}` names, `{3}` directories (ours).
    InstalledSummary => "{0}: {1} files switched in, {2} new names, {3} directories (one transaction)", "{0}: {1} 個のファイルを置き換え、{2} 個の名前と {3} 個のフォルダを作成しました (1 つのトランザクション)";
    /// `{0}` = count (ours).
    FilesQueued => "{0} files are in use and were queued; run `hotfix restart` to finish", "{0} 個のファイルが使用中のため、再起動時に置き換えられます。完了するには `hotfix restart` を実行してください";
    /// The same SP run again: `{0}` `Service Pack 2`, `{1}` when the first run was (ours).
    SpInstalledAgain => "{0} is already installed (since {1}): setup runs again and replaces what is missing or older", "{0} は既にインストールされています ({1} 以降): セットアップを再実行し、不足しているファイルや古いファイルを置き換えます";
    /// Without `/norestart`: `{0}` queued operations processed at the end (ours).
    SpRestartedAtEnd => "Restart: the boot-time step processed {0} queued operations at the end of setup", "再起動: セットアップの最後に、キューに登録された {0} 個の操作を処理しました";
    /// `{0}` KB, `{1}` = `Service Pack 2` (ours).
    HotfixSuperseded => "{0}: its files are superseded by {1}", "{0}: このファイルは {1} に含まれています";
    /// `{0}` KB (ours).
    HotfixMigrated => "{0}: dual-mode update migrated to its post-SP1 files (see Xpsp1hfm.log)", "{0}: デュアル モード更新プログラムを SP1 以降のファイルに移行しました (Xpsp1hfm.log を参照)";
    /// A Ctrl-C after the restore point (ours).
    LateCancel => "Cancel requested after the point of no return: setup continues to the end", "取り消しが要求されましたが、この段階以降は取り消せないため、セットアップを最後まで続行します";
    /// Add/Remove Programs name of a service pack: `{0}` product, `{1}` `Service Pack 2` (ours; the localized SPs kept the English product name).
    SpDisplayName => "{0} {1}", "{0} {1}";

    // --- hotfixes: KBnnnnnn.log and the footprint ---
    /// Log header (real, English in every language).
    CommandLine => "Hotfix started with following command line: {0}", "Hotfix started with following command line: {0}";
    /// `{0}` kb, `{1}` title, `{2}` the system (ours).
    PackageOnSystem => "{0}: {1} on {2}", "{0}: {1} ({2})";
    /// Success, no restart (ours).
    InstallComplete => "Installation complete (exit code 0)", "インストールが完了しました (終了コード 0)";
    /// Success, restart needed (ours).
    InstallCompleteRestart => "Installation complete; a restart is required to finish (exit code 3010)", "インストールが完了しました。完了するには再起動が必要です (終了コード 3010)";
    /// Success, the restart step performed at the end (ours).
    InstallCompleteRestarted => "Installation complete; the restart step was performed (exit code 0)", "インストールが完了しました。再起動の処理を実行しました (終了コード 0)";
    /// `--dry-run` (ours).
    DryRun => "Dry run: nothing was changed", "ドライ ラン: 何も変更されていません";
    /// `{0}` kb, `{1}` reason (ours).
    NotApplicableSkipped => "{0} does not apply: {1}; skipped", "{0} はこのシステムには適用されません: {1}。スキップしました";
    /// `{0}` = the error (English real: "KB928843 Setup encountered an error: …"; Japanese ours).
    SetupError => "Setup encountered an error: {0}", "セットアップでエラーが発生しました: {0}";
    /// After a failed commit (ours).
    RunUndone => "Every change of this run was undone; the system is as it was before", "この実行による変更はすべて元に戻されました。システムは実行前の状態です";
    /// `{0}` = `0xf00d` (real; English in the Japanese log).
    ExtendedCode => "Update.exe extended error code = {0}", "Update.exe extended error code = {0}";
    /// (real; English in the Japanese log).
    MaskedCode => "Update.exe return code was masked to 0x643 for MSI custom action compliance.", "Update.exe return code was masked to 0x643 for MSI custom action compliance.";
    /// A package without a title: `{0}` product, `{1}` KB (real, both: "Windows XP 用の更新プログラム (KB886677)").
    DefaultTitle => "Update for {0} ({1})", "{0} 用の更新プログラム ({1})";
    /// `ParentDisplayName`; `{0}` product (real, both).
    ParentDisplayName => "{0} - Software Updates", "{0} - ソフトウェアの更新";
    /// How a security update's title reads (real, both: "Windows XP 用セキュリティ更新プログラム").
    TitleSecurity => "Security", "セキュリティ";
    /// How a hotfix's title begins (English real; Japanese "修正プログラム" from KB296861).
    TitleHotfix => "Hotfix for", "修正プログラム";

    // --- Qfecheck (`hotfix verify`) ---
    /// `{0}` product, `{1}` computer (English real; Japanese ours).
    QfeTitle => "{0} Hotfix Validation Report for \\\\{1}", "{0} 修正プログラム検証レポート: \\\\{1}";
    /// `{0}` date (English real; Japanese ours).
    QfeDate => "Report Date: {0}", "レポートの日付: {0}";
    /// `{0}` level (English real; Japanese ours).
    QfeSpLevel => "Current Service Pack Level: {0}", "現在の Service Pack レベル: {0}";
    /// (English real; Japanese ours).
    QfeIdentified => "Hotfixes Identified:", "確認された修正プログラム:";
    /// (English real; Japanese ours).
    QfeNone => "No Hotfixes found on system.", "修正プログラムはシステムに見つかりませんでした。";
    /// (English real; Japanese ours).
    QfeCurrent => "Current on system.", "システム上で最新です。";
    /// (ours).
    QfePending => "Pending restart.", "再起動を待っています。";
    /// (ours, both: the original's wording was not verified).
    QfeReinstall => "This hotfix should be reinstalled.", "この修正プログラムを再インストールしてください。";
    /// `{0}` = `Service Pack 2` (ours).
    QfeSuperseded => "Superseded by {0}.", "{0} に含まれています。";
    /// The level of an RTM system (ours).
    QfeNoServicePack => "No Service Pack", "Service Pack なし";
    /// `{0}` file (ours).
    QfeQueued => "{0} is queued for replacement at the next restart; run `hotfix restart`", "{0} は次回の再起動時に置き換えられます。`hotfix restart` を実行してください";
    /// `{0}` file, `{1}` what to reinstall (ours).
    QfeMissing => "{0} is missing; reinstall {1}", "{0} がありません。{1} を再インストールしてください";
    /// `{0}` file, `{1}` version on disk, `{2}` recorded, `{3}` what to reinstall (ours).
    QfeOlder => "{0} is {1}, older than {2} installed by the hotfix; reinstall {3}", "{0} のバージョン {1} は修正プログラムがインストールした {2} より古いです。{3} を再インストールしてください";
    /// `{0}` file, `{1}` what to reinstall (ours).
    QfeNoVersion => "{0} is missing or has no readable version; reinstall {1}", "{0} が存在しないか、バージョンを読み取れません。{1} を再インストールしてください";

    // --- the command line's own outcome lines (user's locale; ours) ---
    /// A dry run's plan, one file: `{0}` what would be done, `{1}` target, `{2}` version.
    CliPlanFile => "  {0}: {1} {2}", "  {0}: {1} {2}";
    /// Would be replaced now.
    CliPlanReplace => "replace", "置き換え";
    /// Would be queued for the restart (in use).
    CliPlanQueue => "queue for the restart (in use)", "再起動時に置き換え (使用中)";
    /// A KnownDLL would be swapped.
    CliPlanSwap => "swap (KnownDLL: the mapped copy moved aside)", "入れ替え (KnownDLL: 使用中のコピーを移動)";
    /// Skipped, not newer.
    CliPlanNotNewer => "skip (the copy on disk or queued is as new or newer)", "スキップ (ディスク上またはキュー内のコピーが同じか新しい)";
    /// Skipped, absent and only replaced if present.
    CliPlanAbsent => "skip (not on the system; the package only replaces files that exist)", "スキップ (システムにありません。このパッケージは既存のファイルのみ置き換えます)";
    /// A dry run's space check: `{0}` bytes needed, `{1}` bytes free.
    CliPlanSpace => "disk space: the commit needs {0} bytes, {1} bytes are free", "ディスク領域: 必要 {0} バイト、空き {1} バイト";
    /// Success.
    CliInstalled => "Installed (exit code 0).", "インストールが完了しました (終了コード 0)。";
    /// Success, restart needed.
    CliInstalledRestart => "Installed; some files are in use and were queued: run `hotfix restart` to finish (exit code 3010).", "インストールが完了しました。使用中のファイルは再起動時に置き換えられます。完了するには `hotfix restart` を実行してください (終了コード 3010)。";
    /// Without `/norestart`: `{0}` queued operations processed at the end (ours).
    CliInstalledRestarted => "Installed; the restart step ran at the end, as Update.exe restarted the machine: {0} queued operations processed (exit code 0).", "インストールが完了しました。Update.exe がコンピュータを再起動したときと同様に、最後に再起動の処理を実行しました: キューに登録された {0} 個の操作を処理しました (終了コード 0)。";
    /// `sp install` without `/norestart`: `{0}` operations (ours).
    CliSpRestarted => "the restart step ran at the end, as setup restarted the machine: {0} queued operations processed", "セットアップがコンピュータを再起動したときと同様に、最後に再起動の処理を実行しました: キューに登録された {0} 個の操作を処理しました";
    /// `sp install /norestart` with files queued (ours).
    CliSpRestartWaits => "a restart is needed: the queued files wait for `hotfix restart` (/norestart)", "再起動が必要です: キューに登録されたファイルは `hotfix restart` を待っています (/norestart)";
    /// `{0}` kb, `{1}` replaced, `{2}` deferred, `{3}` not newer, `{4}` absent, `{5}` branch note.
    CliPackageSummary => "{0}: {1} replaced, {2} deferred to restart, {3} not newer, {4} absent{5}", "{0}: 置換 {1}、再起動時に置換 {2}、新しくないため省略 {3}、対象なし {4}{5}";
    /// `{0}` branch folder.
    CliBranch => " (branch {0})", " (ブランチ {0})";
    /// `sp install`: `{0}` kb, `{1}` replaced, `{2}` added, `{3}` queued, `{4}` kept, `{5}` restore point.
    CliSpInstalled => "{0} installed: {1} files replaced, {2} added, {3} queued, {4} KnownDLLs swapped, {5} kept (newer on disk); restore point {6}", "{0} をインストールしました: 置換 {1}、追加 {2}、再起動時に置換 {3}、KnownDLL の入れ替え {4}、ディスク上の方が新しいため保持 {5}。復元ポイント {6}";
    /// `sp uninstall`: `{0}` kb, `{1}` restored, `{2}` removed.
    CliSpRemoved => "{0} removed: {1} files restored, {2} removed", "{0} を削除しました: 復元 {1}、削除 {2}";
    /// `{0}` kb, `{1}` reason.
    CliSkipped => "{0}: skipped, does not apply: {1}", "{0}: 適用されないためスキップしました: {1}";
    /// A refusal with no package named.
    CliNoPackage => "no package given: hotfix install --image DIR PKG... [/quiet /norestart ...]", "パッケージが指定されていません: hotfix install --image DIR PKG... [/quiet /norestart ...]";
    /// `verify` found hotfixes that are not current.
    CliNotCurrent => "some hotfixes are not current (see the report): run `hotfix restart` or reinstall them", "最新ではない修正プログラムがあります (レポートを参照): `hotfix restart` を実行するか、再インストールしてください";
    /// `{0}` where the Qfecheck log went.
    CliReportWritten => "Report written to {0}", "レポートを {0} に書き込みました";
    /// `{0}` the error.
    CliError => "error: {0}", "エラー: {0}";
    /// `{0}` the process exit code.
    CliExitCode => "exit code {0}", "終了コード {0}";
}
