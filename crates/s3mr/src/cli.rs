//! The command line: what `s3mr` takes (clap), with every argument described.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::durations;

/// An `aws s3`-style tool whose one client works with buckets in every region.
#[derive(Debug, Parser)]
#[command(
    version,
    about,
    after_help = "Exit codes, as the aws CLI's: 0 done; 1 a transfer or delete failed (cp, mv, \
                  sync, rm, mb, rb); 2 files or objects were skipped, the rest transferred; 130 \
                  interrupted (Ctrl-C or SIGTERM: nothing new started after it; a second one \
                  exits at once); 252 bad arguments, nothing sent; 253 no AWS credentials found; \
                  254 S3 refused the request (ls, cat, stat, region, ...); 255 anything else \
                  (no answer from the endpoint, a local path that does not exist)."
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub options: Options,
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command (each also read from the environment variable named).
#[derive(Debug, Clone, Args)]
pub(crate) struct Options {
    /// Default region (otherwise the AWS config chain, then us-east-1). For `mb`, the new bucket's region.
    #[arg(long, global = true, env = "AWS_REGION")]
    pub region: Option<String>,
    /// Send requests for the buckets named to this region until S3 says otherwise (a wrong one costs one redirect, once).
    #[arg(long, global = true, env = "S3MR_AT_REGION")]
    pub at_region: Option<String>,
    /// Region → endpoint map for non-AWS sites: us-east-1=http://127.0.0.1:9101,...
    #[arg(long, global = true, env = "S3MR_ENDPOINTS")]
    pub endpoint_map: Option<String>,
    /// Trust only the certificates in this PEM file (otherwise the system's). Proxies come from
    /// HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY.
    #[arg(long, global = true, env = "AWS_CA_BUNDLE", value_name = "FILE")]
    pub ca_bundle: Option<std::path::PathBuf>,
    /// Bucket-region cache: memory, file:///path/cache.db, redis://host:port/db or
    /// dynamodb://table[?region=R&ttl=SECS].
    #[arg(long, global = true, env = "S3MR_CACHE", default_value = "memory")]
    pub cache: String,
    /// Send object requests through S3 Transfer Acceleration
    /// (`<bucket>.s3-accelerate.amazonaws.com`), signed for each bucket's region. Also on when
    /// the profile's `s3` section says `use_accelerate_endpoint = true`, as for the aws CLI.
    #[arg(long, global = true)]
    pub accelerate: bool,
    /// Do not follow S3's wrong-region answers (behave like the plain SDK).
    #[arg(long, global = true)]
    pub no_redirects: bool,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// One line per redirect, probe and cache event on stderr.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// The AWS profile for credentials and region (otherwise AWS_PROFILE, then `default`).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Print what would be done (`(dryrun) upload: ...`) and change nothing, on every command.
    #[arg(long, global = true)]
    pub dryrun: bool,
    /// Print nothing (errors included; the exit code tells).
    #[arg(long, global = true)]
    pub quiet: bool,
    /// Print errors only.
    #[arg(long, global = true)]
    pub only_show_errors: bool,
    /// Draw no progress bar (the lines are still printed), as the aws CLI's flag.
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// Files or objects transferred at once by recursive cp, mv and sync.
    #[arg(long, global = true, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
}

/// `--exclude` / `--include`, applied in the order given, the later winning (see filter.rs: the
/// order is read from the command line, clap keeps only each option's values).
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct FilterArgs {
    /// Leave out files or objects matching PATTERN (relative to the source; `*` `?` `[..]`).
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<String>,
    /// Take back files or objects matching PATTERN that an earlier --exclude left out.
    #[arg(long, value_name = "PATTERN")]
    pub include: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List buckets (with their regions), or objects under s3://bucket[/prefix].
    Ls(LsArgs),
    /// Write an object to standard output.
    Cat(CatArgs),
    /// Show an object's size, ETag, last modification and region.
    Stat(StatArgs),
    /// Copy local ↔ S3 or S3 → S3 (across regions). `-` is standard input or output.
    Cp(CpArgs),
    /// Move local ↔ S3 or S3 → S3: copy, then remove the source once the copy succeeded.
    Mv(MvArgs),
    /// Make the destination hold what the source holds: copy what is missing or differs (size,
    /// or a newer source), local → S3, S3 → local or S3 → S3 (across regions, server-side).
    Sync(SyncArgs),
    /// Delete an object, or every object under a prefix with --recursive.
    Rm(RmArgs),
    /// Make a bucket in --region (or the default region).
    Mb(MbArgs),
    /// Remove a bucket; --force deletes its objects first.
    Rb(RbArgs),
    /// Print the region of each bucket (discovering it).
    Region(RegionArgs),
    /// Print a presigned GET URL.
    Presign(PresignArgs),
    /// Inspect the configured bucket-region cache.
    Cache(CacheArgs),
    /// Serve one S3 endpoint through which any S3 client (aws CLI, boto3, DuckDB, pyarrow,
    /// polars, s3fs, rclone, s3cmd, ...) reaches buckets in every region. Clients sign with a
    /// key of the keys file; requests go on with this tool's AWS credentials, --region,
    /// --endpoint-map and --cache. Runs until SIGTERM or Ctrl-C, then drains; SIGHUP reloads
    /// the keys file. Health and metrics: /_s3mr/healthz, /_s3mr/readyz, /_s3mr/metrics.
    Serve(ServeArgs),
    /// Start an embedded three-region emulator and walk one client across it, printing what
    /// routing did and how many requests each region received. Needs no AWS account.
    Demo(DemoArgs),
}

