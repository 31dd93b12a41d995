//! What the CLI's end-to-end tests share: the built binary run against an emulator with an
//! endpoint map, in an environment that holds nothing but what the test gives it.

#![allow(dead_code)]

use s3mr_emulator::Emulator;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_s3mr");

/// `s3mr args...` with the emulator's credentials, region us-east-1 and its endpoint map.
pub(crate) fn command(emu: &Emulator, args: &[&str]) -> tokio::process::Command {
    command_via(emu, BIN, &[], args)
}

/// [`command`] started through `program pre... s3mr args...` (for example `setpriv` to run it
/// as another user), with the same environment.
pub(crate) fn command_via(
    emu: &Emulator,
    program: &str,
    pre: &[&str],
    args: &[&str],
) -> tokio::process::Command {
    let (ak, sk) = emu.credentials();
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(pre)
        .args(if program == BIN { &[][..] } else { &[BIN][..] })
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("AWS_ACCESS_KEY_ID", ak)
        .env("AWS_SECRET_ACCESS_KEY", sk)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("S3MR_ENDPOINTS", emu.endpoint_map());
    cmd
}

/// A plain SDK client on `region`'s listener, to plant and read objects exactly as given
/// (no routing, nothing of `s3mr`'s).
pub(crate) use s3mr_testkit::emulator_client as plain_client;

/// `kill -NAME child`.
pub(crate) async fn signal(child: &tokio::process::Child, name: &str) {
    let pid = child.id().unwrap().to_string();
    let sent = tokio::process::Command::new("kill")
        .args([&format!("-{name}"), &pid])
        .status()
        .await
        .unwrap();
    assert!(sent.success());
}
