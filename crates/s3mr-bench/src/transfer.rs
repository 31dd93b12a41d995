//! Scenarios 5 and 6b: body bytes a wrong region receives for a 64 MiB PUT, and s3:// sequential
//! read/write of 256 MiB against raw GetObject/PutObject, with the writer's peak heap.

use std::time::Instant;

use aws_sdk_s3::primitives::ByteStream;
use aws_types::SdkConfig;
use bytes::Bytes;
use s3_multi_region::fs::S3Fs;
use s3mr_emulator::Emulator;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::alloc;
use crate::setup::{R0, R1, figure, median, multi_client, raw_client, sdk};

const MIB: usize = 1024 * 1024;
/// Rounds of the 256 MiB scenario (each writes and reads 1 GiB in all).
const ROUNDS: usize = 5;

/// Scenario 5: a 64 MiB PUT to a bucket whose region the client does not know.
pub async fn wrong_region_put(emu: &Emulator, sdk: &SdkConfig) {
    emu.seed_bucket("unknown-put", R1).expect("seed");
    let body = Bytes::from(vec![5u8; 64 * MIB]);
    emu.reset_counters();
    let multi = multi_client(sdk, &emu.endpoint_map());
    let put = multi.put_object().bucket("unknown-put").key("ours");
    put.body(ByteStream::from(body.clone()))
        .send()
        .await
        .expect("ours");
    let c = emu.counters();
    figure(
        "put_64m_unknown_region_wrong_region_wire_bytes_ours",
        c.wire_bytes_in(R0),
        "bytes",
    );
    figure(
        "put_64m_unknown_region_requests_ours",
        c.total_requests(),
        "requests",
    );

    // The raw SDK with the default region sends the whole body to us-east-1 and gets a 301.
    emu.reset_counters();
    let raw = raw_client(sdk, R0, &emu.endpoint(R0));
    let put = raw.put_object().bucket("unknown-put").key("raw");
    let outcome = put.body(ByteStream::from(body)).send().await;
    let c = emu.counters();
    figure(
        "put_64m_unknown_region_wrong_region_wire_bytes_raw",
        c.wire_bytes_in(R0),
        "bytes",
    );
    figure(
        "put_64m_unknown_region_raw_succeeded",
        outcome.is_ok() as u8,
        "of 1",
    );
}

/// The child process for scenario 6b: an emulator outside the measured process, so the heap
/// counter sees only the client. Prints `ACCESS_KEY SECRET_KEY ENDPOINT_MAP`, runs until stdin
/// closes.
pub async fn emulator_process() {
    let emu = Emulator::builder()
        .region(R0)
        .region(R1)
        .start()
        .await
        .expect("emulator");
    emu.seed_bucket("transfer", R1).expect("seed");
    let (access_key, secret_key) = emu.credentials();
    println!("{access_key} {secret_key} {}", emu.endpoint_map());
    let mut rest = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut rest).await;
    emu.shutdown().await;
}

/// The same bytes as a raw multipart upload: 8 MiB parts, 4 at once (what S3Fs does by default),
/// to separate the writer's own cost from what multipart costs on the server.
async fn raw_multipart(raw: &aws_sdk_s3::Client, data: &Bytes) {
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    let created = raw
        .create_multipart_upload()
        .bucket("transfer")
        .key("raw-multipart");
    let created = created.send().await.expect("create");
    let id = created.upload_id().expect("id").to_owned();
    let parts = data.chunks(8 * MIB).enumerate().map(|(i, chunk)| {
        let (raw, id, body) = (raw.clone(), id.clone(), data.slice_ref(chunk));
        async move {
            let number = i as i32 + 1;
            let part = raw.upload_part().bucket("transfer").key("raw-multipart");
            let out = part
                .upload_id(id)
                .part_number(number)
                .body(ByteStream::from(body));
            let out = out.send().await.expect("part");
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(out.e_tag)
                .build()
        }
    });
    let parts: Vec<_> = futures_lite(parts, 4).await;
    let done = CompletedMultipartUpload::builder()
        .set_parts(Some(parts))
        .build();
    let complete = raw
        .complete_multipart_upload()
        .bucket("transfer")
        .key("raw-multipart");
    complete
        .upload_id(id)
        .multipart_upload(done)
        .send()
        .await
        .expect("complete");
}

/// Runs futures `limit` at a time, keeping their order.
async fn futures_lite<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
    limit: usize,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let mut out = Vec::new();
    let mut batch = tokio::task::JoinSet::new();
    let mut pending: Vec<_> = futures.enumerate().collect();
    pending.reverse();
    while !pending.is_empty() || !batch.is_empty() {
        while batch.len() < limit {
            let Some((i, future)) = pending.pop() else {
                break;
            };
            batch.spawn(async move { (i, future.await) });
        }
        if let Some(done) = batch.join_next().await {
            out.push(done.expect("task"));
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, o)| o).collect()
}

/// An emulator in a child process (so this process measures only the client): the child, its
/// credentials and endpoint map, and eu-west-1's endpoint.
pub async fn child_emulator() -> (tokio::process::Child, SdkConfig, String, String) {
    let exe = std::env::current_exe().expect("exe");
    let mut child = tokio::process::Command::new(exe)
        .arg("emulator-process")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("emulator process");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout)
        .read_line(&mut line)
        .await
        .expect("first line");
    let [access_key, secret_key, endpoint_map] = line.split_whitespace().collect::<Vec<_>>()[..]
    else {
        panic!("unexpected emulator line {line:?}");
    };
    let sdk = sdk(access_key, secret_key);
    let endpoint_r1 = endpoint_map
        .split(',')
        .find_map(|pair| pair.strip_prefix("eu-west-1="))
        .expect("eu-west-1 endpoint");
    (child, sdk, endpoint_map.to_owned(), endpoint_r1.to_owned())
}

