//! What the CLI's end-to-end tests share: the built binary run against an emulator with an
//! endpoint map, in an environment that holds nothing but what the test gives it.

#![allow(dead_code)]

use s3mr_emulator::Emulator;

pub const BIN: &str = env!("CARGO_BIN_EXE_s3mr");

/// `s3mr args...` with the emulator's credentials, region us-east-1 and its endpoint map.
pub fn command(emu: &Emulator, args: &[&str]) -> tokio::process::Command {
    let (ak, sk) = emu.credentials();
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.args(args)
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
