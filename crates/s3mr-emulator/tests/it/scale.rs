//! Listings at scale: 100 000 seeded keys list exactly as a sorted model says (pages, delimiters,
//! StartAfter, continuation tokens, ListObjects markers), and a page costs about the same in a
//! bucket of 100 000 keys as in one of 1 000 — the index, not a scan of the bucket.

use crate::common;

use std::time::{Duration, Instant, SystemTime};

use s3mr_emulator::Emulator;

const REGION: &str = "us-east-1";
const BIG: usize = 100_000;
const SMALL: usize = 1_000;

/// The keys of a bucket of `n`: 500 prefixes, some keys one level deeper, and hostile ones.
fn keys(n: usize) -> Vec<String> {
    let mut keys: Vec<String> = (0..n)
        .map(|i| {
            let deeper = if i % 7 == 0 { "sub/" } else { "" };
            format!("p{:03}/{deeper}{i:06}.txt", i % 500)
        })
        .collect();
    keys.extend(["a b+c.txt", "été/x", "../up", "p001/", "p001//double", "z"].map(str::to_owned));
    keys.sort();
    keys
}

/// The page S3's rules give, read one key at a time over the whole sorted model.
fn model(
    keys: &[String],
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<&str>,
    max: usize,
) -> (Vec<String>, Vec<String>, bool) {
    let (mut objects, mut prefixes) = (Vec::new(), Vec::<String>::new());
    let mut last: Option<String> = None;
    for key in keys {
        if !key.starts_with(prefix) || after.is_some_and(|a| key.as_str() <= a) {
            continue;
        }
        let rest = &key[prefix.len()..];
        let group = delimiter.and_then(|d| {
            rest.find(d)
                .map(|i| format!("{prefix}{}", &rest[..i + d.len()]))
        });
        if let Some(group) = &group
            && (last.as_ref() == Some(group) || after.is_some_and(|a| group.as_str() <= a))
        {
            continue;
        }
        if objects.len() + prefixes.len() == max {
            return (objects, prefixes, true);
        }
        last = Some(group.clone().unwrap_or_else(|| key.clone()));
        match group {
            Some(group) => prefixes.push(group),
            None => objects.push(key.clone()),
        }
    }
    (objects, prefixes, false)
}

async fn seeded(emu: &Emulator, bucket: &str, n: usize) -> Vec<String> {
    emu.seed_bucket(bucket, REGION).unwrap();
    let keys = keys(n);
    let at = SystemTime::now() - Duration::from_secs(3600);
    let written = emu
        .seed_objects(bucket, keys.iter().map(|k| (k.clone(), b"x".to_vec())), at)
        .unwrap();
    assert_eq!(written, keys.len());
    keys
}

