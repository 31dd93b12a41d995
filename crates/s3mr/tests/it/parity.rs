//! `s3mr` at parity with `aws s3`: sync, mv, filters, dry runs, quiet modes, ls sizes, the aws
//! CLI's output lines, bad input, and the progress bar (a pseudo-terminal vs a pipe). The built
//! binary against the emulator, with exact request counts where the count is the point.

use crate::common;

use std::path::Path;

use crate::common::command;
use s3mr_emulator::Emulator;

async fn emulator() -> Emulator {
    Emulator::builder()
        .region("us-east-1")
        .region("eu-west-1")
        .region("ap-southeast-2")
        .start()
        .await
        .unwrap()
}

/// (exit code, stdout, stderr)
async fn run(emu: &Emulator, args: &[&str]) -> (i32, String, String) {
    let out = command(emu, args).output().await.unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn ok(emu: &Emulator, args: &[&str]) -> String {
    let (code, stdout, stderr) = run(emu, args).await;
    assert_eq!(code, 0, "s3mr {args:?}:\n{stdout}\n{stderr}");
    stdout
}

/// [`ok`] run in `cwd`: local paths print relative to it, as the aws CLI prints them.
async fn ok_in(emu: &Emulator, cwd: &Path, args: &[&str]) -> String {
    let out = command(emu, args).current_dir(cwd).output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "s3mr {args:?}: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

/// Sorted lines, for output whose order follows completion (parallel transfers).
fn lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

fn write(path: &Path, body: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, body).unwrap();
}

/// PUT requests the emulator received in `region`.
fn puts(emu: &Emulator, region: &str) -> u64 {
    emu.counters().requests_by_method(region, "PUT")
}

fn gets(emu: &Emulator, region: &str) -> u64 {
    emu.counters().requests_by_method(region, "GET")
}

#[tokio::test]
async fn sync_up_uploads_what_is_missing_or_changed_and_deletes_on_request() {
    let emu = emulator().await;
    emu.seed_bucket("sync-up", "eu-west-1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for name in ["a.txt", "b.txt", "sub/c.txt", "sub/d.log"] {
        write(&root.join(name), name);
    }
    let src = root.to_str().unwrap();

    let out = ok_in(&emu, root, &["sync", src, "s3://sync-up/t/"]).await;
    let want = [
        "upload: ./a.txt to s3://sync-up/t/a.txt",
        "upload: ./b.txt to s3://sync-up/t/b.txt",
        "upload: sub/c.txt to s3://sync-up/t/sub/c.txt",
        "upload: sub/d.log to s3://sync-up/t/sub/d.log",
    ];
    assert_eq!(lines(&out), want, "the aws CLI's lines");
    assert_eq!(puts(&emu, "eu-west-1"), 4);

    // Nothing changed: nothing sent but the listing.
    emu.reset_counters();
    assert_eq!(ok(&emu, &["sync", src, "s3://sync-up/t/"]).await, "");
    assert_eq!(puts(&emu, "eu-west-1"), 0);

    // Two changed (sizes), one new, one deleted locally: exactly 3 uploads; with --delete the
    // deleted one goes too.
    write(&root.join("a.txt"), "a, longer now");
    write(&root.join("sub/c.txt"), "c, longer now");
    write(&root.join("new.txt"), "new");
    std::fs::remove_file(root.join("b.txt")).unwrap();
    emu.reset_counters();
    let dry = ok(
        &emu,
        &["sync", src, "s3://sync-up/t/", "--delete", "--dryrun"],
    )
    .await;
    assert!(dry.lines().all(|l| l.starts_with("(dryrun) ")), "{dry}");
    assert_eq!(dry.lines().count(), 4, "{dry}");
    assert_eq!(puts(&emu, "eu-west-1"), 0, "a dry run sends nothing");
    assert_eq!(emu.counters().requests_by_method("eu-west-1", "DELETE"), 0);

    let out = ok(&emu, &["sync", src, "s3://sync-up/t/", "--delete"]).await;
    assert_eq!(puts(&emu, "eu-west-1"), 3, "{out}");
    assert!(out.contains("delete: s3://sync-up/t/b.txt"), "{out}");
    let listed = ok(&emu, &["ls", "s3://sync-up/t/", "--recursive"]).await;
    assert!(
        !listed.contains("b.txt") && listed.contains("new.txt"),
        "{listed}"
    );
}

#[tokio::test]
async fn sync_down_and_across_regions_then_nothing_to_do() {
    let emu = emulator().await;
    emu.seed_bucket("sync-src", "ap-southeast-2").unwrap();
    emu.seed_bucket("sync-dst", "eu-west-1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    for name in ["x/1.bin", "x/2.bin", "y.bin"] {
        write(&dir.path().join(name), name);
    }
    ok(
        &emu,
        &[
            "cp",
            dir.path().to_str().unwrap(),
            "s3://sync-src/",
            "--recursive",
        ],
    )
    .await;

    // S3 -> local: three downloads; again: no GET at all (the files took the objects' times).
    let down = tempfile::tempdir().unwrap();
    let dst = down.path().to_str().unwrap();
    emu.reset_counters();
    let out = ok(&emu, &["sync", "s3://sync-src/", dst]).await;
    assert_eq!(
        out.lines().filter(|l| l.starts_with("download: ")).count(),
        3
    );
    assert_eq!(
        std::fs::read_to_string(down.path().join("x/2.bin")).unwrap(),
        "x/2.bin"
    );
    emu.reset_counters();
    assert_eq!(ok(&emu, &["sync", "s3://sync-src/", dst]).await, "");
    assert_eq!(gets(&emu, "ap-southeast-2"), 1, "one listing, no download");

    // --delete removes local files the bucket lacks.
    write(&down.path().join("stray.txt"), "stray");
    let out = ok(&emu, &["sync", "s3://sync-src/", dst, "--delete"]).await;
    assert!(
        out.contains("delete: ") && out.contains("stray.txt"),
        "{out}"
    );
    assert!(!down.path().join("stray.txt").exists());

    // S3 -> S3 across regions, server-side; again: nothing.
    emu.reset_counters();
    let out = ok(&emu, &["sync", "s3://sync-src/x/", "s3://sync-dst/copy/"]).await;
    assert_eq!(
        lines(&out),
        [
            "copy: s3://sync-src/x/1.bin to s3://sync-dst/copy/1.bin",
            "copy: s3://sync-src/x/2.bin to s3://sync-dst/copy/2.bin",
        ]
    );
    assert_eq!(
        ok(&emu, &["sync", "s3://sync-src/x/", "s3://sync-dst/copy/"]).await,
        ""
    );
}

#[tokio::test]
async fn mv_removes_the_source_only_after_the_copy() {
    let emu = emulator().await;
    emu.seed_bucket("mv-here", "us-east-1").unwrap();
    emu.seed_bucket("mv-there", "ap-southeast-2").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("one.txt");
    write(&file, "one");

    // A file: uploaded, then removed.
    let out = ok_in(
        &emu,
        dir.path(),
        &["mv", file.to_str().unwrap(), "s3://mv-here/"],
    )
    .await;
    assert_eq!(out, "move: ./one.txt to s3://mv-here/one.txt\n");
    assert!(!file.exists());

    // A prefix, across regions: every object copied, then deleted at the source.
    for name in ["p/a", "p/b", "p/c"] {
        write(&dir.path().join(name), name);
    }
    ok(
        &emu,
        &[
            "cp",
            dir.path().join("p").to_str().unwrap(),
            "s3://mv-here/p/",
            "--recursive",
        ],
    )
    .await;
    let out = ok(
        &emu,
        &["mv", "s3://mv-here/p/", "s3://mv-there/q/", "--recursive"],
    )
    .await;
    assert_eq!(
        out.lines()
            .filter(|l| l.starts_with("move: s3://mv-here/p/"))
            .count(),
        3
    );
    let left = ok(&emu, &["ls", "s3://mv-here/p/"]).await;
    assert_eq!(left, "", "the source is empty");
    assert_eq!(ok(&emu, &["cat", "s3://mv-there/q/b"]).await, "p/b");

    // A copy that fails leaves the source where it was.
    let (code, _, stderr) = run(
        &emu,
        &["mv", "s3://mv-here/one.txt", "s3://no-such-bucket-x/"],
    )
    .await;
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(ok(&emu, &["cat", "s3://mv-here/one.txt"]).await, "one");
}

#[tokio::test]
async fn filters_apply_in_order_on_cp_rm_and_sync() {
    let emu = emulator().await;
    emu.seed_bucket("filtered", "eu-west-1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "keep.txt",
        "drop.jpg",
        "sub/keep2.txt",
        "sub/secret.txt",
        "sub/x.jpg",
    ] {
        write(&dir.path().join(name), name);
    }
    let src = dir.path().to_str().unwrap();
    let out = ok(
        &emu,
        &[
            "cp",
            src,
            "s3://filtered/",
            "--recursive",
            "--exclude",
            "*",
            "--include",
            "*.txt",
            "--exclude",
            "sub/secret*",
        ],
    )
    .await;
    let uploaded: Vec<&str> = out
        .lines()
        .map(|l| l.rsplit(" to ").next().unwrap())
        .collect();
    let mut uploaded = uploaded;
    uploaded.sort();
    assert_eq!(
        uploaded,
        ["s3://filtered/keep.txt", "s3://filtered/sub/keep2.txt"]
    );

    // rm --recursive with a filter: only what matches goes (dry run first: nothing goes).
    let dry = ok(
        &emu,
        &[
            "rm",
            "s3://filtered/",
            "--recursive",
            "--exclude",
            "sub/*",
            "--dryrun",
        ],
    )
    .await;
    assert_eq!(dry, "(dryrun) delete: s3://filtered/keep.txt\n");
    let out = ok(
        &emu,
        &["rm", "s3://filtered/", "--recursive", "--exclude", "sub/*"],
    )
    .await;
    assert_eq!(out, "delete: s3://filtered/keep.txt\n");
    let left = ok(&emu, &["ls", "s3://filtered/", "--recursive"]).await;
    assert!(
        left.contains("sub/keep2.txt") && !left.contains(" keep.txt"),
        "{left}"
    );

    // A pattern that matches nothing is named (a typo, most often), and the rest goes on.
    let (code, _, stderr) = run(&emu, &["sync", src, "s3://filtered/", "--exclude", "*.tpm"]).await;
    assert_eq!(code, 0);
    assert!(
        stderr.contains("the pattern \"*.tpm\" matches nothing"),
        "{stderr}"
    );
}

#[tokio::test]
async fn quiet_modes_and_ls_sizes() {
    let emu = emulator().await;
    emu.seed_bucket("quiet", "us-east-1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("k1"), &"x".repeat(1536));
    write(&dir.path().join("k2"), &"y".repeat(2048));
    let src = dir.path().to_str().unwrap();
    assert_eq!(
        ok(&emu, &["cp", src, "s3://quiet/", "--recursive", "--quiet"]).await,
        ""
    );
    assert_eq!(
        ok(
            &emu,
            &[
                "cp",
                src,
                "s3://quiet/again/",
                "--recursive",
                "--only-show-errors"
            ]
        )
        .await,
        ""
    );
    // --only-show-errors still shows errors.
    let (code, stdout, stderr) = run(
        &emu,
        &["cp", "s3://quiet/missing", "x", "--only-show-errors"],
    )
    .await;
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert!(stderr.contains("no such key"), "{stderr}");

    let out = ok(
        &emu,
        &["ls", "s3://quiet/", "--human-readable", "--summarize"],
    )
    .await;
    assert!(
        out.contains("1.5 KiB k1") && out.contains("2.0 KiB k2"),
        "{out}"
    );
    assert!(
        out.ends_with("\nTotal Objects: 2\n   Total Size: 3.5 KiB\n"),
        "{out}"
    );
    let out = ok(&emu, &["ls", "s3://quiet/", "--recursive", "--summarize"]).await;
    assert!(
        out.ends_with("\nTotal Objects: 4\n   Total Size: 7168 Bytes\n"),
        "{out}"
    );
}

#[tokio::test]
async fn bad_input_is_one_clear_line_and_writes_nothing() {
    let emu = emulator().await;
    emu.seed_bucket("bad-input", "us-east-1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    write(&a.join("f.txt"), "f");
    ok(
        &emu,
        &[
            "cp",
            a.to_str().unwrap(),
            "s3://bad-input/p/",
            "--recursive",
        ],
    )
    .await;

    let a_file = a.join("f.txt");
    let cases: [(&[&str], i32, &str); 4] = [
        (
            &["sync", "--no-such-flag", "s3://bad-input/", "x"],
            252,
            "unexpected argument",
        ),
        (
            &["sync", a.to_str().unwrap(), b.to_str().unwrap()],
            252,
            "both locations are local",
        ),
        (
            &["sync", a_file.to_str().unwrap(), "s3://bad-input/"],
            252,
            "sync takes directories",
        ),
        (&["mv", "-", "s3://bad-input/k"], 252, "standard input"),
    ];
    for (args, want, needle) in cases {
        let (code, stdout, stderr) = run(&emu, args).await;
        assert_eq!(code, want, "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert_eq!(stdout, "", "{args:?}");
    }
    // A file where a directory is needed: the download fails, and no partial file is left.
    let file = dir.path().join("plain-file");
    write(&file, "mine");
    let (code, _, stderr) = run(
        &emu,
        &[
            "cp",
            "s3://bad-input/p/",
            file.to_str().unwrap(),
            "--recursive",
        ],
    )
    .await;
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 3, "nothing half-written beside it: {names:?}");
}

#[tokio::test]
async fn profiles_come_from_the_config_files() {
    let emu = emulator().await;
    emu.seed_bucket("profiled", "eu-west-1").unwrap();
    let (ak, sk) = emu.credentials();
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        format!("[emu]\naws_access_key_id = {ak}\naws_secret_access_key = {sk}\n"),
    )
    .unwrap();
    let with_profile = |args: &[&str], profile: Option<&str>| {
        let mut cmd = command(&emu, args);
        cmd.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
            .env("AWS_CONFIG_FILE", dir.path().join("config"));
        if let Some(p) = profile {
            cmd.env("AWS_PROFILE", p);
        }
        cmd
    };
    let out = with_profile(&["ls", "s3://profiled/", "--profile", "emu"], None)
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = with_profile(&["ls", "s3://profiled/"], Some("emu"))
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "AWS_PROFILE");
    let out = with_profile(&["ls", "s3://profiled/"], None)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(253), "no profile, no credentials");
}

