//! Update.exe's `/?` dialog as text. The first block (the switch summary)
//! is the genuine 6.x wording (`genuine-update-exe/README.md`); the
//! explanations below it are ours, in the dialog's layout: a heading per
//! group, one switch per line. The Japanese lines for the old one-letter
//! switches follow KB296861's Japanese table (seed 002).

use crate::Lang;

const ENU: &str = "\
AVAILABLE SWITCHES: [/help] [/quiet] [/passive] [/norestart] [/forcerestart] [/warnrestart] [/promptrestart] [/overwriteoem] [/nobackup] [/forceappsclose] [/integrate:<fullpath>] [/log:<fullpath>]

/help                     Show this text

SETUP MODES

/quiet                    Quiet mode: no user interaction and nothing shown
/passive                  Unattended mode: progress only

RESTART OPTIONS

/norestart                Do not restart when the installation is complete
/forcerestart             Restart after the installation
/warnrestart[:<seconds>]  Restart after the installation (nobody to warn offline)
/promptrestart            Restart after the installation (nobody to ask offline)

SPECIAL OPTIONS

/overwriteoem             Overwrite OEM files without prompting
/nobackup                 Do not back up the files needed to uninstall
/forceappsclose           Force other programs to close at shutdown
/integrate:<fullpath>     Integrate this update into the distribution share at <fullpath>
/log:<fullpath>           Write the installation log to <fullpath>
/extract[:<fullpath>]     Extract the files without installing them
/B:<branch>               Install the files of this branch (e.g. SP2QFE)

The old switches still work: -q (/quiet), -u (/passive), -z (/norestart),
-n (/nobackup), -o (/overwriteoem), -f (/forceappsclose), -l (list the
installed hotfixes), -x (/extract).
";

const JPN: &str = "\
AVAILABLE SWITCHES: [/help] [/quiet] [/passive] [/norestart] [/forcerestart] [/warnrestart] [/promptrestart] [/overwriteoem] [/nobackup] [/forceappsclose] [/integrate:<fullpath>] [/log:<fullpath>]

/help                     このヘルプを表示します

セットアップ モード

/quiet                    Quiet モードを使用します (ユーザー入力を必要としません)。
/passive                  無人セットアップ モードを使用します (進行状況のみ表示します)。

再起動オプション

/norestart                インストールの完了後にコンピュータを再起動しません。
/forcerestart             インストールの完了後に再起動します。
/warnrestart[:<seconds>]  インストールの完了後に再起動します (オフラインでは警告する相手がいません)。
/promptrestart            インストールの完了後に再起動します (オフラインでは確認する相手がいません)。

特殊オプション

/overwriteoem             OEM ファイルを確認なしで上書きします。
/nobackup                 修正プログラムの削除に使用するバックアップ ファイルを作成しません。
/forceappsclose           シャットダウン時に他のプログラムを終了します。
/integrate:<fullpath>     この更新プログラムを <fullpath> の配布共有に統合します。
/log:<fullpath>           インストール ログを <fullpath> に書き込みます。
/extract[:<fullpath>]     インストールせずにファイルを展開します。
/B:<branch>               このブランチのファイルをインストールします (例: SP2QFE)。

以前のスイッチも使用できます: -q (/quiet)、-u (/passive)、-z (/norestart)、
-n (/nobackup)、-o (/overwriteoem)、-f (/forceappsclose)、
-l (インストールされている修正プログラムの一覧を表示します)、-x (/extract)。
";

pub(crate) fn update_help(lang: Lang) -> &'static str {
    match lang {
        Lang::Enu => ENU,
        Lang::Jpn => JPN,
    }
}
