//! `--exclude` / `--include`, as the aws CLI applies them (pure, table-tested): every file or
//! object is included unless a pattern says otherwise; patterns apply in the order given and a
//! later one wins; a pattern is matched against the path relative to the source directory or
//! prefix, with Python `fnmatch` rules (`*` matches any run of characters, `/` included; `?` one
//! character; `[abc]`, `[!abc]` one of / none of a set).

/// One `--exclude` or `--include`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rule {
    Exclude(String),
    Include(String),
}

/// The rules of one command, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Filters {
    rules: Vec<Rule>,
}

impl Filters {
    /// The rules, in the order given.
    pub(crate) fn new(rules: Vec<Rule>) -> Self {
        Self { rules }
    }

    /// The `--exclude` / `--include` options of `args` (a command line), in their order (the
    /// tables below read like command lines; `settings.rs` reads clap's own indices).
    #[cfg(test)]
    pub(crate) fn from_args<S: AsRef<str>>(args: &[S]) -> Self {
        let mut rules = Vec::new();
        let mut args = args.iter().map(AsRef::as_ref);
        while let Some(arg) = args.next() {
            if arg == "--" {
                break;
            }
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) => (flag, Some(value)),
                None => (arg, None),
            };
            let make: fn(String) -> Rule = match flag {
                "--exclude" => Rule::Exclude,
                "--include" => Rule::Include,
                _ => continue,
            };
            if let Some(value) = inline.or_else(|| args.next()) {
                rules.push(make(value.to_owned()));
            }
        }
        Self { rules }
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether `relative` (a path under the source, `/`-separated) takes part.
    pub(crate) fn includes(&self, relative: &str) -> bool {
        let mut included = true;
        for rule in &self.rules {
            match rule {
                Rule::Exclude(pattern) if fnmatch(pattern, relative) => included = false,
                Rule::Include(pattern) if fnmatch(pattern, relative) => included = true,
                _ => {}
            }
        }
        included
    }

    /// The patterns that matched none of `paths` (a pattern that matches nothing is likely a
    /// typo worth a warning).
    #[cfg(test)]
    pub(crate) fn unmatched<'a>(&'a self, paths: &[&str]) -> Vec<&'a str> {
        let mut usage = self.usage();
        for path in paths {
            usage.note(self, path);
        }
        usage.unmatched(self)
    }

    /// A record of which patterns matched, fed one path at a time as a listing streams by.
    pub(crate) fn usage(&self) -> PatternUse {
        PatternUse {
            matched: vec![false; self.rules.len()],
        }
    }

    fn patterns(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|rule| match rule {
            Rule::Exclude(p) | Rule::Include(p) => p.as_str(),
        })
    }
}

/// Which of a command's patterns matched at least one path seen so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct PatternUse {
    matched: Vec<bool>,
}

impl PatternUse {
    /// Records the patterns `path` matches (each pattern is tried until it first matches).
    pub(crate) fn note(&mut self, filters: &Filters, path: &str) {
        for (matched, pattern) in self.matched.iter_mut().zip(filters.patterns()) {
            if !*matched && fnmatch(pattern, path) {
                *matched = true;
            }
        }
    }

    /// The patterns that matched none of the paths noted.
    pub(crate) fn unmatched<'a>(&self, filters: &'a Filters) -> Vec<&'a str> {
        filters
            .patterns()
            .zip(&self.matched)
            .filter(|(_, matched)| !**matched)
            .map(|(pattern, _)| pattern)
            .collect()
    }
}

/// Python's `fnmatch.fnmatchcase`: `*`, `?`, `[seq]`, `[!seq]`; everything else literal.
pub(crate) fn fnmatch(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // Iterative matching with one backtrack point for the last `*` (linear in practice).
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ni));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class(&p, pi, n[ni]) {
                        if matched {
                            pi = next;
                            ni += 1;
                            continue;
                        }
                    } else if n[ni] == '[' {
                        // An unclosed `[` is literal, as in fnmatch.
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                }
                c if c == n[ni] => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((star_p, star_n)) => {
                pi = star_p + 1;
                ni = star_n + 1;
                star = Some((star_p, star_n + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Matches `c` against the class starting at `p[start] == '['`: `(matched, index after ']')`,
/// or `None` when the class is not closed.
fn class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = p.get(i) == Some(&'!');
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            matched |= p[i] <= c && c <= p[i + 2];
            i += 3;
        } else {
            matched |= p[i] == c;
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_as_python() {
        let table = [
            ("*", "a/b/c.txt", true),
            ("*.txt", "a/b/c.txt", true),
            ("*.txt", "c.txt.gz", false),
            ("a/*", "a/b/c", true),
            ("a/*", "ab/c", false),
            ("?.log", "a.log", true),
            ("?.log", "ab.log", false),
            ("[ab].txt", "b.txt", true),
            ("[!ab].txt", "b.txt", false),
            ("[!ab].txt", "c.txt", true),
            ("[a-c]*", "brown", true),
            ("[a-c]*", "dog", false),
            ("[]]", "]", true),
            ("[", "[", true),
            ("*a*b*", "xxaxxbxx", true),
            ("*a*b*", "xxbxxaxx", false),
            ("", "", true),
            ("", "a", false),
            ("**", "", true),
            ("sub/*.jpg", "sub/deeper/x.jpg", true),
            ("logs/2026-??-01*", "logs/2026-12-01.json", true),
        ];
        for (pattern, name, want) in table {
            assert_eq!(fnmatch(pattern, name), want, "{pattern:?} ~ {name:?}");
        }
    }

    #[test]
    fn later_rules_win_in_the_order_given() {
        let args = [
            "sync",
            ".",
            "s3://b/",
            "--exclude",
            "*",
            "--include=*.txt",
            "--exclude",
            "secret*",
        ];
        let filters = Filters::from_args(&args);
        // (relative path) -> included
        let table = [
            ("a.txt", true),
            ("a.jpg", false),
            ("secret.txt", false),
            ("sub/secret.txt", true),
            ("sub/b.txt", true),
        ];
        for (path, want) in table {
            assert_eq!(filters.includes(path), want, "{path}");
        }
        assert!(Filters::from_args(&["cp", "a", "b"]).includes("anything"));
        // After `--`, arguments are paths, not options.
        assert!(Filters::from_args(&["cp", "--", "--exclude", "*"]).is_empty());
    }

    #[test]
    fn patterns_that_match_nothing_are_named() {
        let filters = Filters::from_args(&["--exclude", "*.tmp", "--include", "*.txt"]);
        assert_eq!(filters.unmatched(&["a.txt", "b.jpg"]), ["*.tmp"]);
    }
}