/// `s3mr ls`.
#[derive(Debug, Args)]
pub(crate) struct LsArgs {
    /// s3://bucket[/prefix] to list; without it, every bucket.
    pub url: Option<String>,
    /// List every key under the prefix, not one level.
    #[arg(long)]
    pub recursive: bool,
    /// Sizes as 1.5 KiB, 3.0 MiB.
    #[arg(long)]
    pub human_readable: bool,
    /// End with the number of objects and their total size.
    #[arg(long)]
    pub summarize: bool,
    /// With the bucket listing: each bucket's region, as a column after the date (JSON always
    /// has it).
    #[arg(long)]
    pub with_region: bool,
}

/// `s3mr cat`.
#[derive(Debug, Args)]
pub(crate) struct CatArgs {
    /// s3://bucket/key of the object.
    pub url: String,
}

/// `s3mr stat`.
#[derive(Debug, Args)]
pub(crate) struct StatArgs {
    /// s3://bucket/key of the object.
    pub url: String,
}

/// `s3mr cp`.
#[derive(Debug, Args)]
pub(crate) struct CpArgs {
    /// A local path, s3://bucket/key (or prefix with --recursive), or `-` for standard input.
    pub source: String,
    /// A local path, s3://bucket/key (a trailing `/` keeps the source's name), or `-` for
    /// standard output.
    pub destination: String,
    /// Content-Type of uploaded objects (otherwise guessed from each file name, as the aws
    /// CLI does; S3's default `binary/octet-stream` when nothing fits).
    #[arg(long, value_name = "TYPE")]
    pub content_type: Option<String>,
    /// Copy every object under a prefix or every file under a directory.
    #[arg(long)]
    pub recursive: bool,
    /// Upload symlinks' targets (the default; a directory already on the path is never
    /// entered twice).
    #[arg(long, overrides_with = "no_follow_symlinks")]
    pub follow_symlinks: bool,
    /// Skip symlinks when uploading a directory.
    #[arg(long, overrides_with = "follow_symlinks")]
    pub no_follow_symlinks: bool,
    #[command(flatten)]
    pub filters: FilterArgs,
}

/// `s3mr mv`.
#[derive(Debug, Args)]
pub(crate) struct MvArgs {
    /// A local path or s3://bucket/key (a prefix or directory with --recursive).
    pub source: String,
    /// A local path or s3://bucket/key (a trailing `/` keeps the source's name).
    pub destination: String,
    /// Move every object under a prefix or every file under a directory.
    #[arg(long)]
    pub recursive: bool,
    /// Move symlinks' targets (the default). A file reached through a symlinked directory
    /// that leads out of the source is uploaded but never removed.
    #[arg(long, overrides_with = "no_follow_symlinks")]
    pub follow_symlinks: bool,
    /// Skip symlinks when moving a directory.
    #[arg(long, overrides_with = "follow_symlinks")]
    pub no_follow_symlinks: bool,
    #[command(flatten)]
    pub filters: FilterArgs,
}

/// `s3mr sync`.
#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// A local directory or s3://bucket/prefix.
    pub source: String,
    /// A local directory or s3://bucket/prefix.
    pub destination: String,
    /// Delete destination files or objects the source lacks (filters apply).
    #[arg(long)]
    pub delete: bool,
    /// Compare sizes only, not modification times.
    #[arg(long)]
    pub size_only: bool,
    /// S3 → local: re-download same-size objects unless the times are exactly equal.
    #[arg(long)]
    pub exact_timestamps: bool,
    /// Skip symlinks when reading a local directory (source or destination). Deletes never
    /// follow a symlink out of the destination either way.
    #[arg(long)]
    pub no_follow_symlinks: bool,
    /// With --delete: delete even when the source is empty (otherwise refused, since an
    /// empty source is most often a mistyped path, and would delete everything).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub filters: FilterArgs,
}

/// `s3mr rm`.
#[derive(Debug, Args)]
pub(crate) struct RmArgs {
    /// s3://bucket/key, or s3://bucket/prefix with --recursive.
    pub url: String,
    /// Delete every object under the prefix.
    #[arg(long)]
    pub recursive: bool,
    #[command(flatten)]
    pub filters: FilterArgs,
}