/// One ListObjectsV2 page: (objects, common prefixes, next token).
async fn page(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    start_after: Option<&str>,
    token: Option<String>,
    max: i32,
) -> (Vec<String>, Vec<String>, Option<String>) {
    let out = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .set_delimiter(delimiter.map(str::to_owned))
        .set_start_after(start_after.map(str::to_owned))
        .set_continuation_token(token)
        .max_keys(max)
        .send()
        .await
        .expect("list");
    let objects = out.contents().iter().map(|o| o.key().unwrap().to_owned());
    let prefixes = out
        .common_prefixes()
        .iter()
        .map(|p| p.prefix().unwrap().to_owned());
    assert_eq!(
        out.is_truncated(),
        Some(out.next_continuation_token().is_some())
    );
    (
        objects.collect(),
        prefixes.collect(),
        out.next_continuation_token().map(str::to_owned),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hundred_thousand_keys_list_as_the_sorted_model_and_pages_cost_what_small_ones_do() {
    let emu = Emulator::builder().region(REGION).start().await.unwrap();
    let started = Instant::now();
    let big = seeded(&emu, "big", BIG).await;
    let seeding = started.elapsed();
    let small = seeded(&emu, "small", SMALL).await;
    let client = common::client(&emu, REGION, REGION);

    // The whole bucket, a page after another by continuation token: every key, in order.
    let (mut listed, mut token, mut pages) = (Vec::new(), None, 0);
    loop {
        let (objects, _, next) = page(&client, "big", "", None, None, token, 1000).await;
        pages += 1;
        listed.extend(objects);
        token = next;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(listed, big, "all {} keys in S3's order", big.len());
    assert_eq!(pages, big.len().div_ceil(1000));

    // Delimiters, prefixes, StartAfter, and tokens after a common prefix.
    let cases: [(&str, Option<&str>, Option<&str>, i32); 7] = [
        ("", Some("/"), None, 1000),
        ("", Some("/"), Some("p250/"), 100),
        ("p123/", Some("/"), None, 1000),
        ("p001/", Some("/"), None, 1000),
        ("", None, Some("p250/000750.txt"), 250),
        ("p4", Some("/"), Some("p41"), 3),
        ("p499/", Some("sub"), None, 1000),
    ];
    for (prefix, delimiter, after, max) in cases {
        let (want_objects, want_prefixes, truncated) =
            model(&big, prefix, delimiter, after, max as usize);
        let (objects, prefixes, next) =
            page(&client, "big", prefix, delimiter, after, None, max).await;
        let case = format!("prefix {prefix:?} delimiter {delimiter:?} after {after:?}");
        assert_eq!(objects, want_objects, "{case}");
        assert_eq!(prefixes, want_prefixes, "{case}");
        assert_eq!(next.is_some(), truncated, "{case}");
        if let Some(token) = next {
            // The next page, by token, is the model's page after the last entry listed.
            let last = want_prefixes
                .last()
                .into_iter()
                .chain(want_objects.last())
                .max()
                .cloned()
                .unwrap();
            let (objects, prefixes, _) =
                page(&client, "big", prefix, delimiter, None, Some(token), max).await;
            let (want_objects, want_prefixes, _) =
                model(&big, prefix, delimiter, Some(&last), max as usize);
            assert_eq!((objects, prefixes), (want_objects, want_prefixes), "{case}");
        }
    }

    // ListObjects (v1) pages by marker the same way.
    let out = client
        .list_objects()
        .bucket("big")
        .marker("p300/")
        .max_keys(10)
        .send()
        .await
        .unwrap();
    let v1: Vec<String> = out
        .contents()
        .iter()
        .map(|o| o.key().unwrap().to_owned())
        .collect();
    assert_eq!(v1, model(&big, "", None, Some("p300/"), 10).0);

    // A page deep in 100 000 keys costs about what one in 1 000 does: the median of 25
    // requests each, taken in turns in this one run (an emulator that reads the whole bucket
    // per page is about a hundred times slower here).
    let mut timings = [Vec::new(), Vec::new()];
    for _ in 0..25 {
        for (i, (bucket, keys)) in [("small", &small), ("big", &big)].into_iter().enumerate() {
            let middle = keys[keys.len() / 2].clone();
            let start = Instant::now();
            let (objects, _, _) = page(&client, bucket, "", None, Some(&middle), None, 100).await;
            timings[i].push(start.elapsed());
            assert_eq!(objects.len(), 100);
        }
    }
    let median = |mut t: Vec<Duration>| {
        t.sort();
        t[t.len() / 2]
    };
    let [small_page, big_page] = timings.map(median);
    eprintln!(
        "seeded {BIG} keys in {seeding:?}; page of 100 at {SMALL} keys {small_page:?}, at {BIG} \
         keys {big_page:?}"
    );
    assert!(
        big_page < small_page * 4,
        "a page at {BIG} keys took {big_page:?}, at {SMALL} keys {small_page:?}"
    );
}

#[tokio::test]
async fn versions_and_open_uploads_page_like_objects() {
    let emu = Emulator::builder().region(REGION).start().await.unwrap();
    emu.seed_bucket("versions", REGION).unwrap();
    let keys = ["a/1", "a/2", "b", "c/x/y"].map(str::to_owned);
    let at = SystemTime::now();
    emu.seed_objects(
        "versions",
        keys.iter().map(|k| (k.clone(), b"x".to_vec())),
        at,
    )
    .unwrap();
    let client = common::client(&emu, REGION, REGION);

    // An unversioned bucket lists one `null` version per object, grouped and paged like a
    // listing of objects.
    let first = client
        .list_object_versions()
        .bucket("versions")
        .delimiter("/")
        .max_keys(2)
        .send()
        .await
        .unwrap();
    let versions: Vec<&str> = first.versions().iter().map(|v| v.key().unwrap()).collect();
    let prefixes: Vec<&str> = first
        .common_prefixes()
        .iter()
        .map(|p| p.prefix().unwrap())
        .collect();
    assert_eq!((versions, prefixes), (vec!["b"], vec!["a/"]));
    assert_eq!(first.is_truncated(), Some(true));
    assert!(
        first
            .versions()
            .iter()
            .all(|v| v.version_id() == Some("null") && v.is_latest() == Some(true))
    );
    let rest = client
        .list_object_versions()
        .bucket("versions")
        .delimiter("/")
        .key_marker(first.next_key_marker().unwrap())
        .send()
        .await
        .unwrap();
    let prefixes: Vec<&str> = rest
        .common_prefixes()
        .iter()
        .map(|p| p.prefix().unwrap())
        .collect();
    assert_eq!((rest.versions().len(), prefixes), (0, vec!["c/"]));
    assert_eq!(rest.is_truncated(), Some(false));

    // Open multipart uploads, in key then upload-id order, a page at a time.
    let mut ids = Vec::new();
    for key in ["u/2", "u/1", "u/1", "w"] {
        let created = client
            .create_multipart_upload()
            .bucket("versions")
            .key(key)
            .send()
            .await
            .unwrap();
        ids.push((key.to_owned(), created.upload_id().unwrap().to_owned()));
    }
    ids.sort();
    let mut listed = Vec::new();
    let (mut key_marker, mut id_marker) = (None, None);
    loop {
        let page = client
            .list_multipart_uploads()
            .bucket("versions")
            .prefix("u/")
            .max_uploads(2)
            .set_key_marker(key_marker.take())
            .set_upload_id_marker(id_marker.take())
            .send()
            .await
            .unwrap();
        listed.extend(page.uploads().iter().map(|u| {
            (
                u.key().unwrap().to_owned(),
                u.upload_id().unwrap().to_owned(),
            )
        }));
        assert!(page.uploads().len() <= 2);
        assert!(listed.len() <= 3, "pages repeat: {listed:?}");
        if page.is_truncated() != Some(true) {
            break;
        }
        key_marker = page.next_key_marker().map(str::to_owned);
        id_marker = page.next_upload_id_marker().map(str::to_owned);
    }
    let want: Vec<_> = ids
        .into_iter()
        .filter(|(k, _)| k.starts_with("u/"))
        .collect();
    assert_eq!(listed, want);
}
