//! `s3mr cat`: an object to standard output. A reader that goes away (`| head`) ends it
//! quietly, exit 0.

use crate::cli::CatArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::location::parse_url;
use crate::transfer::{Bar, download};

pub(crate) async fn run(ctx: &Context, args: CatArgs) -> Result<(), CliError> {
    let url = parse_url(&args.url)?;
    download(ctx, &url, None, Bar::Own).await.map(drop)
}