/// Runs `s3mr args` in a pseudo-terminal (Python's `pty`, as a terminal user has one) and
/// returns everything the terminal showed.
async fn in_a_terminal(emu: &Emulator, args: &[&str]) -> String {
    let mut all = vec![
        "-c".to_owned(),
        "import os, pty, sys\n\
         os.environ['COLUMNS'] = '120'\n\
         status = pty.spawn(sys.argv[1:])\n\
         sys.exit(os.waitstatus_to_exitcode(status))"
            .to_owned(),
        common::BIN.to_owned(),
    ];
    all.extend(args.iter().map(|a| a.to_string()));
    let mut cmd = command(emu, &[]);
    let std_cmd = cmd.as_std_mut();
    *std_cmd = {
        let mut python = std::process::Command::new("python3");
        python.args(&all);
        for (k, v) in std_cmd.get_envs() {
            if let Some(v) = v {
                python.env(k, v);
            }
        }
        python.env("TERM", "xterm");
        python
    };
    let out = cmd.output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn one_progress_bar_on_a_terminal_and_none_on_a_pipe() {
    let emu = emulator().await;
    emu.seed_bucket("progress", "eu-west-1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..40 {
        write(
            &dir.path().join(format!("f{i:02}")),
            &"z".repeat(256 * 1024),
        );
    }
    let src = dir.path().to_str().unwrap();

    let shown = in_a_terminal(&emu, &["cp", src, "s3://progress/tty/", "--recursive"]).await;
    assert!(
        shown.contains("Completed "),
        "a bar on the terminal: {shown:?}"
    );
    assert!(shown.contains(" of 40 files"), "{shown:?}");
    assert_eq!(shown.matches("upload: ").count(), 40);
    // The aws CLI's --no-progress: the lines, no bar, even on a terminal.
    let shown = in_a_terminal(
        &emu,
        &[
            "cp",
            src,
            "s3://progress/np/",
            "--recursive",
            "--no-progress",
        ],
    )
    .await;
    assert!(!shown.contains("Completed "), "{shown:?}");
    assert_eq!(shown.matches("upload: ").count(), 40);

    let (code, stdout, stderr) =
        run(&emu, &["cp", src, "s3://progress/pipe/", "--recursive"]).await;
    assert_eq!(code, 0);
    assert_eq!(stderr, "", "nothing but the lines on a pipe");
    assert!(
        !stdout.contains("Completed") && !stdout.contains('\u{1b}'),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 40);
}

#[tokio::test]
async fn a_large_download_is_fetched_in_parallel_ranges() {
    let emu = emulator().await;
    emu.seed_bucket("ranged", "eu-west-1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    // 20 MiB + 1 byte: three 8 MiB ranges; every byte distinct by position.
    let data: Vec<u8> = (0..20 * 1024 * 1024 + 1).map(|i| (i % 251) as u8).collect();
    let big = dir.path().join("big.bin");
    std::fs::write(&big, &data).unwrap();
    ok(&emu, &["cp", big.to_str().unwrap(), "s3://ranged/big.bin"]).await;
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    ok(&emu, &["cp", empty.to_str().unwrap(), "s3://ranged/empty"]).await;

    emu.reset_counters();
    let back = dir.path().join("back.bin");
    ok(&emu, &["cp", "s3://ranged/big.bin", back.to_str().unwrap()]).await;
    assert!(std::fs::read(&back).unwrap() == data, "the bytes, in order");
    // us-east-1's one redirect, then 3 ranged GETs in the bucket's region.
    assert_eq!(gets(&emu, "eu-west-1"), 3);

    // An empty object has no byte 0 (416): fetched whole, one more request.
    emu.reset_counters();
    let back = dir.path().join("empty-back");
    ok(&emu, &["cp", "s3://ranged/empty", back.to_str().unwrap()]).await;
    assert_eq!(std::fs::read(&back).unwrap(), b"");
    assert_eq!(gets(&emu, "eu-west-1"), 2);
}

#[tokio::test]
async fn size_only_exact_timestamps_and_concurrency() {
    let emu = emulator().await;
    emu.seed_bucket("sync-flags", "eu-west-1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("same.txt"), "1234");
    let src = dir.path().to_str().unwrap();
    ok(
        &emu,
        &["sync", src, "s3://sync-flags/", "--concurrency", "1"],
    )
    .await;

    // A newer local file of the same size (its time set 5 s ahead, no waiting for the clock):
    // sent by default, not with --size-only.
    write(&dir.path().join("same.txt"), "abcd");
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(dir.path().join("same.txt"))
        .unwrap()
        .set_modified(later)
        .unwrap();
    assert_eq!(
        ok(&emu, &["sync", src, "s3://sync-flags/", "--size-only"]).await,
        ""
    );
    let out = ok(&emu, &["sync", src, "s3://sync-flags/"]).await;
    assert!(out.starts_with("upload: "), "{out}");

    // S3 -> local: a same-size local file with another time is kept by default and replaced
    // with --exact-timestamps.
    let down = tempfile::tempdir().unwrap();
    let dst = down.path().to_str().unwrap();
    ok(&emu, &["sync", "s3://sync-flags/", dst]).await;
    let local = down.path().join("same.txt");
    std::fs::write(&local, "wxyz").unwrap();
    let earlier = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&local)
        .unwrap()
        .set_modified(earlier)
        .unwrap();
    assert_eq!(ok(&emu, &["sync", "s3://sync-flags/", dst]).await, "");
    assert_eq!(std::fs::read_to_string(&local).unwrap(), "wxyz");
    let out = ok(
        &emu,
        &["sync", "s3://sync-flags/", dst, "--exact-timestamps"],
    )
    .await;
    assert!(out.starts_with("download: "), "{out}");
    assert_eq!(std::fs::read_to_string(&local).unwrap(), "abcd");

    // --concurrency takes 1..=256.
    let (code, _, stderr) = run(
        &emu,
        &["sync", src, "s3://sync-flags/", "--concurrency", "0"],
    )
    .await;
    assert_eq!(code, 252, "{stderr}");
}

/// Directory markers (zero-byte keys ending in `/`, as the S3 console makes them), as the aws
/// CLI treats them: S3 → local they are not files and make nothing (not even under `--dryrun`,
/// where they used to become directories while planning); local → S3 `sync --delete` keeps the
/// destination's markers.
#[tokio::test]
async fn directory_markers_are_passed_over_and_kept() {
    let emu = emulator().await;
    emu.seed_bucket("markers", "eu-west-1").unwrap();
    let plain = common::plain_client(&emu, "eu-west-1");
    for (key, body) in [
        ("tree/a/", ""),
        ("tree/a/f.txt", "f"),
        ("tree/empty/", ""),
        ("up/keep/", ""),
        ("up/orphan.txt", "gone"),
    ] {
        plain
            .put_object()
            .bucket("markers")
            .key(key)
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("down");
    let local = local.to_str().unwrap();
    ok(&emu, &["sync", "s3://markers/tree/", local, "--dryrun"]).await;
    assert!(
        !Path::new(local).exists(),
        "--dryrun wrote nothing, not even a directory"
    );
    for args in [
        &["sync", "s3://markers/tree/", local][..],
        &["cp", "--recursive", "s3://markers/tree/", local][..],
    ] {
        ok(&emu, args).await;
        assert_eq!(
            std::fs::read_to_string(Path::new(local).join("a/f.txt")).unwrap(),
            "f"
        );
        assert!(
            !Path::new(local).join("empty").exists(),
            "{args:?}: a marker alone makes no directory"
        );
    }

    let src = dir.path().join("up");
    write(&src.join("x.txt"), "x");
    let out = ok_in(
        &emu,
        dir.path(),
        &[
            "sync",
            src.to_str().unwrap(),
            "s3://markers/up/",
            "--delete",
        ],
    )
    .await;
    assert_eq!(
        lines(&out),
        [
            "delete: s3://markers/up/orphan.txt",
            "upload: up/x.txt to s3://markers/up/x.txt",
        ]
    );
    let listed = plain
        .list_objects_v2()
        .bucket("markers")
        .prefix("up/")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["up/keep/", "up/x.txt"]);
}

/// A single-object download makes missing parent directories (`newdir/` names a directory even
/// before it exists) and takes the object's time, as the aws CLI does — so a `sync` of the same
/// tree afterwards downloads nothing again.
#[tokio::test]
async fn a_single_download_makes_its_parents_and_takes_the_objects_time() {
    let emu = emulator().await;
    emu.seed_bucket("single-dl", "ap-southeast-2").unwrap();
    let plain = common::plain_client(&emu, "ap-southeast-2");
    plain
        .put_object()
        .bucket("single-dl")
        .key("k.txt")
        .body(b"one object".to_vec().into())
        .send()
        .await
        .unwrap();
    let head = plain
        .head_object()
        .bucket("single-dl")
        .key("k.txt")
        .send()
        .await
        .unwrap();
    let object_time = std::time::SystemTime::try_from(*head.last_modified().unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let into = format!("{}/new/", dir.path().display());
    ok(&emu, &["cp", "s3://single-dl/k.txt", &into]).await;
    let file = dir.path().join("new/k.txt");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "one object");
    assert_eq!(
        std::fs::metadata(&file).unwrap().modified().unwrap(),
        object_time,
        "the file has the object's time"
    );
    let deep = dir.path().join("a/b/c.txt");
    ok(
        &emu,
        &["cp", "s3://single-dl/k.txt", deep.to_str().unwrap()],
    )
    .await;
    assert_eq!(std::fs::read_to_string(&deep).unwrap(), "one object");

    let before = gets(&emu, "ap-southeast-2");
    let out = ok(&emu, &["sync", "s3://single-dl/", &into]).await;
    assert_eq!(out, "", "nothing to download again");
    assert_eq!(
        gets(&emu, "ap-southeast-2"),
        before + 1,
        "one ListObjectsV2, no GetObject"
    );
}

/// `ls` in the aws CLI's columns, which scripts cut: buckets `DATE TIME NAME` (the region only
/// with `--with-region`), objects `DATE TIME SIZE NAME` with the name below the listed prefix,
/// `PRE dir/` right-aligned to column 30, whole keys with `--recursive`.
#[tokio::test]
async fn ls_prints_the_aws_clis_columns() {
    let emu = emulator().await;
    emu.seed_bucket("ls-shape", "eu-west-1").unwrap();
    let plain = common::plain_client(&emu, "eu-west-1");
    for (key, body) in [("photos/2026/a.jpg", "abc"), ("photos/top.txt", "hello")] {
        plain
            .put_object()
            .bucket("ls-shape")
            .key(key)
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let is_date_time = |s: &str| {
        let b = s.as_bytes();
        s.len() == 19
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b' '
            && b[13] == b':'
            && b[16] == b':'
            && s.chars().filter(char::is_ascii_digit).count() == 14
    };
    let buckets = ok(&emu, &["ls"]).await;
    let line = buckets.lines().find(|l| l.ends_with(" ls-shape")).unwrap();
    assert!(
        is_date_time(&line[..19]) && line.len() == 19 + 1 + 8,
        "{line:?}"
    );
    let with_region = ok(&emu, &["ls", "--with-region"]).await;
    let line = with_region
        .lines()
        .find(|l| l.ends_with(" ls-shape"))
        .unwrap();
    assert!(line.contains(" eu-west-1 "), "{line:?}");

    let listed = ok(&emu, &["ls", "s3://ls-shape/photos/"]).await;
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines[0], format!("{:>30} 2026/", "PRE"), "{listed}");
    assert!(is_date_time(&lines[1][..19]), "{listed}");
    assert_eq!(&lines[1][19..], format!(" {:>10} top.txt", 5), "{listed}");
    assert_eq!(lines.len(), 2, "{listed}");
    let all = ok(&emu, &["ls", "--recursive", "s3://ls-shape/photos/"]).await;
    let keys: Vec<&str> = all.lines().map(|l| &l[31..]).collect();
    assert_eq!(keys, ["photos/2026/a.jpg", "photos/top.txt"], "{all}");
}

/// File names that are not UTF-8 have no S3 key: passed over with a warning (as the aws CLI
/// does), never uploaded under a lossy key where two of them would collide; `--delete` spares
/// the destination object the lossy name would have meant.
#[cfg(unix)]
#[tokio::test]
async fn file_names_that_are_not_utf8_are_skipped_with_a_warning() {
    use std::os::unix::ffi::OsStrExt;
    let emu = emulator().await;
    emu.seed_bucket("not-utf8", "eu-west-1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    write(&src.join("ok.txt"), "ok");
    for bytes in [&b"bad-\xff.txt"[..], &b"bad-\xfe.txt"[..]] {
        std::fs::write(src.join(std::ffi::OsStr::from_bytes(bytes)), "lost?").unwrap();
    }
    // What a lossy name would be: an object the source does not hold, kept by --delete.
    common::plain_client(&emu, "eu-west-1")
        .put_object()
        .bucket("not-utf8")
        .key("bad-\u{fffd}.txt")
        .body(b"keep".to_vec().into())
        .send()
        .await
        .unwrap();
    let (code, stdout, stderr) = run(
        &emu,
        &["sync", src.to_str().unwrap(), "s3://not-utf8/", "--delete"],
    )
    .await;
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert_eq!(
        stderr.matches("the file name is not valid UTF-8").count(),
        2,
        "{stderr}"
    );
    assert_eq!(stdout.lines().count(), 1, "only ok.txt: {stdout}");
    let listed = common::plain_client(&emu, "eu-west-1")
        .list_objects_v2()
        .bucket("not-utf8")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["bad-\u{fffd}.txt", "ok.txt"]);
}

/// Exit codes as the aws CLI's "return codes" page lists them, each from a real run: a script
/// written against `aws s3` reads the same number.
#[tokio::test]
async fn exit_codes_are_the_aws_clis() {
    let emu = emulator().await;
    emu.seed_bucket("codes", "eu-west-1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let missing = missing.to_str().unwrap();
    let src = dir.path().join("src");
    write(&src.join("a.txt"), "a");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), src.join("broken")).unwrap();
    let src = src.to_str().unwrap();
    emu.reset_counters();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["--help"], 0, ""),
        (
            vec!["cp", "--no-such-flag", src, "s3://codes/"],
            252,
            "unexpected argument",
        ),
        (
            vec!["cp", "s3://codes/k", "s3://codes/k"],
            252,
            "onto itself",
        ),
        (
            vec!["cp", missing, "s3://codes/k"],
            255,
            "s3mr: cp: the user-provided path",
        ),
        (vec!["sync", missing, "s3://codes/"], 255, "does not exist"),
        (vec!["mv", missing, "s3://codes/k"], 255, "does not exist"),
    ];
    for (args, want, needle) in &cases {
        let (code, _, stderr) = run(&emu, args).await;
        assert_eq!(code, *want, "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    assert_eq!(
        emu.counters().total_requests(),
        0,
        "none of these sent anything"
    );
    // 2: a file was skipped (the broken symlink), the rest transferred.
    let (code, _, stderr) = run(&emu, &["sync", src, "s3://codes/up/"]).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("1 transferred, 1 skipped, 0 failed"),
        "{stderr}"
    );
    // 1: a transfer failed (the bucket does not exist), whatever S3 said.
    let (code, _, stderr) = run(&emu, &["cp", "s3://codes/up/a.txt", "s3://no-codes/a"]).await;
    assert_eq!(code, 1, "{stderr}");
    // 254: a command that only asks, refused by S3.
    let (code, _, stderr) = run(&emu, &["ls", "s3://no-codes/"]).await;
    assert_eq!(code, 254, "{stderr}");
}

