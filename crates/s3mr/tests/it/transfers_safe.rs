//! Nothing lost, nothing touched that was not asked for: every command that deletes or
//! overwrites, run as a user types it (the built binary) against the emulator, with the user's
//! other data checked afterwards — after Ctrl-C, a write racing a move, overlapping paths,
//! symlinks in the destination, `--dryrun`, filters on single objects and sources that could not
//! be read. Each test counts the requests the emulator received.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use s3mr_emulator::Emulator;

use crate::common;
use crate::common::{command, plain_client, signal};

const R0: &str = "us-east-1";
const R1: &str = "eu-west-1";

async fn emulator() -> Emulator {
    Emulator::builder()
        .region(R0)
        .region(R1)
        .start()
        .await
        .unwrap()
}

async fn run(emu: &Emulator, args: &[&str]) -> (i32, String, String) {
    let out: Output = command(emu, args).output().await.unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn put(emu: &Emulator, region: &str, bucket: &str, key: &str, body: &str) {
    plain_client(emu, region)
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body.as_bytes().to_vec().into())
        .send()
        .await
        .unwrap();
}

/// The object's body, or `None` when it does not exist.
async fn body(emu: &Emulator, region: &str, bucket: &str, key: &str) -> Option<String> {
    let got = plain_client(emu, region)
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .ok()?;
    let bytes = got.body.collect().await.unwrap().into_bytes();
    Some(String::from_utf8(bytes.to_vec()).unwrap())
}

async fn keys(emu: &Emulator, region: &str, bucket: &str) -> Vec<String> {
    let listed = plain_client(emu, region)
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect()
}

/// Every request any region received since the last reset.
fn total_requests(emu: &Emulator) -> u64 {
    let c = emu.counters();
    c.requests(R0) + c.requests(R1)
}

/// Makes `path` an hour old: older than its copy in S3 whatever second the clock just turned
/// (times compare at full precision, so a file written in the second of its PUT is newer).
fn an_hour_old(path: &Path) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
}

