//! `s3mr-bench charts [results-dir] [out-dir]`: the pictures of BENCHMARKS.md, rendered from the
//! committed `bench/results/*.txt` files (one `name value unit` line per figure) to SVG with
//! plotters — never drawn by hand. Per scenario family (the file's suffix: none for the whole
//! suite, `-fs`, `-cli`, `-gateway`, `-scale`, `-profile`), from its latest run:
//! - `<family>-ratios.svg`: every ratio of the run (higher is better in each of them: ours over
//!   the reference's rate, or the reference's time over ours), with the goal of each as a red
//!   mark and parity as a line;
//! - `<family>-requests.svg`: exact request counts, ours beside botocore's or the aws CLI's;
//!
//! and `history.svg`: the ratios that matter across every committed run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use plotters::prelude::*;

/// One figure of a results file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Figure {
    pub(crate) name: String,
    pub(crate) value: f64,
    pub(crate) unit: String,
}

/// The numeric figures of a results file; lines whose value is not a number (`fails`, `pid`,
/// tool versions) are skipped.
pub(crate) fn parse(text: &str) -> Vec<Figure> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?;
            let value = words.next()?.parse::<f64>().ok()?;
            value.is_finite().then(|| Figure {
                name: name.to_owned(),
                value,
                unit: words.collect::<Vec<_>>().join(" "),
            })
        })
        .collect()
}

/// The family of a results file from its stem: `2026-12-05-1621-cli` → `cli`, `2026-12-01-1408`
/// and `2026-12-01` → `main` (the whole suite). `None` for a name that is not a run's.
pub(crate) fn family(stem: &str) -> Option<String> {
    let date = stem.get(..10)?;
    let well_formed = date.len() == 10
        && date.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !well_formed {
        return None;
    }
    let mut rest = &stem[10..];
    if rest.len() >= 5
        && rest.as_bytes()[0] == b'-'
        && rest[1..5].bytes().all(|b| b.is_ascii_digit())
    {
        rest = &rest[5..];
    }
    match rest {
        "" => Some("main".to_owned()),
        _ => rest
            .strip_prefix('-')
            .filter(|f| !f.is_empty())
            .map(str::to_owned),
    }
}

/// Whether a figure is a ratio (every ratio the bench writes says so in its name).
pub(crate) fn is_ratio(figure: &Figure) -> bool {
    figure.name.contains("ratio") || figure.name.contains("_over_")
}

/// The goal BENCHMARKS.md sets for a ratio, if any (the issues' goals, as the tables quote them).
pub(crate) fn goal(name: &str) -> Option<f64> {
    const GOALS: &[(&str, f64)] = &[
        ("warm_get_4k_c", 0.98),
        ("instructions_per_get_ratio", 0.98),
        ("instructions_per_get_adapter_over_native", 0.95),
        ("os_", 0.95),
        ("s3fs_write_256m_ratio_vs", f64::NAN),
        ("s3fs_", 0.95),
        ("gw_put_256m", 0.90),
        ("gw_get_256m", 0.90),
        ("cli_", 1.0),
        ("scale_", 1.0),
    ];
    GOALS
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map(|(_, goal)| *goal)
        .filter(|goal| !goal.is_nan())
}

/// Our request count beside the reference's, for one scenario.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RequestPair {
    pub(crate) scenario: String,
    pub(crate) ours: f64,
    pub(crate) peer: String,
    pub(crate) theirs: f64,
}

/// Request-count figures paired by scenario: a `requests` figure naming us (`ours`, `s3mr`) as
/// one `_`-separated word, and the same name with `botocore` or `aws` in its place.
pub(crate) fn request_pairs(figures: &[Figure]) -> Vec<RequestPair> {
    let counts: BTreeMap<&str, f64> = figures
        .iter()
        .filter(|f| f.unit.starts_with("requests"))
        .map(|f| (f.name.as_str(), f.value))
        .collect();
    let mut pairs = Vec::new();
    for f in figures.iter().filter(|f| f.unit.starts_with("requests")) {
        let words: Vec<&str> = f.name.split('_').collect();
        let Some(at) = words.iter().position(|w| *w == "ours" || *w == "s3mr") else {
            continue;
        };
        for peer in ["botocore", "aws"] {
            let mut theirs = words.clone();
            theirs[at] = peer;
            if let Some(value) = counts.get(theirs.join("_").as_str()) {
                let mut scenario = words.clone();
                scenario.remove(at);
                pairs.push(RequestPair {
                    scenario: scenario.join("_"),
                    ours: f.value,
                    peer: if peer == "aws" { "aws CLI" } else { peer }.to_owned(),
                    theirs: *value,
                });
            }
        }
    }
    pairs
}

