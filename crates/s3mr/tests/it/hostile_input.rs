//! Hostile input end to end, through the built binary: keys that are not paths, local trees with
//! symlink loops and FIFOs, and cache URLs that carry a password.

use std::path::{Path, PathBuf};
use std::process::Output;

use s3mr_emulator::Emulator;

use crate::common::{command, plain_client};

async fn emulator() -> Emulator {
    Emulator::builder()
        .region("us-east-1")
        .region("eu-west-1")
        .start()
        .await
        .unwrap()
}

async fn run(emu: &Emulator, args: &[&str]) -> (Output, String, String) {
    let out = command(emu, args).output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    found
}

/// Keys that name no safe local path, with the reason the warning gives.
const HOSTILE: &[(&str, &str)] = &[
    ("../../escape1.txt", "parent directory"),
    ("a/../../escape2.txt", "parent directory"),
    ("..", "parent directory"),
    (".", "empty, `.` or absolute"),
    ("/abs", "empty, `.` or absolute"),
    ("x/./y", "empty, `.` or absolute"),
    ("a//b", "empty, `.` or absolute"),
    ("out/planted.txt", "symlink that leads outside"),
];

#[tokio::test]
async fn recursive_download_keeps_every_file_inside_its_destination() {
    let emu = emulator().await;
    emu.seed_bucket("trav", "eu-west-1").unwrap();
    let client = plain_client(&emu, "eu-west-1");
    let ordinary = [
        "ok.txt",
        "sub/ok2.txt",
        "%2e%2e/z.txt",
        "...",
        "ok.txt/inner",
    ];
    for key in HOSTILE
        .iter()
        .map(|(k, _)| *k)
        .chain(ordinary)
        .chain(["dir/"])
    {
        client
            .put_object()
            .bucket("trav")
            .key(key)
            .body(format!("body of {key}").into_bytes().into())
            .send()
            .await
            .unwrap();
    }

    // work/one/two/out is the destination; work/outside is where a planted symlink points.
    let work = tempfile::tempdir().unwrap();
    let dest = work.path().join("one/two/out");
    std::fs::create_dir_all(&dest).unwrap();
    let outside = work.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, dest.join("out")).unwrap();

    let (out, stdout, stderr) = run(
        &emu,
        &["cp", "s3://trav/", dest.to_str().unwrap(), "--recursive"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");

    // Nothing outside the destination, nothing through the symlink.
    let written = files_under(work.path());
    for path in &written {
        assert!(
            path.starts_with(&dest),
            "{} is outside {}",
            path.display(),
            dest.display()
        );
    }
    assert!(files_under(&outside).is_empty());
    // Ordinary keys arrived intact; the one that cannot be a file (ok.txt is one) failed alone.
    for key in ["ok.txt", "sub/ok2.txt", "%2e%2e/z.txt", "..."] {
        let body = std::fs::read(dest.join(key)).unwrap_or_else(|e| panic!("{key}: {e}"));
        assert_eq!(body, format!("body of {key}").into_bytes(), "{key}");
    }
    assert_eq!(written.len(), 4, "{written:?}");

    // One warning per hostile key, naming it as S3 holds it.
    for (key, why) in HOSTILE {
        let line = format!("warning: Skipping s3://trav/{key}: ");
        let found = stderr.lines().find(|l| l.starts_with(&line));
        let found = found.unwrap_or_else(|| panic!("no warning for {key:?}: {stderr}"));
        assert!(found.contains(why), "{found}");
    }
    assert!(
        stderr.contains("download: s3://trav/ok.txt/inner to ") && stderr.contains(" failed: "),
        "{stderr}"
    );
    // A non-empty object named like a directory is reported, never dropped silently.
    assert!(
        stderr.contains(
            "warning: Skipping s3://trav/dir/: an object of 12 bytes whose key ends in '/'"
        ),
        "{stderr}"
    );
    // Keys printed once, as S3 holds them: never %252e.
    assert!(
        stdout.contains("download: s3://trav/%2e%2e/z.txt to "),
        "{stdout}"
    );
    assert!(
        !stdout.contains("%25") && !stderr.contains("%25"),
        "{stdout}{stderr}"
    );
    assert_eq!(stdout.lines().count(), 4, "{stdout}");
    assert!(
        stderr
            .trim_end()
            .ends_with("s3mr: cp: 4 transferred, 9 skipped, 1 failed"),
        "{stderr}"
    );

    // A bucket of ordinary keys only: exit 0, no warnings.
    emu.seed_bucket("plain", "eu-west-1").unwrap();
    for key in ["a.txt", "d/b.txt", "dir/"] {
        client
            .put_object()
            .bucket("plain")
            .key(key)
            .body(Vec::new().into())
            .send()
            .await
            .unwrap();
    }
    let clean = work.path().join("clean");
    let (out, stdout, stderr) = run(
        &emu,
        &["cp", "s3://plain/", clean.to_str().unwrap(), "--recursive"],
    )
    .await;
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    assert!(clean.join("a.txt").is_file() && clean.join("d/b.txt").is_file());
    assert!(
        !clean.join("dir").exists(),
        "a directory marker is passed over, as the aws CLI does"
    );

    // A single object whose last segment is `..` is refused, not written to the parent.
    let (out, _, stderr) = run(&emu, &["cp", "s3://trav/..", dest.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("parent directory"), "{stderr}");
}

#[tokio::test]
async fn recursive_upload_survives_symlink_loops_and_fifos() {
    let emu = emulator().await;
    emu.seed_bucket("up-bucket", "us-east-1").unwrap();
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    std::fs::write(tree.join("a.txt"), b"a").unwrap();
    std::fs::write(tree.join("sub/b.txt"), b"b").unwrap();
    std::os::unix::fs::symlink("..", tree.join("sub/loop")).unwrap();
    let fifo = tree.join("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );

    let list = |emu: &Emulator| {
        let client = plain_client(emu, "us-east-1");
        async move {
            let out = client
                .list_objects_v2()
                .bucket("up-bucket")
                .send()
                .await
                .unwrap();
            out.contents()
                .iter()
                .map(|o| o.key().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let (out, stdout, stderr) = run(
        &emu,
        &[
            "cp",
            tree.to_str().unwrap(),
            "s3://up-bucket/t/",
            "--recursive",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert_eq!(list(&emu).await, ["t/a.txt", "t/sub/b.txt"]);
    assert!(stderr.contains("symlink loop"), "{stderr}");
    assert!(stderr.contains("not a regular file"), "{stderr}");
    assert!(
        stderr
            .trim_end()
            .ends_with("s3mr: cp: 2 transferred, 2 skipped, 0 failed"),
        "{stderr}"
    );

    std::fs::remove_file(&fifo).unwrap();
    let (out, _, stderr) = run(
        &emu,
        &[
            "cp",
            tree.to_str().unwrap(),
            "s3://up-bucket/n/",
            "--recursive",
            "--no-follow-symlinks",
        ],
    )
    .await;
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(
        list(&emu).await,
        ["n/a.txt", "n/sub/b.txt", "t/a.txt", "t/sub/b.txt"]
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Stops the redis-server it started.
struct Redis(std::process::Child);

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn cache_passwords_are_never_printed() {
    const PASSWORD: &str = "hunter2pw";
    let emu = emulator().await;
    emu.seed_bucket("secret-test", "eu-west-1").unwrap();
    let down = format!("redis://:{PASSWORD}@127.0.0.1:{}/0", free_port());

    // Redis down: the error names the cache without its password.
    let mut seen = String::new();
    for args in [
        vec!["--cache", &down, "cache", "stats"],
        vec!["--cache", &down, "cache", "stats", "--json"],
        vec!["--cache", &down, "-v", "region", "secret-test"],
        vec!["--cache", "redis://:hunter2pw@[::1/0", "cache", "stats"],
    ] {
        let (out, stdout, stderr) = run(&emu, &args).await;
        seen.push_str(&stdout);
        seen.push_str(&stderr);
        assert!(
            !stdout.contains(PASSWORD) && !stderr.contains(PASSWORD),
            "{args:?}: {stdout}{stderr}"
        );
        let _ = out;
    }
    assert!(seen.contains("redis://:***@127.0.0.1"), "{seen}");

    // A working Redis that needs the password: same, on success and with -v.
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let server = std::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .args(["--appendonly", "no", "--requirepass", PASSWORD])
        .arg("--dir")
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("redis-server (scripts/test.sh installs it)");
    let _server = Redis(server);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let up = format!("redis://:{PASSWORD}@127.0.0.1:{port}/0");
    for args in [
        vec!["--cache", &up, "-v", "region", "secret-test"],
        vec!["--cache", &up, "-v", "cache", "stats"],
        vec!["--cache", &up, "cache", "stats", "--json"],
        vec!["--cache", &up, "cache", "get", "secret-test"],
    ] {
        let (out, stdout, stderr) = run(&emu, &args).await;
        assert!(out.status.success(), "{args:?}: {stdout}{stderr}");
        assert!(
            !stdout.contains(PASSWORD) && !stderr.contains(PASSWORD),
            "{args:?}: {stdout}{stderr}"
        );
    }
    // The cache really was used: the region went into Redis through the password.
    let (_, stdout, _) = run(&emu, &["--cache", &up, "cache", "get", "secret-test"]).await;
    assert_eq!(stdout.trim(), "secret-test\teu-west-1");
}
