//! What the command line asks for, beyond clap's typed arguments: the `--exclude` /
//! `--include` rules in the order given (clap keeps each option's values apart; their
//! interleaving decides the outcome, so it is read from clap's argument indices), and
//! `cp --content-type`. Read once, before the context is built.

use clap::ArgMatches;

use crate::cli::Command;
use crate::filter::{Filters, Rule};

#[derive(Debug, Default)]
pub(crate) struct Settings {
    /// `--exclude` / `--include`, in command-line order.
    pub filters: Filters,
    /// `cp --content-type`: wins over the guess from the file name.
    pub content_type: Option<String>,
}

impl Settings {
    /// The settings of the subcommand `matches` holds, parsed as `command`.
    pub(crate) fn new(matches: &ArgMatches, command: &Command) -> Self {
        let filters = matches
            .subcommand()
            .map(|(_, sub)| ordered_rules(sub))
            .unwrap_or_default();
        let content_type = match command {
            Command::Cp(args) => args.content_type.clone(),
            _ => None,
        };
        Self {
            filters: Filters::new(filters),
            content_type,
        }
    }
}

/// The rules of `matches`, ordered by where each value stood on the command line.
fn ordered_rules(matches: &ArgMatches) -> Vec<Rule> {
    let mut indexed: Vec<(usize, Rule)> = Vec::new();
    for (id, make) in [
        ("exclude", Rule::Exclude as fn(String) -> Rule),
        ("include", Rule::Include as fn(String) -> Rule),
    ] {
        // Only ids present in these matches may be asked for (clap panics on unknown ones).
        if !matches.ids().any(|present| present.as_str() == id) {
            continue;
        }
        let (Some(indices), Some(values)) =
            (matches.indices_of(id), matches.get_many::<String>(id))
        else {
            continue;
        };
        indexed.extend(indices.zip(values).map(|(i, v)| (i, make(v.clone()))));
    }
    indexed.sort_by_key(|(i, _)| *i);
    indexed.into_iter().map(|(_, rule)| rule).collect()
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, FromArgMatches};

    use super::*;
    use crate::cli::Cli;

    fn settings_of(args: &[&str]) -> Settings {
        let matches = Cli::command().get_matches_from(args);
        let cli = Cli::from_arg_matches(&matches).unwrap();
        Settings::new(&matches, &cli.command)
    }

    #[test]
    fn rules_keep_their_command_line_order() {
        let table: [(&[&str], Vec<Rule>); 4] = [
            (
                &[
                    "s3mr",
                    "sync",
                    "a",
                    "s3://b/",
                    "--exclude",
                    "*",
                    "--include",
                    "*.txt",
                ],
                vec![Rule::Exclude("*".into()), Rule::Include("*.txt".into())],
            ),
            (
                &[
                    "s3mr",
                    "sync",
                    "--include=*.txt",
                    "a",
                    "s3://b/",
                    "--exclude",
                    "*",
                ],
                vec![Rule::Include("*.txt".into()), Rule::Exclude("*".into())],
            ),
            (
                &[
                    "s3mr",
                    "cp",
                    "a",
                    "s3://b/",
                    "--exclude",
                    "x",
                    "--include",
                    "y",
                    "--exclude",
                    "z",
                    "--content-type",
                    "text/csv",
                ],
                vec![
                    Rule::Exclude("x".into()),
                    Rule::Include("y".into()),
                    Rule::Exclude("z".into()),
                ],
            ),
            (&["s3mr", "ls", "s3://b/"], vec![]),
        ];
        for (args, want) in table {
            assert_eq!(settings_of(args).filters, Filters::new(want), "{args:?}");
        }
        assert_eq!(
            settings_of(&["s3mr", "cp", "a", "s3://b/k", "--content-type", "text/csv"])
                .content_type
                .as_deref(),
            Some("text/csv")
        );
    }
}
