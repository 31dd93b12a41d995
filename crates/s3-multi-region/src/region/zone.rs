//! Directory buckets (S3 Express One Zone) carry their zone in their name, and the zone names its
//! region: `base--usw2-az1--x-s3` is in us-west-2, an access point on one
//! `name--usw2-az1--xa-s3` too, a Local Zone's `base--usw2-lax1-az1--x-s3` as well.
//!
//! Why routing must read the name: S3 Express answers a request for another region with no
//! redirect and no region header — that region's zonal host does not resolve — so nothing can be
//! learned from the answer. And aws-sdk-s3 builds the zonal host from the *client's* region
//! (`<bucket>.s3express-<zone>.<region>.amazonaws.com`) without checking that the zone is in it.
//!
//! **A grammar, not a table.** AWS names a zone ID after its region's code: the area, `g` for
//! GovCloud, the first letters of each direction word, and the number — `us-east-1` → `use1`,
//! `ap-northeast-1` → `apne1`, `us-gov-west-1` → `usgw1`, `cn-northwest-1` → `cnnw1`. The rule is
//! applied to the region *name*, so every region of the SDK's partition list maps (the table
//! test holds that list) and so will the next region AWS names the same way, with no release of
//! ours. Partitions whose names do not follow it (the ISO partitions, `eusc-de-east-1`) map to
//! nothing, and a builder override names such zones (Dedicated Local Zones too).

/// The zone ID of a directory bucket or of an access point on one (`--x-s3`, `--xa-s3`):
/// what sits between the last two `--` of the name. `None` for any other bucket.
pub fn directory_bucket_zone(bucket: &str) -> Option<&str> {
    let base = bucket
        .strip_suffix("--x-s3")
        .or_else(|| bucket.strip_suffix("--xa-s3"))?;
    let (_, zone) = base.rsplit_once("--")?;
    (!zone.is_empty()).then_some(zone)
}

/// Zone IDs as long as these are the only ones aws-sdk-s3 accepts (`use1-az4` 8, `apne1-az1` 9,
/// `usw2-lax1-az1` 13, `apne1-tpe1-az1` 14, and 20); any other length fails in its endpoint rules
/// with "Unrecognized S3Express bucket name format".
pub const SDK_ZONE_LENGTHS: [usize; 5] = [8, 9, 13, 14, 20];

/// The region-prefix part of a zone ID: `usw2-az1` → `usw2`, `usw2-lax1-az1` → `usw2`.
pub fn zone_region_prefix(zone: &str) -> &str {
    zone.split('-').next().unwrap_or(zone)
}

/// Direction words of region names and their letters in a zone ID, longest first so that
/// `northeast` is read before `north` and `east`.
const DIRECTIONS: &[(&str, &str)] = &[
    ("northeast", "ne"),
    ("northwest", "nw"),
    ("southeast", "se"),
    ("southwest", "sw"),
    ("central", "c"),
    ("north", "n"),
    ("south", "s"),
    ("east", "e"),
    ("west", "w"),
];

/// A region's zone-ID prefix by AWS's rule: `us-east-1` → `use1`, `us-gov-west-1` → `usgw1`.
/// `None` for a name the rule does not cover (`us-iso-east-1`, `eusc-de-east-1`).
pub fn region_zone_prefix(region: &str) -> Option<String> {
    let parts: Vec<&str> = region.split('-').collect();
    let (area, gov, direction, number) = match parts.as_slice() {
        [area, direction, number] => (*area, "", *direction, *number),
        [area, "gov", direction, number] => (*area, "g", *direction, *number),
        _ => return None,
    };
    let letters = DIRECTIONS
        .iter()
        .find(|(word, _)| *word == direction)
        .map(|(_, letters)| *letters)?;
    let well_formed = area.len() == 2
        && area.bytes().all(|b| b.is_ascii_lowercase())
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit());
    well_formed.then(|| format!("{area}{gov}{letters}{number}"))
}

