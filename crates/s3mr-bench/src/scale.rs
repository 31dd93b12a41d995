//! Scenario 11: keys by the hundred thousand and the million. Buckets of 10 000, 100 000 and
//! 1 000 000 keys seeded into the emulator without requests (1 000 keys a prefix, a few bytes
//! each), a local tree of the same files with the same times, then four commands, each timed,
//! its requests counted and its peak resident set read (`getrusage` of a python parent that runs
//! only it): `ls --recursive`, `sync` with nothing to do both ways, `rm --recursive --dryrun`.
//! The aws CLI runs beside s3mr up to [`AWS_UP_TO`] keys (beyond, it takes too long to be worth
//! a run). Also the emulator's own cost: the median time of a 1 000-key page from the middle of
//! each bucket, asked by a raw aws-sdk-s3 client.
//!
//! Listing cost, not routing, is measured here: the bucket is in the CLIs' default region and
//! the emulator plain HTTP (`S3MR_ENDPOINTS` for s3mr, `--endpoint-url` for the aws CLI), so
//! neither CLI pays TLS or a redirect. Scenario 9 measures the production path.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use s3mr_emulator::Emulator;

use crate::cli::{Measured, Tools};
use crate::setup::{R0, figure, raw_client, sdk};

/// Keys per prefix (and files per local directory).
const PER_DIR: usize = 1000;
/// The aws CLI runs at these sizes and below.
const AWS_UP_TO: usize = 100_000;

fn key(i: usize) -> String {
    format!("d{:04}/{i:07}.dat", i / PER_DIR)
}

fn body(i: usize) -> Vec<u8> {
    format!("{i:07}\n").into_bytes()
}

/// The local tree of `n` files, the same names, bytes and time as the bucket's objects.
fn write_tree(root: &Path, n: usize, at: SystemTime) {
    let threads = 4;
    std::thread::scope(|scope| {
        for t in 0..threads {
            scope.spawn(move || {
                for dir in (0..n.div_ceil(PER_DIR)).filter(|d| d % threads == t) {
                    std::fs::create_dir_all(root.join(format!("d{dir:04}"))).unwrap();
                    for i in dir * PER_DIR..((dir + 1) * PER_DIR).min(n) {
                        let file = std::fs::File::create(root.join(key(i))).unwrap();
                        std::io::Write::write_all(&mut &file, &body(i)).unwrap();
                        file.set_modified(at).unwrap();
                    }
                }
            });
        }
    });
}

/// The median time of a 1 000-key page starting after the middle key of `bucket`.
async fn page_median(client: &aws_sdk_s3::Client, bucket: &str, n: usize) -> Duration {
    let middle = key(n / 2);
    let mut times = Vec::new();
    for _ in 0..25 {
        let started = Instant::now();
        let page = client
            .list_objects_v2()
            .bucket(bucket)
            .start_after(&middle)
            .send()
            .await
            .expect("a page");
        times.push(started.elapsed());
        assert_eq!(page.key_count(), Some(1000));
    }
    times.sort();
    times[times.len() / 2]
}

fn report(name: &str, n: usize, tool: &str, m: &Measured) {
    let base = format!("scale_{name}_{n}_{tool}");
    figure(&base, format!("{:.2}", m.took.as_secs_f64()), "s");
    figure(
        &format!("{base}_per_key"),
        format!("{:.2}", m.took.as_secs_f64() * 1e6 / n as f64),
        "us",
    );
    figure(&format!("{base}_requests"), m.requests, "requests");
    figure(
        &format!("{base}_peak_rss"),
        format!("{:.1}", m.peak_mib),
        "MiB",
    );
}

pub async fn listings_at_scale(sizes: &[usize]) {
    let aws = std::process::Command::new("aws")
        .arg("--version")
        .output()
        .is_ok();
    let emu = Emulator::builder()
        .region(R0)
        .start()
        .await
        .expect("emulator");
    let (ak, sk) = emu.credentials();
    let client = raw_client(&sdk(ak, sk), R0, &emu.endpoint(R0));
    let dir = tempfile::tempdir().unwrap();
    let s3mr = std::env::var_os("S3MR_BIN")
        .map_or_else(|| PathBuf::from("target/release/s3mr"), PathBuf::from);
    let tools = Tools::plain(&emu, s3mr, dir.path());
    let endpoint = emu.endpoint(R0);
    // Whole seconds, as S3 keeps times: the local files get exactly the objects' time, so both
    // sync directions have nothing to do.
    let secs = (SystemTime::now() - Duration::from_secs(3600))
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    for &n in sizes {
        let bucket = format!("scale-{n}");
        emu.seed_bucket(&bucket, R0).expect("bucket");
        let started = Instant::now();
        emu.seed_objects(&bucket, (0..n).map(|i| (key(i), body(i))), at)
            .expect("seeded");
        figure(
            &format!("scale_seed_{n}"),
            format!("{:.1}", started.elapsed().as_secs_f64()),
            "s",
        );
        let tree = dir.path().join(format!("tree-{n}"));
        write_tree(&tree, n, at);
        figure(
            &format!("scale_emulator_page_{n}"),
            format!(
                "{:.2}",
                page_median(&client, &bucket, n).await.as_secs_f64() * 1e3
            ),
            "ms",
        );
        let url = format!("s3://{bucket}/");
        let t = tree.to_str().unwrap();
        let steps: [(&str, Vec<&str>); 4] = [
            ("ls", vec!["ls", "--recursive", &url]),
            ("sync_down_nothing", vec!["sync", &url, t]),
            ("sync_up_nothing", vec!["sync", t, &url]),
            ("rm_dryrun", vec!["rm", "--recursive", "--dryrun", &url]),
        ];
        for (i, (name, args)) in steps.iter().enumerate() {
            let with_aws = aws && n <= AWS_UP_TO;
            let mut aws_args = args.clone();
            aws_args.extend(["--endpoint-url", &endpoint]);
            // The order alternates by step, so neither tool always runs on a warm cache.
            let aws_first = i % 2 == 1;
            let mut runs = Vec::new();
            if with_aws && aws_first {
                runs.push(("aws", tools.measured(&emu, "aws", &aws_args)));
            }
            runs.push(("s3mr", tools.measured(&emu, "s3mr", args)));
            if with_aws && !aws_first {
                runs.push(("aws", tools.measured(&emu, "aws", &aws_args)));
            }
            for (tool, measured) in &runs {
                report(name, n, tool, measured);
            }
            if let [(_, a), (_, b)] = &runs[..] {
                let (ours, theirs) = if aws_first { (b, a) } else { (a, b) };
                figure(
                    &format!("scale_{name}_{n}_ratio"),
                    format!("{:.2}", theirs.took.as_secs_f64() / ours.took.as_secs_f64()),
                    "aws/s3mr",
                );
            }
        }
        // A million files and objects take gigabytes of small blocks: gone before the next size.
        let _ = std::fs::remove_dir_all(&tree);
    }
}