pub async fn fs_sequential_256m() {
    let (mut child, sdk, endpoint_map, endpoint_r1) = child_emulator().await;
    let raw = raw_client(&sdk, R1, &endpoint_r1);
    let fs = S3Fs::new(multi_client(&sdk, &endpoint_map));
    fs.exists(&"s3://transfer".parse().expect("url"))
        .await
        .expect("warm");

    let data = Bytes::from((0..256 * MIB).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
    let fs_url = "s3://transfer/through-fs".parse().expect("url");
    let mb = data.len() as f64 / MIB as f64;
    let (mut write_ratio, mut read_ratio, mut multipart_ratio) = (vec![], vec![], vec![]);
    let mut raw_multipart_rate = Vec::new();
    let (mut raw_write, mut fs_write, mut raw_read, mut fs_read) = (vec![], vec![], vec![], vec![]);
    let mut writer_peak = 0;
    for round in 0..ROUNDS {
        // Who goes first alternates by round (raw, then ours; ours, then raw).
        let order: [bool; 2] = if round % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        let (mut raw_secs, mut fs_secs) = (0.0, 0.0);
        for raw_turn in order {
            let started = Instant::now();
            if raw_turn {
                let put = raw.put_object().bucket("transfer").key("raw");
                put.body(ByteStream::from(data.clone()))
                    .send()
                    .await
                    .expect("raw PUT");
                raw_secs = started.elapsed().as_secs_f64();
            } else {
                alloc::reset_peak();
                let before = alloc::current();
                let mut writer = fs.create(&fs_url).expect("writer");
                for chunk in data.chunks(MIB) {
                    writer.write_all(chunk).await.expect("write");
                }
                writer.shutdown().await.expect("complete");
                fs_secs = started.elapsed().as_secs_f64();
                writer_peak = writer_peak.max(alloc::peak() - before);
            }
        }
        raw_write.push(mb / raw_secs);
        fs_write.push(mb / fs_secs);
        write_ratio.push(raw_secs / fs_secs);
        let started = Instant::now();
        raw_multipart(&raw, &data).await;
        let multipart_secs = started.elapsed().as_secs_f64();
        raw_multipart_rate.push(mb / multipart_secs);
        multipart_ratio.push(multipart_secs / fs_secs);

        for raw_turn in order {
            let started = Instant::now();
            if raw_turn {
                let got = raw
                    .get_object()
                    .bucket("transfer")
                    .key("raw")
                    .send()
                    .await
                    .expect("GET");
                let mut body = got.body;
                let mut read = 0;
                while let Some(chunk) = body.next().await {
                    read += chunk.expect("chunk").len();
                }
                assert_eq!(read, data.len());
                raw_secs = started.elapsed().as_secs_f64();
            } else {
                let mut reader = fs.open(&fs_url).await.expect("open");
                let (mut buf, mut read) = (vec![0u8; MIB], 0);
                loop {
                    let n = reader.read(&mut buf).await.expect("read");
                    if n == 0 {
                        break;
                    }
                    read += n;
                }
                assert_eq!(read, data.len());
                fs_secs = started.elapsed().as_secs_f64();
            }
        }
        raw_read.push(mb / raw_secs);
        fs_read.push(mb / fs_secs);
        read_ratio.push(raw_secs / fs_secs);
    }
    let totals = |ours: &[f64], raw: &[f64]| ours.iter().sum::<f64>() / raw.iter().sum::<f64>();
    figure(
        "s3fs_write_256m_ratio_of_totals",
        format!("{:.3}", totals(&fs_write, &raw_write)),
        "s3fs/raw",
    );
    figure(
        "s3fs_read_256m_ratio_of_totals",
        format!("{:.3}", totals(&fs_read, &raw_read)),
        "s3fs/raw",
    );
    figure(
        "s3fs_write_256m_raw_put",
        format!("{:.0}", median(raw_write)),
        "MiB/s",
    );
    figure(
        "s3fs_write_256m_s3fs",
        format!("{:.0}", median(fs_write)),
        "MiB/s",
    );
    figure(
        "s3fs_write_256m_ratio",
        format!("{:.3}", median(write_ratio)),
        "s3fs/raw",
    );
    let rate = median(raw_multipart_rate);
    figure(
        "s3fs_write_256m_raw_multipart_8m_x4",
        format!("{rate:.0}"),
        "MiB/s",
    );
    let ratio = median(multipart_ratio);
    figure(
        "s3fs_write_256m_ratio_vs_raw_multipart",
        format!("{ratio:.3}"),
        "s3fs/raw",
    );
    figure(
        "s3fs_read_256m_raw_get",
        format!("{:.0}", median(raw_read)),
        "MiB/s",
    );
    figure(
        "s3fs_read_256m_s3fs",
        format!("{:.0}", median(fs_read)),
        "MiB/s",
    );
    figure(
        "s3fs_read_256m_ratio",
        format!("{:.3}", median(read_ratio)),
        "s3fs/raw",
    );
    figure(
        "s3fs_writer_peak_heap",
        format!("{:.1}", writer_peak as f64 / MIB as f64),
        "MiB",
    );
    drop(child.stdin.take());
    let _ = child.wait().await;
}
