//! object_store's own conformance suite (`object_store::integration`, written by its authors)
//! run against `MultiRegionStore`, for a bucket in eu-west-1 and one in ap-southeast-2, with the
//! client's default region us-east-1: every call to those buckets starts in the wrong region.
//! Each suite function gets a fresh emulator, so fixtures never collide. Every public function of
//! the module is run (18); none is skipped. (`signing`, `s3_encryption`, `tagging` and
//! `response_extensions` live in object_store's `aws` tests, not in this module: they test
//! `AmazonS3` internals.)

use crate::common;

use object_store::ObjectStoreExt;
use object_store::integration as suite;
use object_store::path::Path;
use s3_multi_region_object_store::MultiRegionStore;
use s3mr_emulator::Emulator;

const BUCKET: &str = "os-suite";

/// A fresh emulator with `BUCKET` in `region`, and the store over a client defaulting to
/// us-east-1.
async fn store_in(region: &str) -> (Emulator, MultiRegionStore) {
    let (emu, client) = common::world().await;
    emu.seed_bucket(BUCKET, region).unwrap();
    (emu, MultiRegionStore::new(client, BUCKET).unwrap())
}

/// After each suite function: S3 refused none of the light path's signatures (no 400 or 403) (the warm GETs
/// and PUTs, signed without the SDK's orchestrator), whatever keys the suite used — a refused
/// one would fall back to the SDK path and pass unnoticed without this check. (Run once with
/// `--nocapture` and the stats printed: 0–204 calls per function on the light path.)
fn light_path_signed_right(emu: &Emulator, region: &str) {
    // S3 (and the emulator) refuse a bad signature with 403, a badly scoped one with 400.
    let refused = [400, 403].map(|status| emu.counters().answers_with_status(region, status));
    assert_eq!(refused, [0, 0], "a refused signature (400, 403)");
}

/// One `#[tokio::test]` per suite function and region.
macro_rules! suite {
    ($($name:ident => |$store:ident| $body:expr;)*) => {
        mod eu_west_1 {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $name() {
                    let (emu, $store) = store_in("eu-west-1").await;
                    $body;
                    light_path_signed_right(&emu, "eu-west-1");
                }
            )*
        }
        mod ap_southeast_2 {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $name() {
                    let (emu, $store) = store_in("ap-southeast-2").await;
                    $body;
                    light_path_signed_right(&emu, "ap-southeast-2");
                }
            )*
        }
    };
}

suite! {
    put_get_delete_list => |s| suite::put_get_delete_list(&s).await;
    put_get_attributes => |s| suite::put_get_attributes(&s).await;
    get_opts => |s| suite::get_opts(&s).await;
    put_opts => |s| suite::put_opts(&s, true).await;
    list_uses_directories_correctly => |s| suite::list_uses_directories_correctly(&s).await;
    list_with_delimiter => |s| suite::list_with_delimiter(&s).await;
    list_with_offset_exclusivity => |s| suite::list_with_offset_exclusivity(&s).await;
    list_paginated => |s| suite::list_paginated(&s, &s).await;
    rename_and_copy => |s| suite::rename_and_copy(&s).await;
    copy_if_not_exists => |s| suite::copy_if_not_exists(&s).await;
    copy_rename_nonexistent_object => |s| suite::copy_rename_nonexistent_object(&s).await;
    stream_get => |s| suite::stream_get(&s).await;
    multipart => |s| suite::multipart(&s, &s).await;
    multipart_with_opts => |s| suite::multipart_with_opts(&s, &s).await;
    multipart_put_part_out_of_order => |s| suite::multipart_put_part_out_of_order(&s, &s).await;
    multipart_race_condition => |s| suite::multipart_race_condition(&s, true).await;
    multipart_out_of_order => |s| suite::multipart_out_of_order(&s).await;
    get_nonexistent_object => |s| {
        let err = suite::get_nonexistent_object(&s, Some(Path::from("no/such/object")))
            .await
            .unwrap_err();
        assert!(matches!(err, object_store::Error::NotFound { .. }), "{err}");
        // A missing bucket is NotFound too, as object_store's S3 store reports it.
        let other = MultiRegionStore::new(s.client().clone(), "no-such-bucket-here").unwrap();
        let err = other.get(&Path::from("k")).await.unwrap_err();
        assert!(matches!(err, object_store::Error::NotFound { .. }), "{err}");
    };
}
