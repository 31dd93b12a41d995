//! `S3Fs` append, copy, rename, directories, the stat cache, failures and the blocking adapters,
//! against the emulator: buckets in eu-west-1 (R1) and ap-southeast-2 (R2), client default
//! us-east-1 (R0). Request counts are exact.

use crate::common;

use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Duration;

use crate::common::{R1, R2, World, world};
use aws_sdk_s3::primitives::ByteStream;
use futures::TryStreamExt;
use s3_multi_region::fs::S3Url;
use s3_multi_region::fs::{EntryKind, FsError, S3Fs};
use s3mr_emulator::{Fault, FaultKind};
use tokio::io::AsyncWriteExt;

const MIB: usize = 1024 * 1024;

fn url(s: &str) -> S3Url {
    s.parse().unwrap()
}

fn pattern(len: usize, seed: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 31 + seed) % 251) as u8).collect()
}

async fn put(w: &World, region: &str, bucket: &str, key: &str, body: Vec<u8>) {
    w.direct(region)
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .unwrap();
}

async fn get(w: &World, region: &str, bucket: &str, key: &str) -> Option<Vec<u8>> {
    let got = w
        .direct(region)
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .ok()?;
    Some(common::body_of(got).await)
}

/// Multipart uploads still open in `bucket`, as S3's ListMultipartUploads reports them.
async fn open_uploads(w: &World, region: &str, bucket: &str) -> usize {
    let listed = w
        .direct(region)
        .list_multipart_uploads()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    listed.uploads().len()
}

fn method_counts(w: &World, region: &str) -> [u64; 5] {
    let c = w.emu.counters();
    ["HEAD", "GET", "PUT", "POST", "DELETE"].map(|m| c.requests_by_method(region, m))
}

#[tokio::test]
async fn append_copies_large_objects_on_the_server_and_rewrites_small_ones() {
    let w = world().await;
    w.emu.seed_bucket("fs-append", R1).unwrap();
    let big = pattern(6 * MIB, 1);
    put(&w, R1, "fs-append", "big", big.clone()).await;
    put(&w, R1, "fs-append", "small", b"0123456789".to_vec()).await;
    let fs = S3Fs::new(w.client());
    fs.exists(&url("s3://fs-append")).await.unwrap();
    w.emu.reset_counters();

    // 6 MiB existing + 300 KiB new: HEAD, then create, one UploadPartCopy, one part, complete.
    let tail = pattern(300 * 1024, 2);
    let mut writer = fs.append(&url("s3://fs-append/big")).await.unwrap();
    writer.write_all(&tail).await.unwrap();
    writer.shutdown().await.unwrap();
    assert_eq!(
        method_counts(&w, R1),
        [1, 0, 2, 2, 0],
        "HEAD, PUT x2, POST x2"
    );
    let uploaded = w.emu.counters().body_bytes(R1) - tail.len() as u64;
    assert!(
        uploaded < 1024,
        "only the appended bytes (and the CompleteMultipartUpload XML, {uploaded} B) were sent"
    );
    let mut want = big.clone();
    want.extend_from_slice(&tail);
    assert_eq!(get(&w, R1, "fs-append", "big").await.unwrap(), want);

    // Under 5 MiB S3 cannot copy it as a part: read it back once and write it whole.
    w.emu.reset_counters();
    let mut writer = fs.append(&url("s3://fs-append/small")).await.unwrap();
    writer.write_all(b"ABC").await.unwrap();
    writer.shutdown().await.unwrap();
    assert_eq!(method_counts(&w, R1), [1, 1, 1, 0, 0], "HEAD, GET, PUT");
    assert_eq!(
        get(&w, R1, "fs-append", "small").await.unwrap(),
        b"0123456789ABC"
    );

    // A missing object is created; an append of nothing changes nothing.
    let mut writer = fs.append(&url("s3://fs-append/new")).await.unwrap();
    writer.write_all(b"first").await.unwrap();
    writer.shutdown().await.unwrap();
    assert_eq!(get(&w, R1, "fs-append", "new").await.unwrap(), b"first");
    w.emu.reset_counters();
    let mut writer = fs.append(&url("s3://fs-append/big")).await.unwrap();
    writer.shutdown().await.unwrap();
    assert_eq!(method_counts(&w, R1), [1, 0, 0, 0, 0]);
    assert_eq!(get(&w, R1, "fs-append", "big").await.unwrap(), want);

    // Someone overwrites the object while we append: the append fails, their object stays.
    for key in ["big", "small"] {
        let mut writer = fs
            .append(&url(&format!("s3://fs-append/{key}")))
            .await
            .unwrap();
        put(&w, R1, "fs-append", key, b"theirs".to_vec()).await;
        writer.write_all(&pattern(MIB, 3)).await.unwrap();
        let err = writer.shutdown().await.unwrap_err();
        assert!(
            err.to_string().contains("changed while it was appended"),
            "{key}: {err}"
        );
        assert_eq!(get(&w, R1, "fs-append", key).await.unwrap(), b"theirs");
    }
    assert_eq!(open_uploads(&w, R1, "fs-append").await, 0);
    assert!(matches!(
        fs.append(&url("s3://fs-append/dir/")).await,
        Err(FsError::IsADirectory(_))
    ));
}

