//! Scenarios 2 and 3: requests on the wire for first calls on a bucket in another region, ours
//! against botocore's redirector, on the same emulator.

use aws_types::SdkConfig;
use s3mr_emulator::{Emulator, Reported, WrongRegionAnswer};

use crate::setup::{R0, figure, multi_client};

/// What one botocore run reported.
struct Botocore {
    ok: u64,
    errors: u64,
    error: Option<String>,
}

/// Runs `botocore_scenarios.py` with `args` against the emulator's us-east-1 listener (what a
/// botocore client with default region us-east-1 and one custom endpoint_url talks to).
async fn botocore(emu: &Emulator, args: &[&str]) -> Option<Botocore> {
    let (access_key, secret_key) = emu.credentials();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/botocore_scenarios.py");
    let output = tokio::process::Command::new("python3")
        .arg(script)
        .args(args)
        .env("S3MR_ENDPOINT", emu.endpoint(R0))
        .env("S3MR_BUCKET", "bench")
        .env("S3MR_KEY", "4k")
        .env("S3MR_ACCESS_KEY", access_key)
        .env("S3MR_SECRET_KEY", secret_key)
        .output()
        .await
        .ok()?;
    if !output.status.success() {
        eprintln!(
            "botocore script failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    }
    let line: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    Some(Botocore {
        ok: line["ok"].as_u64()?,
        errors: line["errors"].as_u64()?,
        error: line["error"].as_str().map(str::to_owned),
    })
}

fn answer_like(emu: &Emulator, answer: WrongRegionAnswer, header: bool) {
    emu.configure(|s| {
        *s = Default::default();
        s.answer(answer);
        s.bucket("bench").region_header = Some(if header {
            Reported::Actual
        } else {
            Reported::Omit
        });
    });
}

pub async fn first_calls(emu: &Emulator, sdk: &SdkConfig) {
    let cases: [(&str, WrongRegionAnswer, bool); 4] = [
        ("301", WrongRegionAnswer::PermanentRedirect, true),
        ("400_ahm", WrongRegionAnswer::GlobalEndpoint, true),
        ("307", WrongRegionAnswer::TemporaryRedirect, true),
        ("301_no_header", WrongRegionAnswer::PermanentRedirect, false),
    ];
    for (name, answer, header) in cases {
        answer_like(emu, answer, header);
        let client = multi_client(sdk, &emu.endpoint_map());
        emu.reset_counters();
        let ours = client.get_object().bucket("bench").key("4k").send().await;
        assert!(ours.is_ok(), "{name}: ours failed");
        let requests = emu.counters().total_requests();
        figure(&format!("cold_first_get_{name}_ours"), requests, "requests");

        emu.reset_counters();
        match botocore(emu, &["first"]).await {
            Some(run) => {
                let requests = emu.counters().total_requests();
                figure(
                    &format!("cold_first_get_{name}_botocore"),
                    requests,
                    "requests",
                );
                figure(
                    &format!("cold_first_get_{name}_botocore_succeeded"),
                    run.ok,
                    "of 1",
                );
                if let Some(error) = run.error {
                    eprintln!("botocore {name}: {error}");
                }
            }
            None => figure(&format!("cold_first_get_{name}_botocore"), "skipped", "-"),
        }
    }
    emu.configure(|s| *s = Default::default());
}

/// Scenario 3, with the global endpoint's 400 answer (the one botocore can follow here).
pub async fn concurrent_first_calls(emu: &Emulator, sdk: &SdkConfig) {
    answer_like(emu, WrongRegionAnswer::GlobalEndpoint, true);
    for concurrency in [16, 128] {
        let client = multi_client(sdk, &emu.endpoint_map());
        emu.reset_counters();
        let calls: Vec<_> = (0..concurrency)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move {
                    client
                        .get_object()
                        .bucket("bench")
                        .key("4k")
                        .send()
                        .await
                        .is_ok()
                })
            })
            .collect();
        let mut ok = 0;
        for call in calls {
            ok += call.await.expect("task") as u64;
        }
        assert_eq!(ok, concurrency, "ours: every call succeeds");
        let name = format!("cold_concurrent_{concurrency}");
        figure(
            &format!("{name}_ours"),
            emu.counters().total_requests(),
            "requests",
        );

        emu.reset_counters();
        let n = concurrency.to_string();
        match botocore(emu, &["concurrent", &n]).await {
            Some(run) => {
                figure(
                    &format!("{name}_botocore"),
                    emu.counters().total_requests(),
                    "requests",
                );
                figure(
                    &format!("{name}_botocore_succeeded"),
                    run.ok,
                    &format!("of {n}"),
                );
                if run.errors > 0 {
                    eprintln!("botocore {name}: {:?}", run.error);
                }
            }
            None => figure(&format!("{name}_botocore"), "skipped", "-"),
        }
    }
    emu.configure(|s| *s = Default::default());
}