/// `s3mr mb`.
#[derive(Debug, Args)]
pub(crate) struct MbArgs {
    /// s3://bucket to make.
    pub url: String,
}

/// `s3mr rb`.
#[derive(Debug, Args)]
pub(crate) struct RbArgs {
    /// s3://bucket to remove.
    pub url: String,
    /// Delete every object in the bucket first.
    #[arg(long)]
    pub force: bool,
}

/// `s3mr region`.
#[derive(Debug, Args)]
pub(crate) struct RegionArgs {
    /// Bucket names (or s3://bucket URLs).
    #[arg(required = true)]
    pub buckets: Vec<String>,
}

/// `s3mr presign`.
#[derive(Debug, Args)]
pub(crate) struct PresignArgs {
    /// s3://bucket/key of the object.
    pub url: String,
    /// Validity: 90s, 15m, 1h, 7d (at most 7 days).
    #[arg(long, default_value = "1h", value_parser = durations::presign_validity)]
    pub expires: Duration,
}

/// `s3mr cache`.
#[derive(Debug, Args)]
pub(crate) struct CacheArgs {
    #[command(subcommand)]
    pub action: CacheAction,
}

/// `s3mr serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:9000", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// The keys file (TOML): each client key's secret, bucket globs and read-only flag.
    /// Re-read on SIGHUP (an invalid file keeps the keys in force).
    #[arg(long, value_name = "FILE")]
    pub keys: std::path::PathBuf,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// Read `<bucket>.<DOMAIN>` Host headers as virtual-hosted requests (repeatable; the TLS
    /// certificate should cover `*.<DOMAIN>`). Every other Host name is path-style.
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Vec<String>,
    /// Serve /_s3mr/healthz, readyz and metrics on this address instead of the main one.
    #[arg(long, value_name = "ADDR")]
    pub admin_listen: Option<std::net::SocketAddr>,
    /// Write one JSON line per request to FILE (appended), or to standard output with `-`.
    #[arg(long, value_name = "FILE|-")]
    pub access_log: Option<String>,
    /// On SIGTERM or Ctrl-C, how long requests in flight may take to finish before they are
    /// cut (their multipart uploads aborted).
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = durations::timeout)]
    pub drain_timeout: Duration,
    /// Client connections open at once; beyond it each request is answered 503 SlowDown.
    #[arg(long, default_value_t = 4096, value_name = "N")]
    pub max_connections: usize,
    /// Requests in flight at once; beyond it each request is answered 503 SlowDown at once.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub max_requests: usize,
    /// A client must send a request's headers (or finish its TLS handshake) within this; an
    /// idle keep-alive connection is closed after it.
    #[arg(long, default_value = "20s", value_name = "DURATION", value_parser = durations::timeout)]
    pub header_timeout: Duration,
    /// The largest XML request body accepted (DeleteObjects, CompleteMultipartUpload, ...).
    #[arg(long, default_value_t = 20 * 1024 * 1024, value_name = "BYTES")]
    pub max_xml_body: usize,
}

/// `s3mr demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Keep the emulator running after the walk (until Ctrl-C), to try the presigned URL.
    #[arg(long)]
    pub keep: bool,
}

/// What `s3mr cache` does.
#[derive(Debug, Subcommand)]
pub(crate) enum CacheAction {
    /// Entries held by the configured shared tier.
    Stats,
    /// Forget every entry.
    Clear,
    /// Create a shared cache's storage: for dynamodb://table, the table (on-demand billing, TTL
    /// on `expires_at`). Safe to run again.
    Init {
        /// The cache URL, e.g. dynamodb://s3mr-regions?region=eu-west-1.
        url: String,
    },
    /// The cached region of a bucket.
    Get {
        /// The bucket name.
        bucket: String,
    },
}

impl Command {
    /// The command's name, as errors start with it.
    pub(crate) fn verb(&self) -> &'static str {
        match self {
            Self::Ls(_) => "ls",
            Self::Cat(_) => "cat",
            Self::Stat(_) => "stat",
            Self::Cp(_) => "cp",
            Self::Mv(_) => "mv",
            Self::Sync(_) => "sync",
            Self::Rm(_) => "rm",
            Self::Mb(_) => "mb",
            Self::Rb(_) => "rb",
            Self::Region(_) => "region",
            Self::Presign(_) => "presign",
            Self::Cache(_) => "cache",
            Self::Serve(_) => "serve",
            Self::Demo(_) => "demo",
        }
    }

    /// Whether the command moves or deletes data (a failure exits 1, "a transfer failed", as
    /// in the aws CLI) or reads and answers (S3's refusal exits 254).
    pub(crate) fn work(&self) -> crate::error::Work {
        use crate::error::Work;
        match self {
            Self::Cp(_) | Self::Mv(_) | Self::Sync(_) | Self::Rm(_) | Self::Mb(_) | Self::Rb(_) => {
                Work::Transfers
            }
            _ => Work::Queries,
        }
    }
}