#[tokio::test]
async fn rename_moves_objects_and_directories_across_regions() {
    let w = world().await;
    w.emu.seed_bucket("fs-from-eu", R1).unwrap();
    w.emu.seed_bucket("fs-to-ap", R2).unwrap();
    let body = pattern(MIB + 7, 4);
    put(&w, R1, "fs-from-eu", "one.bin", body.clone()).await;
    for key in ["dir/a", "dir/b", "dir/sub/c"] {
        put(&w, R1, "fs-from-eu", key, key.as_bytes().to_vec()).await;
    }
    let fs = S3Fs::new(w.client());
    fs.exists(&url("s3://fs-from-eu")).await.unwrap();
    fs.exists(&url("s3://fs-to-ap")).await.unwrap();
    w.emu.reset_counters();

    let moved = fs
        .rename(
            &url("s3://fs-from-eu/one.bin"),
            &url("s3://fs-to-ap/moved/one.bin"),
        )
        .await
        .unwrap();
    assert_eq!(moved, 1);
    assert_eq!(
        method_counts(&w, R1),
        [1, 0, 0, 0, 1],
        "HEAD and DELETE at the source"
    );
    assert_eq!(
        method_counts(&w, R2),
        [0, 0, 1, 0, 0],
        "one CopyObject at the target"
    );
    assert_eq!(
        w.emu.counters().body_bytes(R2),
        0,
        "S3 copied the bytes, not us"
    );
    assert_eq!(w.requests().0, 0, "nothing to the default region");
    assert_eq!(
        get(&w, R2, "fs-to-ap", "moved/one.bin").await.unwrap(),
        body
    );
    assert_eq!(get(&w, R1, "fs-from-eu", "one.bin").await, None);

    w.emu.reset_counters();
    let moved = fs
        .rename(
            &url("s3://fs-from-eu/dir/"),
            &url("s3://fs-to-ap/moved/dir"),
        )
        .await
        .unwrap();
    assert_eq!(moved, 3);
    assert_eq!(
        method_counts(&w, R1),
        [0, 1, 0, 1, 0],
        "one listing, one DeleteObjects"
    );
    assert_eq!(method_counts(&w, R2), [0, 0, 3, 0, 0], "three CopyObjects");
    for key in ["dir/a", "dir/b", "dir/sub/c"] {
        let moved = get(&w, R2, "fs-to-ap", &format!("moved/{key}")).await;
        assert_eq!(moved.unwrap(), key.as_bytes());
    }
    assert!(!fs.exists(&url("s3://fs-from-eu/dir/")).await.unwrap());
    assert!(matches!(
        fs.rename(&url("s3://fs-from-eu/nothing"), &url("s3://fs-to-ap/x"))
            .await,
        Err(FsError::NotFound(_))
    ));
}

