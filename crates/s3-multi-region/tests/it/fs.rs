//! `S3Fs` against the emulator: buckets in two regions, the client's default a third.

use crate::common;

use std::pin::pin;

use crate::common::{R1, R2, world};
use aws_sdk_s3::primitives::ByteStream;
use futures::StreamExt;
use s3_multi_region::fs::S3Url;
use s3_multi_region::fs::{EntryKind, FsError, S3Fs};

#[tokio::test]
async fn first_stat_on_an_uncached_bucket_is_correct() {
    let w = world().await;
    w.bucket_with_object("fs-euro", R1, "dir/file.txt", b"twelve bytes")
        .await;
    let fs = S3Fs::new(w.client());

    let meta = fs
        .metadata(&"s3://fs-euro/dir/file.txt".parse().unwrap())
        .await
        .unwrap();
    assert_eq!((meta.kind, meta.size), (EntryKind::File, 12));
    assert!(meta.etag.is_some() && meta.modified.is_some());
    assert_eq!(
        w.requests(),
        (1, 1, 0),
        "bodiless 301 followed, not read as 'not found'"
    );

    let dir = fs
        .metadata(&"s3://fs-euro/dir".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(dir.kind, EntryKind::Directory);
    assert_eq!(
        fs.metadata(&"s3://fs-euro".parse().unwrap())
            .await
            .unwrap()
            .kind,
        EntryKind::Directory
    );
    assert!(
        fs.exists(&"s3://fs-euro/dir/".parse().unwrap())
            .await
            .unwrap()
    );
    assert!(
        !fs.exists(&"s3://fs-euro/nothing".parse().unwrap())
            .await
            .unwrap()
    );
    assert!(matches!(
        fs.metadata(&"s3://fs-absent-bucket/x".parse().unwrap())
            .await,
        Err(FsError::S3 { .. } | FsError::NotFound(_))
    ));
    assert!(matches!(
        fs.metadata(&"s3://fs-absent-bucket".parse().unwrap()).await,
        Err(FsError::NotFound(_))
    ));
}

#[tokio::test]
async fn read_dir_pages_lazily_through_thousands_of_keys() {
    let w = world().await;
    w.emu.seed_bucket("fs-sydney", R2).unwrap();
    let direct = w.direct(R2);
    let puts = (0..2100).map(|i| {
        let direct = direct.clone();
        async move {
            let key = if i % 700 == 0 {
                format!("many/sub{i}/x")
            } else {
                format!("many/k{i:05}")
            };
            direct
                .put_object()
                .bucket("fs-sydney")
                .key(key)
                .body(ByteStream::from_static(b"v"))
                .send()
                .await
                .unwrap();
        }
    });
    futures::stream::iter(puts)
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    w.emu.reset_counters();

    let fs = S3Fs::new(w.client());
    let mut entries = pin!(fs.read_dir(&"s3://fs-sydney/many".parse().unwrap()));
    let first = entries.next().await.unwrap().unwrap();
    assert_eq!(
        w.requests(),
        (1, 0, 1),
        "reading the first entry fetched one page (after one redirect)"
    );
    let mut all = vec![first];
    while let Some(entry) = entries.next().await {
        all.push(entry.unwrap());
    }
    let dirs = all
        .iter()
        .filter(|e| e.kind == EntryKind::Directory)
        .count();
    let files = all.iter().filter(|e| e.kind == EntryKind::File).count();
    assert_eq!((dirs, files), (3, 2097));
    assert_eq!(w.requests(), (1, 0, 3), "2100 keys: three pages of 1000");
    assert!(
        all.iter()
            .any(|e| e.url.to_string() == "s3://fs-sydney/many/sub700/")
    );
}

async fn read_back(w: &common::World, bucket: &str, key: &str) -> Vec<u8> {
    let got = w
        .direct(R1)
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    got.body.collect().await.unwrap().into_bytes().to_vec()
}

#[tokio::test]
async fn writer_round_trips_across_part_boundaries() {
    use tokio::io::AsyncWriteExt;
    let w = world().await;
    w.emu.seed_bucket("fs-writes", R1).unwrap();
    const MIB: usize = 1024 * 1024;
    // 5 MiB parts, 3 uploading at once.
    let fs = S3Fs::new(w.client())
        .with_part_size(5 * MIB)
        .with_parallel_parts(3);
    for size in [0, 1, 5 * MIB - 1, 5 * MIB + 1, 64 * MIB] {
        let data: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
        let url: S3Url = format!("s3://fs-writes/object-{size}").parse().unwrap();
        let mut writer = fs.create(&url).unwrap();
        // Odd-sized writes, as a caller streaming from elsewhere would make.
        for chunk in data.chunks(777_777) {
            writer.write_all(chunk).await.unwrap();
        }
        writer.shutdown().await.unwrap();
        assert_eq!(
            read_back(&w, "fs-writes", &format!("object-{size}")).await,
            data,
            "{size} bytes"
        );
    }
    let c = w.emu.counters();
    assert_eq!(
        c.requests(common::R0),
        1,
        "only the empty first PUT met a redirect"
    );
    assert_eq!(
        c.body_bytes(common::R0),
        0,
        "no body byte to the wrong region"
    );
    // Three single PUTs (0, 1, 5 MiB - 1); 2 parts for 5 MiB + 1 and 13 for 64 MiB, each upload
    // created and completed with a POST.
    assert_eq!(
        (
            c.requests_by_method(R1, "PUT"),
            c.requests_by_method(R1, "POST")
        ),
        (18, 4)
    );
}

#[tokio::test]
async fn a_dropped_writer_leaves_no_object_and_no_upload() {
    use tokio::io::AsyncWriteExt;
    let w = world().await;
    w.emu.seed_bucket("fs-drops", R1).unwrap();
    let fs = S3Fs::new(w.client());
    let url = "s3://fs-drops/never".parse().unwrap();
    let mut writer = fs.create(&url).unwrap();
    writer
        .write_all(&vec![7u8; 20 * 1024 * 1024])
        .await
        .unwrap();
    drop(writer);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while w.emu.counters().requests_by_method(R1, "DELETE") == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "AbortMultipartUpload never came"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(!fs.exists(&url).await.unwrap(), "no partial object");
    assert_eq!(w.emu.open_uploads(), 0, "no dangling multipart upload");
}

#[tokio::test]
async fn reader_reads_seeks_within_its_buffer_and_pins_the_etag() {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    const MIB: usize = 1024 * 1024;
    let w = world().await;
    let data: Vec<u8> = (0..3 * MIB + 5).map(|i| (i * 7 % 256) as u8).collect();
    w.bucket_with_object("fs-reads", R1, "blob", &data).await;
    let url: s3_multi_region::fs::S3Url = "s3://fs-reads/blob".parse().unwrap();
    let client = w.client();

    let mut reader = s3_multi_region::fs::S3Reader::open(client.clone(), url.clone(), MIB)
        .await
        .unwrap();
    assert_eq!(reader.size(), data.len() as u64);
    let mut all = Vec::new();
    reader.read_to_end(&mut all).await.unwrap();
    assert_eq!(all, data);
    let gets = |w: &common::World| w.emu.counters().requests_by_method(R1, "GET");
    assert_eq!(gets(&w), 4, "3 MiB + 5 bytes in 1 MiB ranges");
    assert_eq!(
        w.requests(),
        (1, 5, 0),
        "HEAD 301 at R0, then HEAD + 4 ranged GETs at R1"
    );

    // Inside the buffer (the last range): no new request.
    reader
        .seek(std::io::SeekFrom::Start((3 * MIB + 1) as u64))
        .await
        .unwrap();
    let mut two = [0u8; 2];
    reader.read_exact(&mut two).await.unwrap();
    assert_eq!(two, data[3 * MIB + 1..3 * MIB + 3]);
    assert_eq!(gets(&w), 4);
    // Back to the start: one ranged GET; from the end: inside the buffer again.
    reader.seek(std::io::SeekFrom::Start(10)).await.unwrap();
    reader.read_exact(&mut two).await.unwrap();
    assert_eq!(two, data[10..12]);
    assert_eq!(gets(&w), 5);
    assert_eq!(
        reader.seek(std::io::SeekFrom::End(-2)).await.unwrap(),
        (data.len() - 2) as u64
    );
    reader.read_exact(&mut two).await.unwrap();
    assert_eq!(two, data[data.len() - 2..]);
    assert!(
        reader
            .seek(std::io::SeekFrom::Current(-(data.len() as i64) - 1))
            .await
            .is_err()
    );

    // An overwrite while reading is an error, never mixed bytes.
    let mut pinned = s3_multi_region::fs::S3Reader::open(client.clone(), url.clone(), MIB)
        .await
        .unwrap();
    let mut first = [0u8; 10];
    pinned.read_exact(&mut first).await.unwrap();
    w.direct(R1)
        .put_object()
        .bucket("fs-reads")
        .key("blob")
        .body(ByteStream::from(vec![0u8; 3 * MIB + 5]))
        .send()
        .await
        .unwrap();
    pinned
        .seek(std::io::SeekFrom::Start((2 * MIB) as u64))
        .await
        .unwrap();
    let err = pinned.read_exact(&mut first).await.unwrap_err();
    assert!(
        err.to_string().contains("changed while it was read"),
        "{err}"
    );

    let missing = S3Fs::new(client)
        .open(&"s3://fs-reads/nothing".parse().unwrap())
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
}

/// Once two ranges in a row were read sequentially the reader keeps two more in flight (one
/// request's set-up overlaps another's transfer), never more, and a whole read costs exactly one
/// GET per range.
#[tokio::test]
async fn a_sequential_reader_keeps_two_ranges_in_flight_after_two_in_a_row() {
    use tokio::io::AsyncReadExt;
    const MIB: usize = 1024 * 1024;
    let w = world().await;
    let data: Vec<u8> = (0..8 * MIB + 5).map(|i| (i * 13 % 256) as u8).collect();
    w.bucket_with_object("fs-ahead", R1, "blob", &data).await;
    let url: s3_multi_region::fs::S3Url = "s3://fs-ahead/blob".parse().unwrap();
    let mut reader = s3_multi_region::fs::S3Reader::open(w.client(), url, MIB)
        .await
        .unwrap();
    let gets = || w.emu.counters().requests_by_method(R1, "GET");
    // The prefetches run on their own tasks: wait (bounded) for what they send.
    let settles_at = |expected: u64| async move {
        for _ in 0..500 {
            if gets() >= expected {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(gets(), expected);
    };
    let mut got = vec![0u8; 2 * MIB];
    reader.read_exact(&mut got[..MIB]).await.unwrap();
    settles_at(2).await; // range 0, and range 1 ahead
    reader.read_exact(&mut got[MIB..]).await.unwrap();
    settles_at(4).await; // two in a row: ranges 2 and 3 ahead, not 4
    reader.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, data);
    assert_eq!(gets(), 9, "8 MiB + 5 bytes in 1 MiB ranges, none twice");
}

/// `S3Fs::download_to`: 4 ranged GETs of 5 MiB at the bucket's region for 17 MiB, after one
/// wrong-region answer; byte-identical; the ETag of the version written; no temporary file left.
#[tokio::test]
async fn download_to_fetches_parts_in_parallel_from_the_buckets_region() {
    let w = world().await;
    let body: Vec<u8> = (0..17 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    w.bucket_with_object("dl-euro", R1, "big.bin", &body).await;
    let fs = S3Fs::new(w.client()).with_part_size(5 * 1024 * 1024);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    let seen = std::sync::Mutex::new(Vec::new());
    let written = fs
        .download_to_with_progress(
            &"s3://dl-euro/big.bin".parse().unwrap(),
            &path,
            |n, total| seen.lock().unwrap().push((n, total)),
        )
        .await
        .unwrap();
    assert_eq!(written.bytes, body.len() as u64);
    assert!(written.etag.is_some());
    assert!(std::fs::read(&path).unwrap() == body, "byte-identical");
    let counts = w.emu.counters();
    assert_eq!(
        counts.requests_by_method(R1, "GET"),
        4,
        "0-5, 5-10, 10-15, 15-17 MiB"
    );
    assert_eq!(
        w.requests(),
        (1, 4, 0),
        "one wrong-region answer, then the bucket's region"
    );
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.last(), Some(&(body.len() as u64, body.len() as u64)));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file"
    );
}

/// An object replaced while its parts are fetched fails the download (`If-Match` on the first
/// part's ETag) and leaves the file that was there; a download dropped mid-way (Ctrl-C) leaves
/// no temporary file either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_that_fails_or_is_dropped_leaves_the_old_file_and_nothing_else() {
    let w = world().await;
    let body = vec![b'v'; 12 * 1024 * 1024];
    w.bucket_with_object("dl-replaced", R2, "k.bin", &body)
        .await;
    let fs = S3Fs::new(w.client()).with_part_size(5 * 1024 * 1024);
    let url: S3Url = "s3://dl-replaced/k.bin".parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.bin");
    std::fs::write(&path, b"the file that was there").unwrap();

    // Replaced between the first part and the others.
    let direct = w.direct(R2);
    let replaced = std::sync::atomic::AtomicBool::new(false);
    let handle = tokio::runtime::Handle::current();
    let err = fs
        .download_to_with_progress(&url, &path, |_, _| {
            if !replaced.swap(true, std::sync::atomic::Ordering::SeqCst) {
                let direct = direct.clone();
                tokio::task::block_in_place(|| {
                    handle.block_on(async {
                        direct
                            .put_object()
                            .bucket("dl-replaced")
                            .key("k.bin")
                            .body(ByteStream::from(vec![b'w'; 12 * 1024 * 1024]))
                            .send()
                            .await
                            .unwrap();
                    })
                });
            }
        })
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        s3_multi_region::ErrorKind::PreconditionFailed,
        "{err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"the file that was there");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file"
    );

    // Dropped once the first part is written.
    w.emu.configure(|s| {
        s.per_method_latency
            .insert("GET".into(), std::time::Duration::from_millis(300));
    });
    let started = tokio::sync::Notify::new();
    let download = fs.download_to_with_progress(&url, &path, |_, _| started.notify_one());
    tokio::select! {
        _ = download => panic!("finished before it was dropped"),
        () = started.notified() => {}
    }
    assert_eq!(std::fs::read(&path).unwrap(), b"the file that was there");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file"
    );
}
