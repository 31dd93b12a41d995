//! Micro figures with criterion: the pure steps routing runs per call, and a memory-tier hit.
//! `cargo bench -p s3-multi-region --bench micro` (scripts/bench.sh runs it in bencher format).

// criterion_group! generates an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use s3_multi_region::cache::MemoryCache;
use s3_multi_region::fs::S3Url;
use s3_multi_region::redirect::{Answer, Operation, classify, parse_error_body};
use s3_multi_region::region::{ValidRegion, validate_region};
use std::hint::black_box;

const AHM: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is wrong; expecting 'eu-west-1'</Message><Region>eu-west-1</Region><RequestId>1</RequestId></Error>";

fn micro(c: &mut Criterion) {
    let cache = MemoryCache::default();
    let region = ValidRegion::new("eu-west-1").unwrap();
    for i in 0..10_000 {
        cache.insert("aws", &format!("bucket-{i}"), &region);
    }
    // A "hit" figure measured on a miss would flatter the cache: check that it hits.
    assert_eq!(
        cache.get_region("aws", "bucket-4242").as_deref(),
        Some("eu-west-1")
    );
    c.bench_function("memory_cache_lookup_hit", |b| {
        b.iter(|| cache.get_region("aws", black_box("bucket-4242")))
    });
    c.bench_function("validate_region", |b| {
        b.iter(|| validate_region(black_box("ap-southeast-2")).is_ok())
    });
    c.bench_function("parse_error_body_ahm", |b| {
        b.iter(|| parse_error_body(black_box(AHM)))
    });
    c.bench_function("s3_url_parse", |b| {
        b.iter(|| black_box("s3://my-bucket/photos/2026/a%20b.jpg").parse::<S3Url>())
    });
    c.bench_function("classify_400_ahm", |b| {
        b.iter(|| {
            classify(black_box(&Answer {
                status: 400,
                bucket_region: None,
                body: Some(AHM),
                operation: Operation::Other,
            }))
        })
    });
}

criterion_group!(benches, micro);
criterion_main!(benches);