/// A rename onto itself or into its own subtree is refused before any request, objects intact;
/// a directory whose object is rewritten between copy and delete keeps the new version
/// (DeleteObjects with the ETag copied) while the rest moves.
#[tokio::test]
async fn rename_refuses_overlaps_and_keeps_a_source_written_after_its_copy() {
    let w = world().await;
    w.emu.seed_bucket("fs-lap", R1).unwrap();
    for key in ["a/x", "a/y", "k"] {
        put(&w, R1, "fs-lap", key, key.as_bytes().to_vec()).await;
    }
    let fs = S3Fs::new(w.client());
    w.emu.reset_counters();
    for (from, to, why) in [
        ("s3://fs-lap/k", "s3://fs-lap/k", "onto itself"),
        (
            "s3://fs-lap/a/",
            "s3://fs-lap/a/sub/",
            "into its own subtree",
        ),
        (
            "s3://fs-lap/a/",
            "s3://fs-lap/",
            "onto a directory that holds it",
        ),
    ] {
        match fs.rename(&url(from), &url(to)).await {
            Err(FsError::Overlap { why: said, .. }) => assert_eq!(said, why, "{from} {to}"),
            other => panic!("{from} -> {to}: {other:?}"),
        }
    }
    assert_eq!(w.emu.counters().total_requests(), 0, "nothing was sent");
    for key in ["a/x", "a/y", "k"] {
        assert_eq!(get(&w, R1, "fs-lap", key).await.unwrap(), key.as_bytes());
    }

    // The copies land, then `a/x` is rewritten before the delete: it stays, `a/y` moves.
    w.emu.configure(|s| {
        s.per_method_latency
            .insert("POST".into(), Duration::from_millis(1500));
    });
    let rename = {
        let fs = fs.clone();
        tokio::spawn(async move {
            fs.rename(&url("s3://fs-lap/a/"), &url("s3://fs-lap/b/"))
                .await
        })
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while w.emu.counters().requests_by_method(R1, "POST") == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "no DeleteObjects came"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    put(&w, R1, "fs-lap", "a/x", b"rewritten".to_vec()).await;
    match rename.await.unwrap() {
        Err(FsError::Changed(changed)) => assert_eq!(changed.key(), "a/x"),
        other => panic!("{other:?}"),
    }
    assert_eq!(get(&w, R1, "fs-lap", "a/x").await.unwrap(), b"rewritten");
    assert_eq!(get(&w, R1, "fs-lap", "a/y").await, None);
    assert_eq!(get(&w, R1, "fs-lap", "b/x").await.unwrap(), b"a/x");
    assert_eq!(get(&w, R1, "fs-lap", "b/y").await.unwrap(), b"a/y");
}

#[tokio::test]
async fn a_failed_upload_leaves_no_object_no_upload_and_the_old_object_intact() {
    let w = world().await;
    w.emu.seed_bucket("fs-faults", R1).unwrap();
    put(&w, R1, "fs-faults", "kept", b"version one".to_vec()).await;
    let fs = S3Fs::new(w.client()).with_part_size(5 * MIB);
    fs.exists(&url("s3://fs-faults")).await.unwrap();
    // Every PUT to the bucket answers 500: parts fail after the SDK's retries, the upload aborts.
    w.emu.inject(
        Fault::new(FaultKind::InternalError, 1000)
            .for_bucket("fs-faults")
            .for_method("PUT"),
    );
    for key in ["kept", "new"] {
        let mut writer = fs.create(&url(&format!("s3://fs-faults/{key}"))).unwrap();
        let mut failed = writer.write_all(&pattern(12 * MIB, 5)).await.err();
        if failed.is_none() {
            failed = writer.shutdown().await.err();
        }
        let err = failed.expect("the upload must fail");
        assert!(
            err.to_string().contains("InternalError"),
            "the cause is named: {err}"
        );
    }
    w.emu.clear_faults();
    assert_eq!(
        get(&w, R1, "fs-faults", "kept").await.unwrap(),
        b"version one"
    );
    assert_eq!(get(&w, R1, "fs-faults", "new").await, None);
    assert_eq!(open_uploads(&w, R1, "fs-faults").await, 0);
    assert_eq!(w.emu.open_uploads(), 0);
    let c = w.emu.counters();
    assert_eq!(
        c.requests_by_method(R1, "POST"),
        2,
        "two uploads created, none completed"
    );
    assert_eq!(c.requests_by_method(R1, "DELETE"), 2, "both aborted");
}

#[tokio::test]
async fn the_stat_cache_is_filled_by_read_dir_and_forgotten_on_writes() {
    let w = world().await;
    w.emu.seed_bucket("fs-stats", R2).unwrap();
    for (key, len) in [("d/a", 1), ("d/b", 22), ("d/c", 333), ("d/e/f", 4)] {
        put(&w, R2, "fs-stats", key, vec![b'x'; len]).await;
    }
    let fs = S3Fs::new(w.client());
    fs.exists(&url("s3://fs-stats")).await.unwrap();
    w.emu.reset_counters();

    let entries: Vec<_> = fs
        .read_dir(&url("s3://fs-stats/d/"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(entries.len(), 4);
    assert_eq!(w.requests(), (0, 0, 1));
    for entry in &entries {
        let meta = fs.metadata(&entry.url).await.unwrap();
        assert_eq!(
            (meta.kind, meta.size),
            (entry.kind, entry.size),
            "{}",
            entry.url
        );
    }
    assert_eq!(
        w.requests(),
        (0, 0, 1),
        "every stat after read_dir came from the cache"
    );
    assert!(
        fs.metadata(&url("s3://fs-stats/d/c"))
            .await
            .unwrap()
            .etag
            .is_some()
    );

    // A write through the same S3Fs forgets the entry: the next stat asks S3 and sees it.
    let mut writer = fs.create(&url("s3://fs-stats/d/c")).unwrap();
    writer.write_all(b"now four").await.unwrap();
    writer.shutdown().await.unwrap();
    w.emu.reset_counters();
    assert_eq!(
        fs.metadata(&url("s3://fs-stats/d/c")).await.unwrap().size,
        8
    );
    assert_eq!(w.requests(), (0, 0, 1));
    fs.remove(&url("s3://fs-stats/d/a")).await.unwrap();
    assert!(!fs.exists(&url("s3://fs-stats/d/a")).await.unwrap());
    fs.remove_dir_all(&url("s3://fs-stats/d/e/")).await.unwrap();
    assert!(!fs.exists(&url("s3://fs-stats/d/e")).await.unwrap());

    // Turned off, every stat is a request.
    let uncached = S3Fs::new(fs.client().clone()).with_stat_cache(0, Duration::from_secs(60));
    w.emu.reset_counters();
    for _ in 0..3 {
        uncached.metadata(&url("s3://fs-stats/d/b")).await.unwrap();
    }
    assert_eq!(w.requests(), (0, 0, 3));
}

#[tokio::test]
async fn directories_buckets_and_markers() {
    let w = world().await;
    let fs = S3Fs::new(w.client());

    // A bucket made in a chosen region goes straight there with its LocationConstraint.
    fs.create_bucket(&url("s3://fs-made-in-ap"), R2)
        .await
        .unwrap();
    assert_eq!(w.emu.bucket_region("fs-made-in-ap").as_deref(), Some(R2));
    assert_eq!(w.requests(), (0, 0, 1));
    assert!(matches!(
        fs.create_bucket(&url("s3://fs-bad-region"), "eu-west-1.evil.com")
            .await,
        Err(FsError::InvalidRegion(_))
    ));
    assert_eq!(w.requests(), (0, 0, 1), "an invalid region sends nothing");

    fs.create_dir(&url("s3://fs-made-in-ap/empty"))
        .await
        .unwrap();
    let meta = fs
        .metadata(&url("s3://fs-made-in-ap/empty/"))
        .await
        .unwrap();
    assert_eq!(meta.kind, EntryKind::Directory);
    let root: Vec<_> = fs
        .read_dir(&url("s3://fs-made-in-ap/"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(root.len(), 1);
    assert_eq!(
        (root[0].url.key(), root[0].kind),
        ("empty/", EntryKind::Directory)
    );
    let inside: Vec<_> = fs
        .read_dir(&url("s3://fs-made-in-ap/empty/"))
        .try_collect()
        .await
        .unwrap();
    assert!(
        inside.is_empty(),
        "the marker is not an entry of its own directory"
    );

    let mut writer = fs.create(&url("s3://fs-made-in-ap/full/x")).unwrap();
    writer.write_all(b"x").await.unwrap();
    writer.shutdown().await.unwrap();
    assert!(matches!(
        fs.remove_dir(&url("s3://fs-made-in-ap/full")).await,
        Err(FsError::DirectoryNotEmpty(_))
    ));
    fs.remove_dir(&url("s3://fs-made-in-ap/empty/"))
        .await
        .unwrap();
    assert!(matches!(
        fs.remove_dir(&url("s3://fs-made-in-ap/empty/")).await,
        Err(FsError::NotFound(_))
    ));
    assert!(matches!(
        fs.remove_dir(&url("s3://fs-made-in-ap")).await,
        Err(FsError::DirectoryNotEmpty(_))
    ));
    assert!(matches!(
        fs.remove(&url("s3://fs-made-in-ap/full/")).await,
        Err(FsError::IsADirectory(_))
    ));
    assert_eq!(
        fs.remove_dir_all(&url("s3://fs-made-in-ap")).await.unwrap(),
        1
    );
    assert_eq!(
        w.emu.bucket_region("fs-made-in-ap"),
        None,
        "the bucket is gone"
    );
    assert!(matches!(
        fs.metadata(&url("s3://fs-made-in-ap")).await,
        Err(FsError::NotFound(_))
    ));
    assert_eq!(w.requests().1, 0, "nothing ever went to eu-west-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_adapters_read_seek_and_write_from_sync_code() {
    let w = world().await;
    w.emu.seed_bucket("fs-sync", R1).unwrap();
    let fs = S3Fs::new(w.client())
        .with_part_size(5 * MIB)
        .with_read_ahead(MIB);
    let data = pattern(6 * MIB + 3, 6);
    let handle = tokio::runtime::Handle::current();
    let sync = fs.blocking(handle);
    let expected = data.clone();
    tokio::task::spawn_blocking(move || {
        let target = url("s3://fs-sync/blob");
        let mut writer = sync.create(&target).unwrap();
        for chunk in expected.chunks(1 << 20) {
            writer.write_all(chunk).unwrap();
        }
        writer.close().unwrap();

        let mut reader = sync.open(&target).unwrap();
        let mut tail = [0u8; 10];
        reader.seek(SeekFrom::End(-10)).unwrap();
        reader.read_exact(&mut tail).unwrap();
        assert_eq!(tail, expected[expected.len() - 10..]);
        // Across the 5 MiB part boundary, and everything from the start.
        reader.seek(SeekFrom::Start(5 * MIB as u64 - 3)).unwrap();
        let mut around = [0u8; 6];
        reader.read_exact(&mut around).unwrap();
        assert_eq!(around, expected[5 * MIB - 3..5 * MIB + 3]);
        reader.rewind().unwrap();
        let mut all = Vec::new();
        reader.read_to_end(&mut all).unwrap();
        assert_eq!(all, expected);

        assert_eq!(sync.metadata(&target).unwrap().size, expected.len() as u64);
        let mut appender = sync.append(&target).unwrap();
        appender.write_all(b"!").unwrap();
        appender.close().unwrap();
        assert_eq!(
            sync.metadata(&target).unwrap().size,
            expected.len() as u64 + 1
        );

        // Dropped without close: aborted, nothing visible.
        let mut dropped = sync.create(&url("s3://fs-sync/dropped")).unwrap();
        dropped.write_all(&vec![1u8; 6 * MIB]).unwrap();
        drop(dropped);
        assert_eq!(sync.read_dir(&url("s3://fs-sync/")).unwrap().len(), 1);
    })
    .await
    .unwrap();
    let mut with_bang = data;
    with_bang.push(b'!');
    assert_eq!(get(&w, R1, "fs-sync", "blob").await.unwrap(), with_bang);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while w.emu.open_uploads() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the dropped upload was never aborted"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Keys holding `+`, `%`, a space, a control character and non-ASCII come back from every
/// listing exactly as they were written: S3Fs asks for `EncodingType=url` (so a control
/// character travels in the XML at all) and decodes each key and prefix once. Listed across
/// regions, recursively (`objects_under`, `keys_under`, two pages) and one level (`read_dir`,
/// with a common prefix that needs decoding); `remove_dir` sees the marker it is given.
#[tokio::test]
async fn listings_return_keys_with_plus_percent_space_and_control_characters_exactly() {
    let w = world().await;
    w.emu.seed_bucket("fs-odd-keys", R1).unwrap();
    let keys = [
        "t/a b+c.txt",
        "t/%2e%2e/z.txt",
        "t/100%.txt",
        "t/ctl\u{1}x.txt",
        "t/dir a+b/inner.txt",
        "t/été.txt",
    ];
    for key in keys {
        put(&w, R1, "fs-odd-keys", key, b"k".to_vec()).await;
    }
    let fs = S3Fs::new(w.client());
    let mut want: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    want.sort();
    let listed: Vec<String> = fs
        .objects_under(&url("s3://fs-odd-keys/t/"))
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(listed, want);
    let mut entries: Vec<String> = fs
        .read_dir(&url("s3://fs-odd-keys/t/"))
        .map_ok(|e| e.url.key().to_owned())
        .try_collect()
        .await
        .unwrap();
    entries.sort();
    assert_eq!(
        entries,
        [
            "t/%2e%2e/",
            "t/100%.txt",
            "t/a b+c.txt",
            "t/ctl\u{1}x.txt",
            "t/dir a+b/",
            "t/été.txt",
        ]
    );
    // `+` and `%` in a directory's own marker: remove_dir finds the marker is all there is.
    put(&w, R1, "fs-odd-keys", "m+1%/", Vec::new()).await;
    fs.remove_dir(&url("s3://fs-odd-keys/m+1%/")).await.unwrap();
    assert_eq!(get(&w, R1, "fs-odd-keys", "m+1%/").await, None);
}