fn write(path: &Path, body: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, body).unwrap();
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Ctrl-C (and SIGTERM, and Ctrl-C twice) in the middle of `sync --delete` of 200 files: no new
/// upload starts, no delete is sent, the summary is printed, exit 130, no multipart upload is
/// left open, and the objects `--delete` would have deleted are all still there.
#[tokio::test]
async fn a_signal_mid_batch_stops_scheduling_and_deletes_nothing() {
    for signals in [&["INT"][..], &["TERM"], &["INT", "INT"]] {
        let emu = emulator().await;
        emu.seed_bucket("safe-int", R0).unwrap();
        let stale: Vec<String> = (0..20).map(|i| format!("t/stale-{i:02}.txt")).collect();
        for key in &stale {
            put(&emu, R0, "safe-int", key, "keep me").await;
        }
        let dir = tempfile::tempdir().unwrap();
        // One file large enough for a multipart upload, first in name order: in flight at the
        // signal, it must be aborted, not left open.
        std::fs::write(dir.path().join("000-big.bin"), vec![7u8; 9 * 1024 * 1024]).unwrap();
        for i in 0..200 {
            write(
                &dir.path().join(format!("f{i:03}.txt")),
                &format!("file {i}"),
            );
        }
        // Uploads in flight when the first signal lands take 400 ms to finish: the second
        // signal (a separate `kill`, slow on a loaded machine) always arrives while the command
        // still winds down, never after it exited.
        emu.configure(|s| {
            s.latency = Duration::from_millis(50);
            s.per_method_latency
                .insert("PUT".into(), Duration::from_millis(400));
        });
        emu.reset_counters();
        let local = dir.path().to_str().unwrap();
        let child = command(
            &emu,
            &[
                "sync",
                local,
                "s3://safe-int/t/",
                "--delete",
                "--concurrency",
                "2",
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        wait_for("five uploads", || {
            emu.counters().requests_by_method(R0, "PUT") >= 5
        })
        .await;
        for name in signals {
            signal(&child, name).await;
        }
        let out = child.wait_with_output().await.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{signals:?}: {stderr}");
        if signals.len() == 1 {
            assert!(
                stderr.contains("s3mr: sync: interrupted: ") && stderr.contains("not started"),
                "{signals:?}: {stderr}"
            );
        } else {
            assert!(
                stderr.contains("interrupted again: exiting now"),
                "{stderr}"
            );
        }
        let after_exit = total_requests(&emu);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(total_requests(&emu), after_exit, "nothing runs after exit");
        let puts = emu.counters().requests_by_method(R0, "PUT");
        assert!(puts < 50, "{signals:?}: {puts} PUTs: scheduling went on");
        let listed = keys(&emu, R0, "safe-int").await;
        for key in &stale {
            assert!(listed.contains(key), "{signals:?}: {key} was deleted");
        }
        if signals.len() == 1 {
            // A second Ctrl-C may exit while an abort is on the wire; one stop never does.
            assert_eq!(
                emu.open_uploads(),
                0,
                "{signals:?}: an upload was left open"
            );
        }
    }
}

/// `mv` (and `cp`) of an object onto itself is refused before any request, in the three forms
/// a user types; the object is intact. The emulator refuses a plain self-copy as S3 does.
#[tokio::test]
async fn an_object_moved_onto_itself_is_refused_before_any_request() {
    let emu = emulator().await;
    emu.seed_bucket("safe-self", R0).unwrap();
    put(&emu, R0, "safe-self", "k", "only copy").await;
    put(&emu, R0, "safe-self", "p/a.txt", "a").await;
    emu.reset_counters();
    for args in [
        &["mv", "s3://safe-self/k", "s3://safe-self/k"][..],
        &["mv", "s3://safe-self/k", "s3://safe-self/"],
        &[
            "mv",
            "s3://safe-self/p/",
            "s3://safe-self/p/",
            "--recursive",
        ],
        &["cp", "s3://safe-self/k", "s3://safe-self/k"],
        &[
            "cp",
            "s3://safe-self/p/",
            "s3://safe-self/p/",
            "--recursive",
        ],
    ] {
        let (code, _, stderr) = run(&emu, args).await;
        assert_eq!(code, 252, "{args:?}: {stderr}");
        assert!(stderr.contains("onto itself"), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    }
    assert_eq!(total_requests(&emu), 0, "nothing was sent");
    assert_eq!(
        body(&emu, R0, "safe-self", "k").await.as_deref(),
        Some("only copy")
    );
    assert_eq!(
        body(&emu, R0, "safe-self", "p/a.txt").await.as_deref(),
        Some("a")
    );

    // S3 (and now the emulator) refuses a self-copy that changes nothing, and takes one that
    // replaces the metadata.
    let s3 = plain_client(&emu, R0);
    let err = s3
        .copy_object()
        .bucket("safe-self")
        .key("k")
        .copy_source("safe-self/k")
        .send()
        .await
        .unwrap_err();
    let raw = err.raw_response().unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&err),
        Some("InvalidRequest")
    );
    s3.copy_object()
        .bucket("safe-self")
        .key("k")
        .copy_source("safe-self/k")
        .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
        .content_type("text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(
        body(&emu, R0, "safe-self", "k").await.as_deref(),
        Some("only copy")
    );
}

/// `sync s3://… dest --delete` never deletes through a symlink out of the destination, with or
/// without `--no-follow-symlinks`; recursive `mv` never removes a source reached through a
/// symlinked directory, and honours `--no-follow-symlinks`.
#[cfg(unix)]
#[tokio::test]
async fn deletes_never_follow_a_symlink_out_of_their_tree() {
    use std::os::unix::fs::symlink;
    let emu = emulator().await;
    emu.seed_bucket("safe-link", R0).unwrap();
    put(&emu, R0, "safe-link", "p/keep.txt", "k").await;
    let dir = tempfile::tempdir().unwrap();
    let (dest, outside) = (dir.path().join("dest"), dir.path().join("outside"));
    write(&outside.join("precious.txt"), "precious");
    write(&dest.join("old.txt"), "old");
    symlink(&outside, dest.join("link")).unwrap();
    let d = dest.to_str().unwrap();

    let (code, stdout, stderr) = run(
        &emu,
        &[
            "sync",
            "s3://safe-link/p/",
            d,
            "--delete",
            "--no-follow-symlinks",
        ],
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("delete: ") && stdout.contains("old.txt"),
        "{stdout}"
    );
    assert!(!stdout.contains("precious"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(outside.join("precious.txt")).unwrap(),
        "precious"
    );

    let (code, stdout, stderr) = run(&emu, &["sync", "s3://safe-link/p/", d, "--delete"]).await;
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("precious.txt: behind a symlink that leads out of"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(outside.join("precious.txt")).unwrap(),
        "precious"
    );
    assert!(dest.join("keep.txt").is_file());

    // mv --recursive: the file behind the link is uploaded, never removed.
    let src = dir.path().join("src");
    let elsewhere = dir.path().join("elsewhere");
    write(&src.join("own.txt"), "own");
    write(&elsewhere.join("theirs.txt"), "theirs");
    symlink(&elsewhere, src.join("link")).unwrap();
    let s = src.to_str().unwrap();
    let (code, _, stderr) = run(&emu, &["mv", s, "s3://safe-link/m/", "--recursive"]).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("(uploaded, not removed)"), "{stderr}");
    assert!(!src.join("own.txt").exists(), "moved");
    assert_eq!(
        std::fs::read_to_string(elsewhere.join("theirs.txt")).unwrap(),
        "theirs"
    );
    assert_eq!(
        body(&emu, R0, "safe-link", "m/link/theirs.txt")
            .await
            .as_deref(),
        Some("theirs")
    );
    write(&src.join("own2.txt"), "own2");
    let (code, _, stderr) = run(
        &emu,
        &[
            "mv",
            s,
            "s3://safe-link/n/",
            "--recursive",
            "--no-follow-symlinks",
        ],
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        keys(&emu, R0, "safe-link")
            .await
            .iter()
            .filter(|k| k.starts_with("n/"))
            .count(),
        1
    );
    assert_eq!(
        std::fs::read_to_string(elsewhere.join("theirs.txt")).unwrap(),
        "theirs"
    );
}

/// Trees that hold each other are refused before any request when a command would delete or
/// nest: `sync --delete` into the tree that holds the source, `sync` into the source's own
/// subtree, `mv --recursive` into its own subtree. A nested tree the filters leave out is fine.
#[tokio::test]
async fn overlapping_trees_are_refused_before_any_request() {
    let emu = emulator().await;
    emu.seed_bucket("safe-lap", R0).unwrap();
    for key in ["a/x.txt", "a/y.txt", "top.txt"] {
        put(&emu, R0, "safe-lap", key, key).await;
    }
    emu.reset_counters();
    for args in [
        &["sync", "s3://safe-lap/a/", "s3://safe-lap/", "--delete"][..],
        &["sync", "s3://safe-lap/", "s3://safe-lap/a/"],
        &[
            "mv",
            "s3://safe-lap/a/",
            "s3://safe-lap/a/sub/",
            "--recursive",
        ],
        &["mv", "s3://safe-lap/a/", "s3://safe-lap/", "--recursive"],
    ] {
        let (code, _, stderr) = run(&emu, args).await;
        assert_eq!(code, 252, "{args:?}: {stderr}");
        assert!(stderr.contains("overlap"), "{args:?}: {stderr}");
    }
    assert_eq!(total_requests(&emu), 0, "nothing was sent");
    let mut listed = keys(&emu, R0, "safe-lap").await;
    listed.sort();
    assert_eq!(listed, ["a/x.txt", "a/y.txt", "top.txt"]);

    // Leaving the nested tree out makes it safe: copied once, and not again on a second run.
    for _ in 0..2 {
        let (code, _, stderr) = run(
            &emu,
            &[
                "sync",
                "s3://safe-lap/",
                "s3://safe-lap/backup/",
                "--exclude",
                "backup/*",
            ],
        )
        .await;
        assert_eq!(code, 0, "{stderr}");
    }
    let mut listed = keys(&emu, R0, "safe-lap").await;
    listed.sort();
    assert_eq!(
        listed,
        [
            "a/x.txt",
            "a/y.txt",
            "backup/a/x.txt",
            "backup/a/y.txt",
            "backup/top.txt",
            "top.txt"
        ]
    );
}

/// `--dryrun` changes nothing on `rb --force` (a full and an empty bucket), `mb` and the cache
/// commands.
#[tokio::test]
async fn dryrun_changes_nothing_on_rb_mb_and_cache() {
    let emu = emulator().await;
    emu.seed_bucket("safe-full", R0).unwrap();
    emu.seed_bucket("safe-empty", R0).unwrap();
    put(&emu, R0, "safe-full", "k1", "1").await;
    put(&emu, R0, "safe-full", "k2", "2").await;
    emu.reset_counters();
    let (code, stdout, stderr) = run(&emu, &["rb", "s3://safe-full", "--force", "--dryrun"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("(dryrun) delete: s3://safe-full/k1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("(dryrun) remove_bucket: safe-full"),
        "{stdout}"
    );
    let (code, stdout, _) = run(&emu, &["rb", "s3://safe-empty", "--dryrun"]).await;
    assert_eq!(
        (code, stdout.trim()),
        (0, "(dryrun) remove_bucket: safe-empty")
    );
    let (code, stdout, _) = run(&emu, &["mb", "s3://safe-new", "--dryrun"]).await;
    assert_eq!(
        (code, stdout.trim()),
        (0, "(dryrun) make_bucket: safe-new (us-east-1)")
    );
    let c = emu.counters();
    assert_eq!(c.requests_by_method(R0, "DELETE"), 0);
    assert_eq!(c.requests_by_method(R0, "POST"), 0);
    assert_eq!(c.requests_by_method(R0, "PUT"), 0);
    assert_eq!(emu.bucket_region("safe-empty").as_deref(), Some(R0));
    assert_eq!(emu.bucket_region("safe-new"), None);
    let mut listed = keys(&emu, R0, "safe-full").await;
    listed.sort();
    assert_eq!(listed, ["k1", "k2"]);

    // The cache: learn a region into a file cache, then `cache clear --dryrun` keeps it.
    let dir = tempfile::tempdir().unwrap();
    let cache = format!("file://{}", dir.path().join("regions.db").display());
    let (code, _, stderr) = run(&emu, &["--cache", &cache, "region", "safe-full"]).await;
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, _) = run(&emu, &["--cache", &cache, "cache", "clear", "--dryrun"]).await;
    assert_eq!(code, 0);
    assert!(stdout.starts_with("(dryrun) clear "), "{stdout}");
    let (code, stdout, _) = run(&emu, &["--cache", &cache, "cache", "get", "safe-full"]).await;
    assert_eq!((code, stdout.trim()), (0, "safe-full\tus-east-1"));
    let (code, stdout, _) = run(
        &emu,
        &[
            "cache",
            "init",
            "dynamodb://safe-table?endpoint=http://127.0.0.1:9",
            "--dryrun",
        ],
    )
    .await;
    assert_eq!(code, 0, "nothing was contacted: {stdout}");
    assert!(stdout.starts_with("(dryrun) create "), "{stdout}");
}

/// `--exclude` / `--include` apply to single-object `rm`, `cp` and `mv`, against the name,
/// as the aws CLI applies them: excluded means untouched.
#[tokio::test]
async fn filters_apply_to_single_objects() {
    let emu = emulator().await;
    emu.seed_bucket("safe-filter", R0).unwrap();
    put(&emu, R0, "safe-filter", "dir/k.txt", "k").await;
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("f.txt");
    write(&local, "f");
    let (l, d) = (local.to_str().unwrap(), dir.path().to_str().unwrap());
    emu.reset_counters();
    for args in [
        &["rm", "s3://safe-filter/dir/k.txt", "--exclude", "*"][..],
        &["rm", "s3://safe-filter/dir/k.txt", "--exclude", "*.txt"],
        &[
            "mv",
            "s3://safe-filter/dir/k.txt",
            "s3://safe-filter/moved.txt",
            "--exclude",
            "k*",
        ],
        &["cp", "s3://safe-filter/dir/k.txt", d, "--exclude", "*"],
        &["cp", l, "s3://safe-filter/up.txt", "--exclude", "f.txt"],
        &["mv", l, "s3://safe-filter/up.txt", "--exclude", "*"],
    ] {
        let (code, stdout, stderr) = run(&emu, args).await;
        assert_eq!((code, stdout.as_str()), (0, ""), "{args:?}: {stderr}");
    }
    assert_eq!(total_requests(&emu), 0, "nothing was sent");
    assert!(local.is_file() && !dir.path().join("k.txt").exists());
    assert_eq!(keys(&emu, R0, "safe-filter").await, ["dir/k.txt"]);
    // A later --include takes it back.
    let (code, stdout, _) = run(
        &emu,
        &[
            "rm",
            "s3://safe-filter/dir/k.txt",
            "--exclude",
            "*",
            "--include",
            "k.txt",
        ],
    )
    .await;
    assert_eq!(
        (code, stdout.trim()),
        (0, "delete: s3://safe-filter/dir/k.txt")
    );
    assert!(keys(&emu, R0, "safe-filter").await.is_empty());
}

/// `sync --delete` deletes nothing at or under a source path the walk could not read (a broken
/// symlink, a FIFO, a symlink loop): what they hold is unknown, not absent. A source that holds
/// nothing is refused without `--force`, for a local and an S3 source.
#[cfg(unix)]
#[tokio::test]
async fn delete_spares_what_the_source_could_not_read_and_an_empty_source() {
    use std::os::unix::fs::symlink;
    let emu = emulator().await;
    emu.seed_bucket("safe-src", R0).unwrap();
    for key in [
        "d/gone.txt",
        "d/pipe",
        "d/loop/x.txt",
        "d/orphan.txt",
        "d/ok.txt",
    ] {
        put(&emu, R0, "safe-src", key, "there").await;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    write(&src.join("ok.txt"), "there");
    an_hour_old(&src.join("ok.txt"));
    symlink(src.join("missing"), src.join("gone.txt")).unwrap();
    symlink(&src, src.join("loop")).unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(src.join("pipe"))
        .status()
        .unwrap();
    assert!(fifo.success());
    let (code, stdout, stderr) = run(
        &emu,
        &[
            "sync",
            src.to_str().unwrap(),
            "s3://safe-src/d/",
            "--delete",
        ],
    )
    .await;
    assert_eq!(code, 2, "three entries were skipped: {stderr}");
    assert_eq!(
        stdout.trim(),
        "delete: s3://safe-src/d/orphan.txt",
        "{stderr}"
    );
    let mut listed = keys(&emu, R0, "safe-src").await;
    listed.sort();
    assert_eq!(listed, ["d/gone.txt", "d/loop/x.txt", "d/ok.txt", "d/pipe"]);

    // An empty source: refused, nothing deleted; with --force, done.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    emu.reset_counters();
    for source in [empty.to_str().unwrap(), "s3://safe-src/typo/"] {
        let (code, _, stderr) = run(&emu, &["sync", source, "s3://safe-src/d/", "--delete"]).await;
        assert_eq!(code, 1, "{stderr}");
        assert!(
            stderr.contains("is empty") && stderr.contains("would delete all 4"),
            "{stderr}"
        );
        assert!(
            stderr.contains("hint: ") && stderr.contains("--force"),
            "{stderr}"
        );
    }
    assert_eq!(emu.counters().requests_by_method(R0, "DELETE"), 0);
    assert_eq!(keys(&emu, R0, "safe-src").await.len(), 4);
    let (code, _, stderr) = run(
        &emu,
        &[
            "sync",
            "s3://safe-src/typo/",
            "s3://safe-src/d/",
            "--delete",
            "--force",
        ],
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(keys(&emu, R0, "safe-src").await.is_empty());
}

/// `mv` deletes its source only if it is still the version it copied: a write that lands
/// between the copy and the delete is kept (S3's conditional delete for an object; size and
/// time for a local file), and the command says so and fails.
#[tokio::test]
async fn a_source_written_between_copy_and_delete_is_kept() {
    let emu = emulator().await;
    emu.seed_bucket("safe-mv-src", R1).unwrap();
    emu.seed_bucket("safe-mv-dst", R0).unwrap();
    put(&emu, R1, "safe-mv-src", "k", "version 1").await;
    // Every DELETE waits 1.5 s before it is served: time for the test's write to land first.
    emu.configure(|s| {
        s.per_method_latency
            .insert("DELETE".into(), Duration::from_millis(1500));
    });
    emu.reset_counters();
    let child = command(&emu, &["mv", "s3://safe-mv-src/k", "s3://safe-mv-dst/k"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the source's delete", || {
        emu.counters().requests_by_method(R1, "DELETE") >= 1
    })
    .await;
    put(&emu, R1, "safe-mv-src", "k", "version 2").await;
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("changed after it was copied; the source was kept"),
        "{stderr}"
    );
    assert_eq!(
        body(&emu, R1, "safe-mv-src", "k").await.as_deref(),
        Some("version 2")
    );
    assert_eq!(
        body(&emu, R0, "safe-mv-dst", "k").await.as_deref(),
        Some("version 1")
    );

    // A local file appended to while its upload is on the wire stays.
    emu.configure(|s| {
        s.per_method_latency.clear();
        s.per_method_latency
            .insert("PUT".into(), Duration::from_millis(1500));
    });
    emu.reset_counters();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    write(&file, "draft");
    let child = command(
        &emu,
        &["mv", file.to_str().unwrap(), "s3://safe-mv-dst/notes.txt"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    wait_for("the upload", || {
        emu.counters().requests_by_method(R0, "PUT") >= 1
    })
    .await;
    write(&file, "draft, and a new paragraph");
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("changed while it was uploaded: the file was kept"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "draft, and a new paragraph"
    );
}

/// A non-empty object whose key ends in `/` cannot be a file: a recursive download reports it
/// (warning, counted as skipped, exit 2) and writes the rest, instead of dropping it silently.
#[tokio::test]
async fn a_nonempty_key_ending_in_a_slash_is_reported() {
    let emu = emulator().await;
    emu.seed_bucket("safe-slash", R0).unwrap();
    put(&emu, R0, "safe-slash", "d/", "12345").await;
    put(&emu, R0, "safe-slash", "e/", "").await;
    put(&emu, R0, "safe-slash", "d/x.txt", "x").await;
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(
        &emu,
        &[
            "cp",
            "s3://safe-slash/",
            dir.path().to_str().unwrap(),
            "--recursive",
        ],
    )
    .await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "warning: Skipping s3://safe-slash/d/: an object of 5 bytes whose key ends in '/'"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 transferred, 1 skipped, 0 failed"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("d/x.txt")).unwrap(),
        "x"
    );
    assert!(
        !dir.path().join("e").exists(),
        "an empty marker is passed over silently, as the aws CLI does"
    );
}

/// An unreadable source directory: `sync --delete` keeps its destination copies (what it holds
/// is unknown, not absent) and deletes the rest. Root reads any directory, so as root the
/// command runs as `nobody` (setpriv), as a user would meet it.
#[cfg(unix)]
#[tokio::test]
async fn an_unreadable_source_directory_keeps_its_destination_copies() {
    use std::os::unix::fs::PermissionsExt;
    let emu = emulator().await;
    emu.seed_bucket("safe-unread", R0).unwrap();
    for key in [
        "d/ok.txt",
        "d/secret/a.txt",
        "d/secret/deep/b.txt",
        "d/orphan.txt",
    ] {
        put(&emu, R0, "safe-unread", key, "there").await;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let src = dir.path().join("src");
    write(&src.join("ok.txt"), "there");
    an_hour_old(&src.join("ok.txt"));
    write(&src.join("secret/a.txt"), "hidden");
    std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(src.join("secret"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let args = [
        "sync",
        src.to_str().unwrap(),
        "s3://safe-unread/d/",
        "--delete",
    ];
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap();
    let mut cmd = if is_root {
        common::command_via(
            &emu,
            "setpriv",
            &["--reuid=65534", "--regid=65534", "--clear-groups"],
            &args,
        )
    } else {
        command(&emu, &args)
    };
    let out = cmd.output().await.unwrap();
    std::fs::set_permissions(src.join("secret"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("warning: Skipping") && stderr.contains("secret"),
        "{stderr}"
    );
    assert_eq!(
        stdout.trim(),
        "delete: s3://safe-unread/d/orphan.txt",
        "{stderr}"
    );
    let mut listed = keys(&emu, R0, "safe-unread").await;
    listed.sort();
    assert_eq!(
        listed,
        ["d/ok.txt", "d/secret/a.txt", "d/secret/deep/b.txt"]
    );
}

/// `count` one-byte objects `prefix0000`... in `bucket`, 32 PUTs at a time.
async fn put_many(emu: &Emulator, bucket: &str, prefix: &str, count: usize) {
    use futures::StreamExt;
    let client = plain_client(emu, R0);
    futures::stream::iter(0..count)
        .map(|i| {
            let client = client.clone();
            async move {
                client
                    .put_object()
                    .bucket(bucket)
                    .key(format!("{prefix}{i:04}"))
                    .body(b"x".to_vec().into())
                    .send()
                    .await
                    .unwrap();
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<()>>()
        .await;
}

/// Requests of `method` the bucket's region received since the last reset.
fn by_method(emu: &Emulator, method: &str) -> u64 {
    emu.counters().requests_by_method(R0, method)
}

/// `rm --recursive` and `sync --delete` delete with DeleteObjects, 1 000 keys a request: the
/// same `delete:` line per key, a thousandth of the requests. A key S3 refuses (a policy
/// denying its delete) fails alone with S3's words, the rest of its batch is deleted, exit 1;
/// what was not asked for stays.
#[tokio::test]
async fn deletes_go_a_thousand_keys_a_request_and_refusals_fail_alone() {
    let emu = emulator().await;
    emu.seed_bucket("safe-batch", R0).unwrap();
    put_many(&emu, "safe-batch", "many/", 2500).await;
    put(&emu, R0, "safe-batch", "keep/x.txt", "kept").await;

    emu.reset_counters();
    let (code, stdout, stderr) = run(&emu, &["rm", "s3://safe-batch/many/", "--recursive"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 2500);
    assert!(
        stdout.contains("delete: s3://safe-batch/many/2499\n"),
        "{stdout}"
    );
    assert_eq!(by_method(&emu, "POST"), 3, "2 500 keys in 3 DeleteObjects");
    assert_eq!(by_method(&emu, "DELETE"), 0, "no DeleteObject");
    assert_eq!(keys(&emu, R0, "safe-batch").await, ["keep/x.txt"]);

    // sync --delete: 1 200 orphans, two of them protected by a policy.
    put_many(&emu, "safe-batch", "d/orphan-", 1200).await;
    put(&emu, R0, "safe-batch", "d/ok.txt", "ok").await;
    emu.deny_deletes("safe-batch", "d/orphan-000");
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    write(&src.join("ok.txt"), "ok");
    an_hour_old(&src.join("ok.txt"));
    emu.reset_counters();
    let (code, stdout, stderr) = run(
        &emu,
        &[
            "sync",
            src.to_str().unwrap(),
            "s3://safe-batch/d/",
            "--delete",
        ],
    )
    .await;
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(by_method(&emu, "POST"), 2, "1 200 keys in 2 DeleteObjects");
    assert_eq!(by_method(&emu, "DELETE"), 0);
    assert_eq!(stdout.lines().count(), 1190, "every other orphan's line");
    assert!(
        stderr.contains(
            "delete: s3://safe-batch/d/orphan-0000 failed: s3://safe-batch/d/orphan-0000: \
             access denied (AccessDenied"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("9 more failed with: access denied"),
        "{stderr}"
    );
    assert!(
        stderr.contains("sync: 1190 transferred, 0 skipped, 10 failed"),
        "{stderr}"
    );
    let mut left = keys(&emu, R0, "safe-batch").await;
    left.sort();
    let mut want: Vec<String> = (0..10).map(|i| format!("d/orphan-{i:04}")).collect();
    want.extend(["d/ok.txt".to_owned(), "keep/x.txt".to_owned()]);
    want.sort();
    assert_eq!(
        left, want,
        "the refused ten and what was not asked for stay"
    );

    // rm --recursive meets the same policy: the ten fail alone, the rest goes.
    let (code, stdout, stderr) = run(&emu, &["rm", "s3://safe-batch/d/", "--recursive"]).await;
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout.trim(), "delete: s3://safe-batch/d/ok.txt");
    assert_eq!(
        stderr.matches("access denied (AccessDenied").count(),
        10,
        "{stderr}"
    );
    assert!(
        stderr.contains("rm: 1 transferred, 0 skipped, 10 failed"),
        "{stderr}"
    );
    assert_eq!(keys(&emu, R0, "safe-batch").await.len(), 11);
}
