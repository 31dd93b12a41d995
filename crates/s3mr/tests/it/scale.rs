//! A hundred thousand keys, seeded into the emulator without requests: `ls --recursive`, a
//! `sync` down and a second one with nothing to do, and `sync --delete` with a filter, each
//! with its exact request count and its peak memory measured by the harness (the peak resident
//! set of the child, from `getrusage` of a python parent that runs only it).
//!
//! The memory bounds are what separates streaming from collecting: at 100 000 keys a listing
//! held in memory costs about 200 bytes a key for `ls` and 500 for `sync` (both sides held in
//! maps), i.e. 20 and 50 MB above the baseline, where a streamed listing holds one page and the
//! job queue whatever the number of keys. The bounds sit between the two, with the figures of
//! both printed by the test.

use std::path::Path;
use std::time::{Duration, SystemTime};

use s3mr_emulator::Emulator;

use crate::common::command_via;

const REGION: &str = "us-east-1";
const KEYS: usize = 100_000;
const DIRS: usize = 500;

/// Runs `s3mr args` under a python parent that reports the child's peak resident set (KiB).
const PEAK: &str = "import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE)
sys.stdout.buffer.write(done.stdout)
print('peak_rss_kib=%d' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(done.returncode)";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    peak_mib: f64,
}

async fn run(emu: &Emulator, cwd: &Path, args: &[&str]) -> Run {
    let out = command_via(emu, "python3", &["-c", PEAK], args)
        .current_dir(cwd)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let peak = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("peak_rss_kib="))
        .next_back()
        .and_then(|kib| kib.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no peak reported: {stderr}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
        peak_mib: peak / 1024.0,
    }
}

fn key(i: usize) -> String {
    format!("d{:03}/{i:06}.dat", i % DIRS)
}

fn files_under(dir: &Path) -> usize {
    let mut count = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                count += 1;
            }
        }
    }
    count
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hundred_thousand_keys_stream_in_flat_memory_with_exact_requests() {
    let emu = Emulator::builder().region(REGION).start().await.unwrap();
    emu.seed_bucket("big", REGION).unwrap();
    // Whole seconds an hour ago, as S3 keeps times: a download takes the object's time, so the
    // second sync compares equal times.
    let secs = (SystemTime::now() - Duration::from_secs(3600))
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    let objects = (0..KEYS).map(|i| (key(i), format!("{i}\n").into_bytes()));
    assert_eq!(emu.seed_objects("big", objects, at).unwrap(), KEYS);
    let work = tempfile::tempdir().unwrap();
    let cwd = work.path();
    let pages = KEYS.div_ceil(1000) as u64;

    // The baseline: a listing of one page.
    let small = run(&emu, cwd, &["ls", "s3://big/d000/"]).await;
    assert_eq!(small.code, 0, "{}", small.stderr);
    assert_eq!(small.stdout.lines().count(), KEYS / DIRS);

    // ls --recursive: every key, one line each, one request a page.
    emu.reset_counters();
    let ls = run(&emu, cwd, &["ls", "--recursive", "s3://big/"]).await;
    assert_eq!(ls.code, 0, "{}", ls.stderr);
    assert_eq!(ls.stdout.lines().count(), KEYS);
    assert!(
        ls.stdout
            .lines()
            .next()
            .unwrap()
            .ends_with(" d000/000000.dat")
    );
    assert_eq!(emu.counters().requests(REGION), pages);

    // sync down: every object fetched once; then nothing to do, in listing requests alone.
    emu.reset_counters();
    let down = run(
        &emu,
        cwd,
        &[
            "sync",
            "--no-progress",
            "--only-show-errors",
            "s3://big/",
            "tree",
        ],
    )
    .await;
    assert_eq!(down.code, 0, "{}", down.stderr);
    assert_eq!(files_under(&cwd.join("tree")), KEYS);
    let c = emu.counters();
    assert_eq!(c.requests_by_method(REGION, "GET"), pages + KEYS as u64);
    assert_eq!(c.requests(REGION), pages + KEYS as u64);

    emu.reset_counters();
    let again = run(&emu, cwd, &["sync", "s3://big/", "tree"]).await;
    assert_eq!(
        (again.code, again.stdout.as_str()),
        (0, ""),
        "{}",
        again.stderr
    );
    assert_eq!(emu.counters().requests(REGION), pages);
    let up_again = run(&emu, cwd, &["sync", "tree", "s3://big/"]).await;
    assert_eq!(
        (up_again.code, up_again.stdout.as_str()),
        (0, ""),
        "{}",
        up_again.stderr
    );
    assert_eq!(emu.counters().requests(REGION), 2 * pages);

    // sync --delete with a filter, across more deletes than the job queue holds: the local
    // copies of ten directories go; nine directories' keys are deleted in DeleteObjects of
    // 1000, the excluded one's are kept, every other key is untouched.
    for dir in 0..10 {
        std::fs::remove_dir_all(cwd.join(format!("tree/d{dir:03}"))).unwrap();
    }
    emu.reset_counters();
    let delete = run(
        &emu,
        cwd,
        &[
            "sync",
            "--delete",
            "--exclude",
            "d001/*",
            "tree",
            "s3://big/",
        ],
    )
    .await;
    assert_eq!(delete.code, 0, "{}", delete.stderr);
    let deleted = 9 * KEYS / DIRS;
    assert_eq!(delete.stdout.lines().count(), deleted);
    assert!(
        delete
            .stdout
            .lines()
            .all(|l| l.starts_with("delete: s3://big/d00"))
    );
    let c = emu.counters();
    assert_eq!(
        c.requests_by_method(REGION, "POST"),
        deleted.div_ceil(1000) as u64
    );
    assert_eq!(c.requests(REGION), pages + deleted.div_ceil(1000) as u64);
    emu.reset_counters();
    let left = run(&emu, cwd, &["ls", "--recursive", "s3://big/"]).await;
    let left: Vec<&str> = left.stdout.lines().map(|l| &l[31..]).collect();
    assert_eq!(left.len(), KEYS - deleted);
    let kept = |dir: usize| {
        left.iter()
            .filter(|k| k.starts_with(&format!("d{dir:03}/")))
            .count()
    };
    assert_eq!(kept(1), KEYS / DIRS, "the excluded directory is kept");
    assert_eq!((kept(0), kept(9), kept(10)), (0, 0, KEYS / DIRS));

    // Memory: streamed, the big commands stay within a few MiB of the one-page listing.
    eprintln!(
        "peak RSS MiB: ls one page {:.1}; ls {KEYS} keys {:.1}; sync down {:.1}; sync nothing \
         to do down {:.1} up {:.1}; sync --delete {:.1}",
        small.peak_mib,
        ls.peak_mib,
        down.peak_mib,
        again.peak_mib,
        up_again.peak_mib,
        delete.peak_mib
    );
    let bound = small.peak_mib + 8.0;
    for (what, run) in [
        ("ls --recursive", &ls),
        ("sync with nothing to do (down)", &again),
        ("sync with nothing to do (up)", &up_again),
        ("sync --delete", &delete),
    ] {
        assert!(
            run.peak_mib < bound,
            "{what}: {:.1} MiB at {KEYS} keys, over {bound:.1} (one page: {:.1})",
            run.peak_mib,
            small.peak_mib
        );
    }
}
