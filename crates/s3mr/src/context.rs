//! What every command gets: the one multi-region client, the options, the printer, the
//! settings read from the command line, and the interrupt. Built once, never changed.

use aws_config::BehaviorVersion;
use aws_sdk_s3::config::Region;
use s3_multi_region::cache::shared_cache_for;
use s3_multi_region::region::ValidRegion;
use s3_multi_region::{EndpointMap, MultiRegionClient, Report};

use crate::cli::Options;
use crate::error::CliError;
use crate::printer::Printer;
use crate::settings::Settings;

pub(crate) struct Context {
    pub client: MultiRegionClient,
    /// The SDK config the client was built from (credentials, HTTP client): `cache init` builds
    /// its DynamoDB client from it.
    pub sdk: aws_types::SdkConfig,
    pub options: Options,
    /// Everything printed goes through it.
    pub printer: Printer,
    /// `cp --content-type`: wins over the guess from the file name.
    pub content_type: Option<String>,
    /// `--exclude` / `--include`, in the order given on the command line.
    pub filters: crate::filter::Filters,
    /// Ctrl-C / SIGTERM: commands that change data ask it before each step.
    pub interrupt: crate::interrupt::Interrupt,
}

impl Context {
    pub(crate) async fn new(
        options: &Options,
        settings: Settings,
        interrupt: crate::interrupt::Interrupt,
    ) -> Result<Self, CliError> {
        if let Some(region) = options.region.as_deref().or(options.at_region.as_deref()) {
            ValidRegion::new(region).map_err(|e| CliError::Usage(e.to_string()))?;
        }
        let endpoints: Option<EndpointMap> = match &options.endpoint_map {
            Some(map) => Some(
                map.parse()
                    .map_err(|e: s3_multi_region::Error| CliError::Usage(e.report().to_string()))?,
            ),
            None => None,
        };
        let mut http = s3_multi_region::HttpClientBuilder::from_env();
        if let Some(path) = &options.ca_bundle {
            http = http.ca_bundle(path);
        }
        let http = http.build().map_err(|e| CliError::Usage(e.to_string()))?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http);
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &options.region {
            loader = loader.region(Region::new(region.clone()));
        }
        let mut sdk = loader.load().await;
        // As `--help` says: --region, then the AWS config chain, then us-east-1 (an endpoint
        // map does not choose the default region).
        let source = if options.region.is_some() {
            "--region / AWS_REGION"
        } else if sdk.region().is_some() {
            "the AWS config chain"
        } else {
            sdk = sdk.to_builder().region(Region::new("us-east-1")).build();
            "the default"
        };
        tracing::debug!(
            region = sdk.region().map(|r| r.as_ref()).unwrap_or_default(),
            from = source,
            "default region"
        );
        let mut builder = MultiRegionClient::builder(&sdk).routing(!options.no_redirects);
        if options.accelerate || profile_accelerates(options.profile.as_deref()).await {
            tracing::debug!("Transfer Acceleration on");
            builder = builder.configure_s3(|s3| s3.accelerate(true));
        }
        if let Some(map) = endpoints {
            builder = builder.endpoint_map(map);
        }
        let shared =
            shared_cache_for(&options.cache, &sdk).map_err(|e| CliError::Usage(e.to_string()))?;
        if let Some(shared) = shared {
            builder = builder.shared_cache(shared);
        }
        let client = builder
            .build()
            .map_err(|e| CliError::Usage(e.report().to_string()))?;
        Ok(Self {
            client,
            sdk,
            options: options.clone(),
            printer: Printer::new(options),
            content_type: settings.content_type,
            filters: settings.filters,
            interrupt,
        })
    }

    /// The `Content-Type` of an upload: `--content-type`, else guessed from the file name as the
    /// aws CLI guesses it ([`guess_content_type`]), else S3's own default. The aws CLI sends no
    /// type then and S3 stores `binary/octet-stream`; the Rust SDK would send
    /// `application/octet-stream` for a PutObject without one, so S3's default is named here.
    pub(crate) fn content_type_for(&self, path: Option<&std::path::Path>) -> String {
        if let Some(explicit) = &self.content_type {
            return explicit.clone();
        }
        path.and_then(|p| p.file_name()?.to_str())
            .and_then(guess_content_type)
            .unwrap_or(S3_DEFAULT_CONTENT_TYPE)
            .to_owned()
    }

    /// `--at-region`: requests for `bucket` go there until S3 says otherwise (the library's
    /// [`MultiRegionClient::assume_region`]): a wrong region costs one redirect, once.
    pub(crate) fn prefer_region(&self, bucket: &str) -> Result<(), CliError> {
        match &self.options.at_region {
            Some(region) => self
                .client
                .assume_region(bucket, region)
                .map_err(|e| CliError::Usage(e.report().to_string())),
            None => Ok(()),
        }
    }
}

