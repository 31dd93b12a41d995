//! Scenario 9: `s3mr` beside the aws CLI (`aws s3`), both run as users run them against the
//! emulator's real-hostnames mode: TLS on every S3 hostname, reached only through its CONNECT
//! proxy (`HTTPS_PROXY`) and trusted only through its test CA (`AWS_CA_BUNDLE`), no endpoint
//! URL. The bucket is in eu-west-1, both CLIs default to us-east-1. Each figure: both wall times,
//! the ratio (aws ÷ ours) and the requests each sent (the emulator's counters).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use s3mr_emulator::{Emulator, TlsSource};

use crate::setup::{R0, R1, figure};

const BUCKET: &str = "bench-cli";
const SMALL_FILES: usize = 1000;
const CHANGED: usize = 10;
const LISTED: usize = 10_000;
const BIG: usize = 512 * 1024 * 1024;

pub(crate) struct Tools {
    s3mr: PathBuf,
    env: Vec<(String, String)>,
}

/// Runs a command under a python parent that reports its peak resident set (KiB) on the last
/// line of standard error: `getrusage` of the only child it ever had.
const PEAK: &str = "import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
sys.stderr.buffer.write(done.stderr)
print('peak_rss_kib=%d' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(done.returncode)";

/// One run of a CLI: wall time, requests the emulator received, peak resident set.
pub(crate) struct Measured {
    pub took: Duration,
    pub requests: u64,
    pub peak_mib: f64,
}

impl Tools {
    /// Both CLIs on the emulator's plain HTTP listeners: s3mr through its endpoint map (the aws
    /// CLI takes `--endpoint-url` in its arguments), home and config files in `home`.
    pub(crate) fn plain(emu: &Emulator, s3mr: PathBuf, home: &Path) -> Self {
        let (ak, sk) = emu.credentials();
        let none = home.join("none").display().to_string();
        let env = [
            ("PATH", std::env::var("PATH").unwrap_or_default()),
            ("HOME", home.display().to_string()),
            ("S3MR_ENDPOINTS", emu.endpoint_map()),
            ("AWS_ACCESS_KEY_ID", ak.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", sk.to_owned()),
            ("AWS_REGION", R0.to_owned()),
            ("AWS_DEFAULT_REGION", R0.to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
            ("AWS_CONFIG_FILE", none.clone()),
            ("AWS_SHARED_CREDENTIALS_FILE", none),
        ];
        Self {
            s3mr,
            env: env.map(|(k, v)| (k.to_owned(), v)).to_vec(),
        }
    }

    /// `tool args` (`s3mr` or `aws s3`) under [`PEAK`], which reports the child's peak memory.
    pub(crate) fn measured(&self, emu: &Emulator, tool: &str, args: &[&str]) -> Measured {
        let mut cmd = std::process::Command::new("python3");
        cmd.args(["-c", PEAK]);
        match tool {
            "s3mr" => cmd.arg(&self.s3mr),
            _ => cmd.args(["aws", "s3"]),
        };
        cmd.args(args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        emu.reset_counters();
        let started = Instant::now();
        let out = cmd.output().expect("run the CLI");
        let took = started.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{tool} {args:?}: {stderr}");
        let peak_kib: f64 = stderr
            .lines()
            .filter_map(|l| l.strip_prefix("peak_rss_kib="))
            .next_back()
            .and_then(|v| v.parse().ok())
            .expect("the peak reported");
        Measured {
            took,
            requests: emu.counters().total_requests(),
            peak_mib: peak_kib / 1024.0,
        }
    }

    fn command(&self, tool: &str, args: &[&str]) -> std::process::Command {
        let mut cmd = match tool {
            "s3mr" => std::process::Command::new(&self.s3mr),
            _ => {
                let mut aws = std::process::Command::new("aws");
                aws.arg("s3");
                aws
            }
        };
        cmd.args(args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs `tool args`, returning the wall time and the requests the emulator received.
    fn timed(&self, emu: &Emulator, tool: &str, args: &[&str]) -> (Duration, u64) {
        emu.reset_counters();
        let started = Instant::now();
        let out = self.command(tool, args).output().expect("run the CLI");
        let took = started.elapsed();
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (took, emu.counters().total_requests())
    }
}

fn write_tree(root: &Path, files: usize) {
    for i in 0..files {
        let path = root.join(format!("d{:02}/f{i:04}.bin", i % 20));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, vec![(i % 251) as u8; 4096]).unwrap();
    }
}

fn report(name: &str, ours: (Duration, u64), aws: (Duration, u64)) {
    figure(
        &format!("cli_{name}_s3mr"),
        format!("{:.2}", ours.0.as_secs_f64()),
        "s",
    );
    figure(
        &format!("cli_{name}_aws"),
        format!("{:.2}", aws.0.as_secs_f64()),
        "s",
    );
    figure(
        &format!("cli_{name}_ratio"),
        format!("{:.2}", aws.0.as_secs_f64() / ours.0.as_secs_f64()),
        "aws/s3mr",
    );
    figure(&format!("cli_{name}_requests_s3mr"), ours.1, "requests");
    figure(&format!("cli_{name}_requests_aws"), aws.1, "requests");
}

/// Runs both tools on one step, the order alternating by step (`aws_first`).
fn both(
    emu: &Emulator,
    tools: &Tools,
    aws_first: bool,
    ours: &[&str],
    aws: &[&str],
) -> ((Duration, u64), (Duration, u64)) {
    if aws_first {
        let a = tools.timed(emu, "aws", aws);
        (tools.timed(emu, "s3mr", ours), a)
    } else {
        let o = tools.timed(emu, "s3mr", ours);
        (o, tools.timed(emu, "aws", aws))
    }
}

/// The emulator in real-hostnames mode (TLS, CONNECT proxy, test CA) with both CLIs set up as
/// users run them against AWS; `None` when the aws CLI is not installed.
pub(crate) async fn real_hostnames() -> Option<(Emulator, Tools, tempfile::TempDir)> {
    if std::process::Command::new("aws")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("aws CLI not installed: skipped (scripts/install-tools.sh installs it)");
        return None;
    }
    let s3mr = std::env::var_os("S3MR_BIN")
        .map_or_else(|| PathBuf::from("target/release/s3mr"), PathBuf::from);
    let emu = Emulator::builder()
        .region(R0)
        .region(R1)
        .tls(TlsSource::Generated)
        .proxy("127.0.0.1:0".parse().unwrap())
        .start()
        .await
        .expect("emulator");
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, emu.ca_pem().unwrap()).unwrap();
    let (ak, sk) = emu.credentials();
    let env = [
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("HOME", dir.path().display().to_string()),
        ("HTTPS_PROXY", emu.proxy_url().unwrap()),
        ("AWS_CA_BUNDLE", ca.display().to_string()),
        ("AWS_ACCESS_KEY_ID", ak.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", sk.to_owned()),
        ("AWS_REGION", R0.to_owned()),
        ("AWS_DEFAULT_REGION", R0.to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        (
            "AWS_CONFIG_FILE",
            dir.path().join("none").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.path().join("none").display().to_string(),
        ),
    ];
    let tools = Tools {
        s3mr,
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    };
    Some((emu, tools, dir))
}

pub async fn against_aws_cli() {
    let Some((emu, tools, dir)) = real_hostnames().await else {
        return;
    };
    emu.seed_bucket(BUCKET, R1).expect("seed");
    let work = dir.path();
    let tree = work.join("tree");
    write_tree(&tree, SMALL_FILES);
    let t = tree.to_str().unwrap();
    let url = |tool: &str, what: &str| format!("s3://{BUCKET}/{tool}/{what}/");

    // (1) 1 000 × 4 KiB up, then down.
    let (o, a) = both(
        &emu,
        &tools,
        false,
        &["cp", t, &url("s3mr", "tree"), "--recursive"],
        &[
            "cp",
            t,
            &url("aws", "tree"),
            "--recursive",
            "--only-show-errors",
        ],
    );
    report("cp_up_1000x4k", o, a);
    let down = |tool: &str| work.join(format!("down-{tool}"));
    let (o, a) = both(
        &emu,
        &tools,
        true,
        &[
            "cp",
            &url("s3mr", "tree"),
            down("s3mr").to_str().unwrap(),
            "--recursive",
        ],
        &[
            "cp",
            &url("aws", "tree"),
            down("aws").to_str().unwrap(),
            "--recursive",
            "--only-show-errors",
        ],
    );
    report("cp_down_1000x4k", o, a);

    // (3) sync after 10 files changed (sizes), on the trees just uploaded.
    std::thread::sleep(Duration::from_millis(1100));
    for i in 0..CHANGED {
        let path = tree.join(format!("d{:02}/f{i:04}.bin", i % 20));
        std::fs::write(path, vec![9u8; 5000]).unwrap();
    }
    emu.reset_counters();
    let (o, a) = both(
        &emu,
        &tools,
        false,
        &["sync", t, &url("s3mr", "tree")],
        &["sync", t, &url("aws", "tree"), "--only-show-errors"],
    );
    report("sync_10_of_1000_changed", o, a);
    // Exactly 10 uploads each time? Count again on a fresh change for ours alone.
    for i in CHANGED..2 * CHANGED {
        let path = tree.join(format!("d{:02}/f{i:04}.bin", i % 20));
        std::fs::write(path, vec![8u8; 5001]).unwrap();
    }
    emu.reset_counters();
    tools.timed(&emu, "s3mr", &["sync", t, &url("s3mr", "tree")]);
    figure(
        "cli_sync_10_changed_puts_s3mr",
        emu.counters().requests_by_method(R1, "PUT"),
        "PUT requests",
    );

    // (2) one 512 MiB file up, then down.
    let big = work.join("big.bin");
    std::fs::write(&big, vec![3u8; BIG]).unwrap();
    let b = big.to_str().unwrap();
    let (o, a) = both(
        &emu,
        &tools,
        true,
        &["cp", b, &format!("s3://{BUCKET}/s3mr/big.bin")],
        &[
            "cp",
            b,
            &format!("s3://{BUCKET}/aws/big.bin"),
            "--only-show-errors",
        ],
    );
    report("cp_up_512m", o, a);
    let (o, a) = both(
        &emu,
        &tools,
        false,
        &[
            "cp",
            &format!("s3://{BUCKET}/s3mr/big.bin"),
            work.join("big-s3mr").to_str().unwrap(),
        ],
        &[
            "cp",
            &format!("s3://{BUCKET}/aws/big.bin"),
            work.join("big-aws").to_str().unwrap(),
            "--only-show-errors",
        ],
    );
    report("cp_down_512m", o, a);
    let _ = std::fs::remove_file(&big);
    let _ = std::fs::remove_file(work.join("big-s3mr"));
    let _ = std::fs::remove_file(work.join("big-aws"));

    // (4) ls --recursive of 10 000 keys (seeded through the s3mr binary's parallel upload).
    let many = work.join("many");
    for i in 0..LISTED {
        let path = many.join(format!("k{:02}/{i:05}", i % 50));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"").unwrap();
    }
    tools.timed(
        &emu,
        "s3mr",
        &[
            "cp",
            many.to_str().unwrap(),
            &url("both", "many"),
            "--recursive",
            "--quiet",
            "--concurrency",
            "32",
        ],
    );
    let (o, a) = both(
        &emu,
        &tools,
        true,
        &["ls", &url("both", "many"), "--recursive"],
        &["ls", &url("both", "many"), "--recursive"],
    );
    report("ls_recursive_10000", o, a);

    // (5) deletes: `sync --delete` after 100 local files went, then `rm --recursive` of the
    // 1 000-file tree. The aws CLI sends one DeleteObject per key; s3mr one DeleteObjects per
    // 1 000 keys. The aws tree first gets the second change s3mr's already has (untimed).
    tools.timed(
        &emu,
        "aws",
        &["sync", t, &url("aws", "tree"), "--only-show-errors"],
    );
    for i in 0..100 {
        let _ = std::fs::remove_file(tree.join(format!("d{:02}/f{i:04}.bin", i % 20)));
    }
    let (o, a) = both(
        &emu,
        &tools,
        false,
        &["sync", t, &url("s3mr", "tree"), "--delete"],
        &[
            "sync",
            t,
            &url("aws", "tree"),
            "--delete",
            "--only-show-errors",
        ],
    );
    report("sync_delete_100_of_1000", o, a);
    let (o, a) = both(
        &emu,
        &tools,
        true,
        &["rm", &url("s3mr", "tree"), "--recursive"],
        &[
            "rm",
            &url("aws", "tree"),
            "--recursive",
            "--only-show-errors",
        ],
    );
    report("rm_recursive_900", o, a);
}