/// The ratios followed across runs in `history.svg`.
const HISTORY: &[&str] = &[
    "warm_get_4k_c1_ratio",
    "warm_get_4k_c32_ratio",
    "os_get_4k_ratio_median",
    "os_put_4k_ratio_median",
    "os_list_10k_ratio_median",
    "instructions_per_get_ratio",
    "instructions_per_get_adapter_over_native",
];

/// One results file.
struct Run {
    stem: String,
    family: String,
    figures: Vec<Figure>,
}

fn read_runs(dir: &Path) -> std::io::Result<Vec<Run>> {
    let mut runs = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "txt") {
            continue;
        }
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else {
            continue;
        };
        let Some(family) = family(&stem) else {
            continue;
        };
        let figures = parse(&std::fs::read_to_string(&path)?);
        runs.push(Run {
            stem,
            family,
            figures,
        });
    }
    // Stems sort by date and time (`2026-12-01` was that day's first run, before `-1408`).
    runs.sort_by(|a, b| a.stem.cmp(&b.stem));
    Ok(runs)
}

type Drawn = Result<(), Box<dyn std::error::Error>>;

const BAR: RGBColor = RGBColor(70, 110, 170);
const PEER: RGBColor = RGBColor(190, 190, 190);
const GOAL: RGBColor = RGBColor(200, 30, 30);

/// Horizontal bars on a log axis (ratios are multiplicative: 0.5 and 2 sit equally far from
/// parity; request counts span 1 to 1 000), one per row, with optional goal marks and a line at
/// `parity`.
fn bars(
    path: &Path,
    title: &str,
    axis: &str,
    rows: &[(String, f64, RGBColor, Option<f64>)],
    parity: Option<f64>,
) -> Drawn {
    let n = rows.len();
    let height = 90 + 22 * n as u32;
    let root = SVGBackend::new(path, (960, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let values = rows
        .iter()
        .flat_map(|(_, v, _, g)| [Some(*v), *g])
        .flatten();
    let (low, high) = values.fold(
        (parity.unwrap_or(1.0), parity.unwrap_or(1.0)),
        |(lo, hi), v| (lo.min(v), hi.max(v)),
    );
    let (low, high) = ((low * 0.8).max(1e-3), high * 1.6);
    let names: Vec<String> = rows.iter().map(|(name, ..)| name.clone()).collect();
    let label = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
        _ => String::new(),
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(330)
        .build_cartesian_2d((low..high).log_scale(), (0..n).into_segmented())?;
    chart
        .configure_mesh()
        .y_labels(n)
        .y_label_formatter(&label)
        .x_desc(axis)
        .disable_y_mesh()
        .draw()?;
    // A row's extent on the y axis.
    let row = |i: usize| (SegmentValue::Exact(i), SegmentValue::Exact(i + 1));
    chart.draw_series(rows.iter().enumerate().map(|(i, (_, v, color, _))| {
        let (a, b) = row(i);
        let mut bar = Rectangle::new([(low, a), (v.max(low), b)], color.filled());
        bar.set_margin(3, 3, 0, 0);
        bar
    }))?;
    chart.draw_series(rows.iter().enumerate().map(|(i, (_, v, _, _))| {
        Text::new(
            format!("{v}"),
            (v.max(low) * 1.03, SegmentValue::CenterOf(i)),
            ("sans-serif", 12),
        )
    }))?;
    chart.draw_series(rows.iter().enumerate().filter_map(|(i, (_, _, _, g))| {
        let (a, b) = row(i);
        g.map(|g| PathElement::new(vec![(g, a), (g, b)], GOAL.stroke_width(3)))
    }))?;
    if let Some(p) = parity {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(p, SegmentValue::Exact(0)), (p, SegmentValue::Exact(n))],
            BLACK.stroke_width(1),
        )))?;
    }
    root.present()?;
    Ok(())
}

