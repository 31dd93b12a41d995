//! `s3mr` and the real aws CLI (awscli from PyPI) run side by side on the same starting state,
//! in the same working directory, against the emulator: the printed lines, exit codes and
//! results must be the same, so a script switches from `aws s3` to `s3mr` without a diff.
//! Each tool works under its own prefix (`aws/`, `mr/`); the lines are compared with the prefix
//! written `P`.

use std::path::Path;

use crate::common::command;
use s3mr_emulator::Emulator;

/// (exit code, stdout, stderr)
type Ran = (i32, String, String);

async fn emulator() -> Emulator {
    Emulator::builder()
        .region("us-east-1")
        .start()
        .await
        .unwrap()
}

/// `aws s3 args...` in `cwd`, pointed at the emulator, with nothing of this machine's AWS
/// configuration.
async fn aws(emu: &Emulator, cwd: &Path, args: &[String]) -> Ran {
    let (ak, sk) = emu.credentials();
    let out = tokio::process::Command::new("python3")
        .args(["-m", "awscli", "s3"])
        .args(args)
        .args(["--endpoint-url", &emu.endpoint("us-east-1")])
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", cwd)
        .env("AWS_CONFIG_FILE", cwd.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            cwd.join("no-aws-credentials"),
        )
        .env("AWS_ACCESS_KEY_ID", ak)
        .env("AWS_SECRET_ACCESS_KEY", sk)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .await
        .expect("python3 -m awscli (scripts/test.sh installs awscli)");
    finished(out)
}

async fn s3mr(emu: &Emulator, cwd: &Path, args: &[String]) -> Ran {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = command(emu, &args).current_dir(cwd).output().await.unwrap();
    finished(out)
}

fn finished(out: std::process::Output) -> Ran {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `template` with `{P}` as the tool's prefix and `{ABS}` as the working directory; transfers
/// get `--no-progress` (the aws CLI draws its progress even on a pipe, mixed into the lines).
fn args(template: &[&str], prefix: &str, cwd: &Path) -> Vec<String> {
    let mut args: Vec<String> = template
        .iter()
        .map(|a| {
            a.replace("{P}", prefix)
                .replace("{ABS}", cwd.to_str().unwrap())
        })
        .collect();
    if ["cp", "mv", "sync"].contains(&template[0]) {
        args.push("--no-progress".into());
    }
    args
}

/// Lines with the tool's prefix written `P`, sorted (parallel transfers finish in any order).
fn lines(stdout: &str, prefix: &str) -> Vec<String> {
    let mut lines: Vec<String> = stdout.lines().map(|l| l.replace(prefix, "P")).collect();
    lines.sort();
    lines
}

/// Runs each template with both tools, in order, and asserts the same exit code and the same
/// lines on standard output.
async fn same_lines(emu: &Emulator, cwd: &Path, templates: &[&[&str]]) {
    for template in templates {
        let theirs = aws(emu, cwd, &args(template, "aws", cwd)).await;
        let ours = s3mr(emu, cwd, &args(template, "mr", cwd)).await;
        assert_eq!(
            (ours.0, lines(&ours.1, "mr")),
            (theirs.0, lines(&theirs.1, "aws")),
            "{template:?}\ns3mr stderr: {}\naws stderr: {}",
            ours.2,
            theirs.2
        );
    }
}

fn write(path: &Path, body: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, body).unwrap();
}

