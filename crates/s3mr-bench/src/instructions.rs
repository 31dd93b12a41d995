//! `s3mr-bench instructions raw|multi N`: N warm 4 KiB GETs, one at a time, from one client, with
//! the emulator in a child process. Run under `valgrind --tool=callgrind` (which does not follow
//! the child), the difference between two values of N gives the client's instructions per GET,
//! free of the timing noise that hides a 1% difference on a shared 2-core machine.
//! `scripts/instructions.sh` does this for both clients.

use aws_sdk_s3::primitives::ByteStream;

use crate::setup::{R1, multi_client, raw_client};
use crate::transfer::child_emulator;

pub async fn run(args: &[String]) {
    let [which, count] = args else {
        panic!("instructions raw|multi N");
    };
    let count: usize = count.parse().expect("N");
    let (mut child, sdk, endpoint_map, endpoint_r1) = child_emulator().await;
    let raw = raw_client(&sdk, R1, &endpoint_r1);
    let put = raw.put_object().bucket("transfer").key("4k");
    put.body(ByteStream::from(vec![7u8; 4096]))
        .send()
        .await
        .expect("seed");
    let multi = multi_client(&sdk, &endpoint_map);
    let client = match which.as_str() {
        "raw" => raw,
        "multi" => multi.s3().clone(),
        other => panic!("raw or multi, not {other}"),
    };
    // Warm: connections, and the multi-region client's cache.
    for _ in 0..20 + count {
        let out = client
            .get_object()
            .bucket("transfer")
            .key("4k")
            .send()
            .await;
        let body = out.expect("GET").body.collect().await.expect("body");
        assert_eq!(body.into_bytes().len(), 4096);
    }
    drop(child.stdin.take());
    let _ = child.wait().await;
}