/// The region a zone ID's prefix names by AWS's rule (`usw2` → `us-west-2`, `usgw1` →
/// `us-gov-west-1`, `cnnw1` → `cn-northwest-1`): the only region whose prefix it is. `None` when
/// no region name gives that prefix.
pub fn region_of_zone(zone: &str) -> Option<String> {
    let prefix = zone_region_prefix(zone);
    let digits = prefix.find(|c: char| c.is_ascii_digit())?;
    let (letters, number) = prefix.split_at(digits);
    if letters.len() < 3 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (area, rest) = letters.split_at(2);
    let (gov, direction) = match rest.strip_prefix('g') {
        Some(direction) => ("-gov", direction),
        None => ("", rest),
    };
    let word = DIRECTIONS
        .iter()
        .find(|(_, letters)| *letters == direction)
        .map(|(word, _)| *word)?;
    let region = format!("{area}{gov}-{word}-{number}");
    // Read back: only a name that gives exactly this prefix is its region.
    (region_zone_prefix(&region).as_deref() == Some(prefix)).then_some(region)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The regions of aws-sdk-s3 1.157.0's partition list (its `endpoint_lib.rs`), partitions
    /// aws, aws-cn and aws-us-gov: every one maps to its prefix and back.
    const SDK_REGIONS: &[(&str, &str)] = &[
        ("af-south-1", "afs1"),
        ("ap-east-1", "ape1"),
        ("ap-east-2", "ape2"),
        ("ap-northeast-1", "apne1"),
        ("ap-northeast-2", "apne2"),
        ("ap-northeast-3", "apne3"),
        ("ap-south-1", "aps1"),
        ("ap-south-2", "aps2"),
        ("ap-southeast-1", "apse1"),
        ("ap-southeast-2", "apse2"),
        ("ap-southeast-3", "apse3"),
        ("ap-southeast-4", "apse4"),
        ("ap-southeast-5", "apse5"),
        ("ap-southeast-6", "apse6"),
        ("ap-southeast-7", "apse7"),
        ("ca-central-1", "cac1"),
        ("ca-west-1", "caw1"),
        ("eu-central-1", "euc1"),
        ("eu-central-2", "euc2"),
        ("eu-north-1", "eun1"),
        ("eu-south-1", "eus1"),
        ("eu-south-2", "eus2"),
        ("eu-west-1", "euw1"),
        ("eu-west-2", "euw2"),
        ("eu-west-3", "euw3"),
        ("il-central-1", "ilc1"),
        ("me-central-1", "mec1"),
        ("me-south-1", "mes1"),
        ("mx-central-1", "mxc1"),
        ("sa-east-1", "sae1"),
        ("us-east-1", "use1"),
        ("us-east-2", "use2"),
        ("us-west-1", "usw1"),
        ("us-west-2", "usw2"),
        ("cn-north-1", "cnn1"),
        ("cn-northwest-1", "cnnw1"),
        ("us-gov-east-1", "usge1"),
        ("us-gov-west-1", "usgw1"),
    ];

    #[test]
    fn every_region_of_the_partition_list_maps_back_from_its_prefix() {
        for (region, prefix) in SDK_REGIONS {
            assert_eq!(
                region_zone_prefix(region).as_deref(),
                Some(*prefix),
                "{region}"
            );
            for zone in [format!("{prefix}-az1"), format!("{prefix}-xyz1-az2")] {
                assert_eq!(region_of_zone(&zone).as_deref(), Some(*region), "{zone}");
            }
        }
        // Partitions named otherwise, and the partition list's pseudo-regions: no rule.
        for region in [
            "us-iso-east-1",
            "us-isob-east-1",
            "eu-isoe-west-1",
            "eusc-de-east-1",
            "aws-global",
        ] {
            assert_eq!(region_zone_prefix(region), None, "{region}");
        }
    }

    #[test]
    fn zones_come_from_directory_bucket_names_only() {
        let table = [
            ("b--usw2-az1--x-s3", Some("usw2-az1")),
            ("my--bucket--use1-az4--x-s3", Some("use1-az4")),
            ("ap--usw2-az1--xa-s3", Some("usw2-az1")),
            ("b--usw2-lax1-az1--x-s3", Some("usw2-lax1-az1")),
            ("plain-bucket", None),
            ("--x-s3", None),
            ("b----x-s3", None),
            ("b--usw2-az1--op-s3", None),
            ("b-usw2-az1--x-s3", None),
        ];
        for (bucket, zone) in table {
            assert_eq!(directory_bucket_zone(bucket), zone, "{bucket}");
        }
    }

    #[test]
    fn prefixes_the_rule_does_not_give_map_to_nothing() {
        for zone in [
            "xx1-az1",
            "usx1-az1",
            "us-az1",
            "use-az1",
            "usgg1-az1",
            "use1x-az1",
            "",
            "1-az1",
        ] {
            assert_eq!(region_of_zone(zone), None, "{zone:?}");
        }
        // The rule names regions AWS has not opened yet; the client's partition or endpoint
        // map decides whether it may use them, as for every other region.
        assert_eq!(region_of_zone("usn9-az1").as_deref(), Some("us-north-9"));
        assert_eq!(zone_region_prefix("usw2-lax1-az1"), "usw2");
        for (zone, accepted) in [
            ("use1-az4", true),
            ("apne1-az1", true),
            ("usw2-lax1-az1", true),
            ("use1-az10x", false),
        ] {
            assert_eq!(SDK_ZONE_LENGTHS.contains(&zone.len()), accepted, "{zone}");
        }
    }
}