/// The batch's bar moves within a file: one 64 MiB upload among small ones shows positions
/// between 0 and the whole (it used to show 0 until the file was done). Parts are slowed
/// (300 ms a PUT) so the terminal sees several frames.
#[tokio::test]
async fn the_bar_moves_within_one_large_file() {
    let emu = emulator().await;
    emu.seed_bucket("progress-big", "eu-west-1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.bin"), vec![7u8; 64 * 1024 * 1024]).unwrap();
    write(&dir.path().join("small.txt"), "s");
    emu.configure(|s| {
        s.per_method_latency
            .insert("PUT".into(), std::time::Duration::from_millis(300));
    });
    let src = dir.path().to_str().unwrap();
    let shown = in_a_terminal(&emu, &["cp", src, "s3://progress-big/t/", "--recursive"]).await;
    let positions: Vec<&str> = shown
        .split("Completed ")
        .skip(1)
        .filter_map(|frame| frame.split('/').next())
        .collect();
    let between: Vec<&&str> = positions
        .iter()
        .filter(|p| !p.starts_with("0 B") && !p.starts_with("64.00 MiB"))
        .filter(|p| p.contains("MiB"))
        .collect();
    assert!(
        !between.is_empty(),
        "a frame between 0 and 64 MiB: {positions:?}"
    );
    assert_eq!(shown.matches("upload: ").count(), 2, "{shown:?}");
}