/// Local paths print relative to the working directory whatever form was typed (`s/b.txt`,
/// `./s/b.txt`, absolute), a file in it as `./b.txt`, one beside it as `../other/c.txt`; on
/// uploads, downloads, syncs both ways, mv and rm.
#[tokio::test]
async fn printed_paths_are_the_aws_clis() {
    let emu = emulator().await;
    emu.seed_bucket("sbs", "us-east-1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().join("work");
    write(&cwd.join("s/b.txt"), "b");
    write(&cwd.join("s/deep/d.txt"), "d");
    write(&cwd.join("b.txt"), "top");
    write(&dir.path().join("other/c.txt"), "c");
    same_lines(
        &emu,
        &cwd,
        &[
            &["cp", "s/b.txt", "s3://sbs/{P}/one"],
            &["cp", "./s/b.txt", "s3://sbs/{P}/two"],
            &["cp", "{ABS}/s/b.txt", "s3://sbs/{P}/three"],
            &["cp", "b.txt", "s3://sbs/{P}/"],
            &["cp", "../other/c.txt", "s3://sbs/{P}/"],
            &["cp", "s3://sbs/{P}/one", "{P}-dl/one"],
            &["cp", "s3://sbs/{P}/two", "./{P}-dl/"],
            &["cp", "s3://sbs/{P}/three", "{ABS}/{P}-dl/three"],
            &["cp", "s3://sbs/{P}/c.txt", "."],
            &["sync", "s", "s3://sbs/{P}/tree/"],
            &["sync", "s3://sbs/{P}/tree/", "{P}-down"],
            &["sync", "./{P}-down", "s3://sbs/{P}/again/"],
            &["cp", "{ABS}/{P}-down", "s3://sbs/{P}/abs/", "--recursive"],
            &["mv", "{P}-dl/one", "s3://sbs/{P}/moved"],
            &["mv", "s3://sbs/{P}/moved", "{P}-back"],
            &["rm", "s3://sbs/{P}/two"],
        ],
    )
    .await;
}

/// Every key under `prefix` in bucket `sbs`, with the prefix written `P`.
async fn keys_under(emu: &Emulator, prefix: &str) -> Vec<String> {
    let listed = crate::common::plain_client(emu, "us-east-1")
        .list_objects_v2()
        .bucket("sbs")
        .prefix(prefix)
        .send()
        .await
        .unwrap();
    let mut keys: Vec<String> = listed
        .contents()
        .iter()
        .map(|o| o.key().unwrap().replacen(prefix, "P/", 1))
        .collect();
    keys.sort();
    keys
}

async fn put(emu: &Emulator, key: &str, body: &str) {
    crate::common::plain_client(emu, "us-east-1")
        .put_object()
        .bucket("sbs")
        .key(key)
        .body(body.as_bytes().to_vec().into())
        .send()
        .await
        .unwrap();
}

/// Directory markers (zero-byte keys ending in `/`, as the S3 console makes) in all three
/// directions, as the aws CLI treats them: S3 → local makes no directory (not even under
/// `--dryrun`), S3 → S3 `cp`/`sync`/`mv` copy nothing of them (and `sync` never exits 1 over
/// them), `sync --delete` keeps the destination's markers both from local and from S3; `rm
/// --recursive` deletes them. Lines, exit codes, keys left and local trees compared.
#[tokio::test]
async fn directory_markers_as_the_aws_cli() {
    let emu = emulator().await;
    emu.seed_bucket("sbs", "us-east-1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    for p in ["aws", "mr"] {
        for (key, body) in [
            ("src/a/", ""),
            ("src/a/f.txt", "f"),
            ("src/empty/", ""),
            ("s/keep/", ""),
            ("s/orphan.txt", "o"),
            ("up/keep/", ""),
            ("up/orphan.txt", "o"),
        ] {
            put(&emu, &format!("{p}/{key}"), body).await;
        }
        write(&cwd.join(format!("{p}-up/x.txt")), "x");
    }
    same_lines(
        &emu,
        cwd,
        &[
            &["sync", "s3://sbs/{P}/src/", "{P}-dry", "--dryrun"],
            &["sync", "s3://sbs/{P}/src/", "{P}-down"],
            &["cp", "s3://sbs/{P}/src/", "{P}-cp", "--recursive"],
            &["cp", "s3://sbs/{P}/src/", "s3://sbs/{P}/c/", "--recursive"],
            &["sync", "s3://sbs/{P}/src/", "s3://sbs/{P}/s/", "--delete"],
            &["sync", "s3://sbs/{P}/src/", "s3://sbs/{P}/s/", "--delete"],
            &["sync", "{P}-up", "s3://sbs/{P}/up/", "--delete"],
            &["mv", "s3://sbs/{P}/src/", "s3://sbs/{P}/m/", "--recursive"],
        ],
    )
    .await;
    assert_eq!(
        keys_under(&emu, "mr/").await,
        keys_under(&emu, "aws/").await
    );
    assert_eq!(
        keys_under(&emu, "mr/").await,
        [
            "P/c/a/f.txt",
            "P/m/a/f.txt",
            "P/s/a/f.txt",
            "P/s/keep/",
            "P/src/a/",
            "P/src/empty/",
            "P/up/keep/",
            "P/up/x.txt",
        ]
    );
    // One difference, on purpose: the aws CLI makes the (empty) destination directory even
    // under --dryrun; s3mr's --dryrun changes nothing.
    assert!(cwd.join("aws-dry").is_dir() && !cwd.join("mr-dry").exists());
    for tree in ["down", "cp"] {
        for tool in ["aws", "mr"] {
            let root = cwd.join(format!("{tool}-{tree}"));
            assert!(root.join("a/f.txt").is_file(), "{tool} {tree}");
            assert!(
                !root.join("empty").exists(),
                "{tool} {tree}: a marker makes nothing"
            );
        }
    }
    same_lines(&emu, cwd, &[&["rm", "s3://sbs/{P}/src/", "--recursive"]]).await;
    assert_eq!(keys_under(&emu, "mr/src/").await, Vec::<String>::new());
}

/// LastModified of `sbs/key`, as a listing gives it.
async fn listed_time(emu: &Emulator, key: &str) -> std::time::SystemTime {
    let listed = crate::common::plain_client(emu, "us-east-1")
        .list_objects_v2()
        .bucket("sbs")
        .prefix(key)
        .send()
        .await
        .unwrap();
    let modified = listed.contents()[0].last_modified().unwrap();
    std::time::UNIX_EPOCH + std::time::Duration::from_nanos(modified.as_nanos() as u64)
}

/// A same-size edit made within the second S3 stored for the last upload is newer at full
/// precision, as the aws CLI compares times: both tools upload it again (whole-second compares
/// never did). Then a download takes the object's time and the next sync does nothing.
#[tokio::test]
async fn a_sub_second_edit_is_synced() {
    let emu = emulator().await;
    emu.seed_bucket("sbs", "us-east-1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    for p in ["aws", "mr"] {
        write(&cwd.join(format!("{p}-up/notes.txt")), "version 1");
    }
    same_lines(&emu, cwd, &[&["sync", "{P}-up", "s3://sbs/{P}/up/"]]).await;
    for p in ["aws", "mr"] {
        let stored = listed_time(&emu, &format!("{p}/up/notes.txt")).await;
        let since_epoch = stored.duration_since(std::time::UNIX_EPOCH).unwrap();
        let next_second = std::time::Duration::from_secs(since_epoch.as_secs() + 1);
        // Strictly after S3's time, within the same second.
        let edited = std::time::UNIX_EPOCH + since_epoch + (next_second - since_epoch) / 2;
        let path = cwd.join(format!("{p}-up/notes.txt"));
        std::fs::write(&path, "version 2").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(edited)
            .unwrap();
    }
    same_lines(&emu, cwd, &[&["sync", "{P}-up", "s3://sbs/{P}/up/"]]).await;
    let ours = s3mr(
        &emu,
        cwd,
        &["cat".into(), "s3://sbs/mr/up/notes.txt".into()],
    )
    .await;
    assert_eq!(ours.1, "version 2", "the edit went up");
    // Down and back: the file takes the object's time exactly, nothing to do either way.
    same_lines(
        &emu,
        cwd,
        &[
            &["sync", "s3://sbs/{P}/up/", "{P}-down"],
            &["sync", "s3://sbs/{P}/up/", "{P}-down"],
            &["sync", "{P}-down", "s3://sbs/{P}/up/"],
        ],
    )
    .await;
    let (code, stdout, _) = s3mr(
        &emu,
        cwd,
        &["sync".into(), "mr-down".into(), "s3://sbs/mr/up/".into()],
    )
    .await;
    assert_eq!((code, stdout.as_str()), (0, ""), "nothing to do");
}