fn ratio_chart(run: &Run, out: &Path) -> Drawn {
    let rows: Vec<(String, f64, RGBColor, Option<f64>)> = run
        .figures
        .iter()
        .filter(|f| is_ratio(f))
        .map(|f| {
            (
                format!("{} ({})", f.name, f.unit),
                f.value,
                BAR,
                goal(&f.name),
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let title = format!(
        "{}: ratios, run {} (higher is better; red: goal; line: parity)",
        run.family, run.stem
    );
    bars(
        &out.join(format!("{}-ratios.svg", run.family)),
        &title,
        "ratio (log scale)",
        &rows,
        Some(1.0),
    )
}

fn request_chart(run: &Run, out: &Path) -> Drawn {
    let pairs = request_pairs(&run.figures);
    if pairs.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::new();
    for pair in &pairs {
        rows.push((format!("{} — ours", pair.scenario), pair.ours, BAR, None));
        rows.push((
            format!("{} — {}", pair.scenario, pair.peer),
            pair.theirs,
            PEER,
            None,
        ));
    }
    let title = format!(
        "{}: requests sent, run {} (exact counts)",
        run.family, run.stem
    );
    bars(
        &out.join(format!("{}-requests.svg", run.family)),
        &title,
        "requests (log scale)",
        &rows,
        None,
    )
}

fn history_chart(runs: &[Run], out: &Path) -> Drawn {
    let shown: Vec<&Run> = runs
        .iter()
        .filter(|r| r.figures.iter().any(|f| HISTORY.contains(&f.name.as_str())))
        .collect();
    let series = HISTORY
        .iter()
        .map(|name| {
            let values = shown
                .iter()
                .enumerate()
                .filter_map(|(i, r)| {
                    r.figures
                        .iter()
                        .find(|f| f.name == *name)
                        .map(|f| (i, f.value))
                })
                .collect();
            (*name, values)
        })
        .collect();
    let stems: Vec<String> = shown.iter().map(|r| r.stem.clone()).collect();
    draw_history(&out.join("history.svg"), &stems, series)
}

fn draw_history(path: &Path, stems: &[String], series: Vec<(&str, Vec<(usize, f64)>)>) -> Drawn {
    if stems.is_empty() {
        return Ok(());
    }
    let root = SVGBackend::new(path, (960, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "History of the committed runs: the ratios that matter (goal ≥ 0.98 / 0.95)",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(70)
        .y_label_area_size(50)
        .build_cartesian_2d((0..stems.len()).into_segmented(), 0.0f64..1.2)?;
    chart
        .configure_mesh()
        .x_labels(stems.len())
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => stems.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .y_desc("ratio (higher is better)")
        .draw()?;
    for (k, (name, values)) in series.into_iter().enumerate() {
        let color = Palette99::pick(k).to_rgba();
        let at = |i: usize| SegmentValue::CenterOf(i);
        chart
            .draw_series(LineSeries::new(
                values.iter().map(|(i, v)| (at(*i), *v)),
                color.stroke_width(2),
            ))?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
        chart.draw_series(
            values
                .iter()
                .map(|(i, v)| Circle::new((at(*i), *v), 3, color.filled())),
        )?;
    }
    for goal in [0.98, 0.95] {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![
                (SegmentValue::Exact(0), goal),
                (SegmentValue::Exact(stems.len()), goal),
            ],
            GOAL.stroke_width(1),
        )))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// Renders every chart from `results` into `out`, and names each file written.
pub(crate) fn render(
    results: &Path,
    out: &Path,
) -> Result<Vec<PathBuf>, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(out)?;
    let runs = read_runs(results)?;
    let mut latest: BTreeMap<&str, &Run> = BTreeMap::new();
    for run in &runs {
        latest.insert(run.family.as_str(), run);
    }
    for run in latest.values() {
        ratio_chart(run, out)?;
        request_chart(run, out)?;
    }
    history_chart(&runs, out)?;
    let mut written: Vec<PathBuf> = std::fs::read_dir(out)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    written.sort();
    Ok(written)
}

/// The `charts` subcommand.
pub(crate) fn run(args: &[String]) {
    let results = PathBuf::from(args.first().map_or("bench/results", String::as_str));
    let out = PathBuf::from(args.get(1).map_or("bench/charts", String::as_str));
    match render(&results, &out) {
        Ok(files) => {
            for file in files {
                println!("chart {}", file.display());
            }
        }
        Err(e) => {
            eprintln!("s3mr-bench charts: {e}");
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_parsed_and_words_skipped() {
        let text = "warm_get_4k_c1_ratio 0.978 multi/raw\nos_native_wrong_region_get fails \n\
                    profile_tool_rustc rustc_1.95.0 version\ncli_cp_up_512m_requests_s3mr 67 requests\n";
        assert_eq!(
            parse(text),
            [
                Figure {
                    name: "warm_get_4k_c1_ratio".into(),
                    value: 0.978,
                    unit: "multi/raw".into()
                },
                Figure {
                    name: "cli_cp_up_512m_requests_s3mr".into(),
                    value: 67.0,
                    unit: "requests".into()
                },
            ]
        );
    }

    #[test]
    fn families_come_from_the_file_name() {
        for (stem, expected) in [
            ("2026-12-01", Some("main")),
            ("2026-12-01-1408", Some("main")),
            ("2026-12-05-1621-cli", Some("cli")),
            ("2026-12-05-2238-profile", Some("profile")),
            ("2026-12-01-fs", Some("fs")),
            ("notes", None),
            ("2026-12-01-", None),
            ("2026_12_01", None),
        ] {
            assert_eq!(family(stem).as_deref(), expected, "{stem}");
        }
    }

    #[test]
    fn goals_are_the_pages_goals() {
        for (name, expected) in [
            ("warm_get_4k_c32_ratio", Some(0.98)),
            ("os_put_4k_ratio_median", Some(0.95)),
            ("s3fs_write_256m_ratio_vs_raw_multipart", None),
            ("s3fs_read_256m_ratio", Some(0.95)),
            ("gw_get_4k_c1_rate_ratio", None),
            ("gw_get_256m_ratio", Some(0.90)),
            ("cli_cp_down_512m_ratio", Some(1.0)),
            ("instructions_per_get_ratio", Some(0.98)),
        ] {
            assert_eq!(goal(name), expected, "{name}");
        }
    }

    #[test]
    fn request_counts_pair_with_botocore_and_the_aws_cli() {
        let figures = parse(
            "cold_concurrent_16_ours 17 requests\ncold_concurrent_16_botocore 32 requests\n\
             cli_rm_recursive_900_requests_s3mr 3 requests\ncli_rm_recursive_900_requests_aws 905 requests\n\
             scale_ls_1000000_s3mr_requests 1000 requests\nput_64m_unknown_region_requests_ours 2 requests\n\
             cli_sync_10_changed_puts_s3mr 10 PUT requests\n",
        );
        let pairs = request_pairs(&figures);
        assert_eq!(
            pairs,
            [
                RequestPair {
                    scenario: "cold_concurrent_16".into(),
                    ours: 17.0,
                    peer: "botocore".into(),
                    theirs: 32.0
                },
                RequestPair {
                    scenario: "cli_rm_recursive_900_requests".into(),
                    ours: 3.0,
                    peer: "aws CLI".into(),
                    theirs: 905.0
                },
            ],
            "figures without a peer are left out"
        );
    }

    #[test]
    fn charts_render_from_results_files() {
        let dir = tempfile::tempdir().unwrap();
        let results = dir.path().join("results");
        std::fs::create_dir_all(&results).unwrap();
        std::fs::write(
            results.join("2026-12-01-1408.txt"),
            "warm_get_4k_c1_ratio 0.97 multi/raw\ncold_concurrent_16_ours 17 requests\ncold_concurrent_16_botocore 32 requests\n",
        )
        .unwrap();
        std::fs::write(
            results.join("2026-12-06-0100.txt"),
            "warm_get_4k_c1_ratio 0.99 multi/raw\n",
        )
        .unwrap();
        std::fs::write(
            results.join("2026-12-05-1621-cli.txt"),
            "cli_ls_ratio 1.6 aws/s3mr\n",
        )
        .unwrap();
        let out = dir.path().join("charts");
        let written = render(&results, &out).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        // The main family's latest run has no request counts: no requests chart from the older one.
        assert_eq!(names, ["cli-ratios.svg", "history.svg", "main-ratios.svg"]);
        let main = std::fs::read_to_string(out.join("main-ratios.svg")).unwrap();
        assert!(
            main.contains("2026-12-06-0100") && main.contains("warm_get_4k_c1_ratio"),
            "{main}"
        );
        let history = std::fs::read_to_string(out.join("history.svg")).unwrap();
        assert!(history.contains("2026-12-01-1408") && history.contains("2026-12-06-0100"));
    }
}