/// Whether the selected profile (`--profile`, else `AWS_PROFILE`, else `default`) turns on
/// Transfer Acceleration the aws CLI's way:
///
/// ```ini
/// [profile fast]
/// s3 =
///   use_accelerate_endpoint = true
/// ```
///
/// aws-config reads the profile but keeps a nested section as its raw text; an unreadable
/// config file reads as "no" (the SDK's own loader reports it).
async fn profile_accelerates(profile: Option<&str>) -> bool {
    let loaded = aws_config::profile::load(
        &aws_types::os_shim_internal::Fs::real(),
        &aws_types::os_shim_internal::Env::real(),
        &aws_runtime::env_config::file::EnvConfigFiles::default(),
        profile.map(|p| std::borrow::Cow::Owned(p.to_owned())),
    )
    .await;
    loaded
        .ok()
        .and_then(|set| {
            set.get("s3")
                .map(|nested| nested_is_true(nested, "use_accelerate_endpoint"))
        })
        .unwrap_or(false)
}

/// Whether `name = true` is one of the `key = value` lines of a nested profile section (pure;
/// the aws CLI takes `true` in any case).
fn nested_is_true(nested: &str, name: &str) -> bool {
    nested.lines().any(|line| {
        line.split_once('=').is_some_and(|(key, value)| {
            key.trim() == name && value.trim().eq_ignore_ascii_case("true")
        })
    })
}

/// What S3 stores for an object uploaded without a `Content-Type`.
const S3_DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

/// The type the aws CLI sends for a file named `name`: Python's `mimetypes.guess_type(name)[0]`
/// — compression suffixes (`.gz`, `.bz2`, `.xz`, `.Z`, `.br`) are encodings, not types, so
/// `f.tar.gz` is `application/x-tar` and `f.gz` has none; `.tgz` is `.tar.gz` (pure).
pub(crate) fn guess_content_type(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let mut name = lower.as_str();
    let expanded;
    for (short, long) in [
        (".tgz", ".tar.gz"),
        (".taz", ".tar.gz"),
        (".tz", ".tar.gz"),
        (".tbz2", ".tar.bz2"),
        (".txz", ".tar.xz"),
        (".svgz", ".svg.gz"),
    ] {
        if let Some(stem) = name.strip_suffix(short) {
            expanded = format!("{stem}{long}");
            name = &expanded;
            break;
        }
    }
    // `.Z` is compress's, matched case-sensitively by Python; lower-cased here as `.z`.
    for encoding in [".gz", ".bz2", ".xz", ".z", ".br"] {
        if let Some(stem) = name.strip_suffix(encoding) {
            name = stem;
            break;
        }
    }
    let (_, extension) = name.rsplit_once('.')?;
    mime_guess::from_ext(extension).first_raw()
}

#[cfg(test)]
mod tests {
    use super::{guess_content_type, nested_is_true};

    #[test]
    fn nested_profile_settings() {
        let table = [
            ("\nuse_accelerate_endpoint = true", true),
            ("\n  use_accelerate_endpoint=TRUE  ", true),
            (
                "\nmax_concurrent_requests = 20\nuse_accelerate_endpoint = true",
                true,
            ),
            ("\nuse_accelerate_endpoint = false", false),
            ("\nuse_dualstack_endpoint = true", false),
            ("\nuse_accelerate_endpoint", false),
            ("", false),
        ];
        for (nested, want) in table {
            assert_eq!(
                nested_is_true(nested, "use_accelerate_endpoint"),
                want,
                "{nested:?}"
            );
        }
    }

    #[test]
    fn content_types_as_the_aws_cli_guesses_them() {
        let table = [
            ("f.tar.gz", Some("application/x-tar")),
            ("f.tgz", Some("application/x-tar")),
            ("f.gz", None),
            ("f.csv.bz2", Some("text/csv")),
            ("f.json.xz", Some("application/json")),
            ("noext", None),
            ("f.txt", Some("text/plain")),
            ("F.TXT", Some("text/plain")),
            ("page.html", Some("text/html")),
            ("x.Z", None),
            (".hidden", None),
        ];
        for (name, want) in table {
            assert_eq!(guess_content_type(name), want, "{name}");
        }
    }
}
