//! What was measured (`Results`, one `Round` at a time) and the report made of it.

use std::collections::BTreeMap;

use serde_json::Value;

use super::ours::fixture_len;
use super::table::{mib, per_s, us, verdict, Report, Row};

/// The median of the finite values; NaN when there is none.
pub(super) fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// One round of measurements: ours (criterion medians, ns) and the official
/// signer scripts' output.
#[derive(Default)]
pub(super) struct Round {
    pub(super) ns: BTreeMap<&'static str, f64>,
    pub(super) python_sign: Value,
    pub(super) node_sign: Value,
    pub(super) python_acs3: Value,
    pub(super) node_acs3: Value,
}

/// What a run measured.
#[derive(Default)]
pub(super) struct Results {
    pub(super) machine: BTreeMap<&'static str, String>,
    /// Each measuring step and the load average when it started.
    pub(super) loads: Vec<(String, f64)>,
    /// Some step started above `--max-load`.
    pub(super) noisy: bool,
    pub(super) ns: BTreeMap<&'static str, f64>,
    pub(super) rounds: Vec<Round>,
    pub(super) e2e: BTreeMap<&'static str, Value>,
    /// Peak RSS (KiB) of the `vod` binary making one call, and how it was measured.
    pub(super) vod_one_call: Option<(f64, &'static str)>,
    pub(super) loopback: BTreeMap<&'static str, Value>,
    pub(super) memory: Value,
}

impl Results {
    /// The report: the machine and its load, then a row per comparison.
    pub(super) fn report(&self) -> Report {
        let ns = |k: &str| self.ns.get(k).copied().unwrap_or(f64::NAN);
        let mut rows = Vec::new();
        let mut row = |what: &str, ours: String, theirs: String, ratio: String, target: String| {
            rows.push(Row {
                what: what.to_owned(),
                ours,
                theirs,
                ratio,
                target,
            })
        };

        // Signing: times are medians over the rounds; a ratio to a floor is
        // the median of the rounds' ratios.
        let to_floor = |what: &str, floor: &str| {
            let per_round: Vec<f64> = self
                .rounds
                .iter()
                .map(|x| {
                    x.ns.get(what).copied().unwrap_or(f64::NAN)
                        / x.ns.get(floor).copied().unwrap_or(f64::NAN)
                })
                .collect();
            median(&per_round)
        };
        let sign = ns("sign_v1");
        let v1_floor = to_floor("sign_v1", "floor");
        row(
            "sign RPC V1 (10 JobIds) vs bare HMAC-SHA1",
            us(sign),
            format!("floor {}", us(ns("floor"))),
            format!("{v1_floor:.2}x floor"),
            format!(
                "≤ 2x, < 2 µs: {}",
                verdict(v1_floor <= 2.0 && sign < 2000.0)
            ),
        );
        row(
            "  vs HMAC-SHA1 with the key schedule kept, as the signer keeps it",
            us(sign),
            format!("floor {}", us(ns("floor_keyed"))),
            format!("{:.2}x floor", to_floor("sign_v1", "floor_keyed")),
            String::new(),
        );
        row(
            "sign RPC V1 (10 UploadURLs) vs bare HMAC-SHA1",
            us(ns("sign_v1_urls")),
            format!("floor {}", us(ns("floor_urls"))),
            format!("{:.2}x floor", to_floor("sign_v1_urls", "floor_urls")),
            String::new(),
        );
        // Against the official signers: rates are medians over the rounds, and
        // each ratio is the median of the rounds' ratios (ours and theirs from
        // the same round), with the lowest and highest.
        let rounds = &self.rounds;
        let signers = |theirs: fn(&Round) -> &Value,
                       ours: &str,
                       lang: &str,
                       min: f64,
                       rows: &mut Vec<Row>| {
            let Some(names) = rounds
                .first()
                .and_then(|first| theirs(first)["results"].as_object())
            else {
                rows.push(Row::new(
                    &format!("  vs the fastest official {lang} signer"),
                    String::new(),
                    "no figures".to_owned(),
                    String::new(),
                    format!("≥ {min}x: {}", verdict(false)),
                ));
                return;
            };
            let rate = |round: &Round, name: &str| {
                theirs(round)["results"][name]["median_ops_per_s"]
                    .as_f64()
                    .unwrap_or(f64::NAN)
            };
            let ours_rate = |round: &Round| 1e9 / round.ns.get(ours).copied().unwrap_or(f64::NAN);
            let ours_all: Vec<f64> = rounds.iter().map(ours_rate).collect();
            // Rounds without a figure (a missing rate) are left out; none at
            // all is NaN, which no target accepts.
            let ratio = |per_round: &[f64]| {
                let ok: Vec<f64> = per_round
                    .iter()
                    .copied()
                    .filter(|r| r.is_finite())
                    .collect();
                let lo = ok.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = ok.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let mid = median(&ok);
                match ok.len() {
                    0 => (f64::NAN, "no figures".to_owned()),
                    1 => (mid, format!("{mid:.1}x")),
                    _ => (mid, format!("{mid:.1}x ({lo:.1}–{hi:.1}x)")),
                }
            };
            for name in names.keys() {
                let theirs_all: Vec<f64> = rounds.iter().map(|x| rate(x, name)).collect();
                let per_round: Vec<f64> = rounds
                    .iter()
                    .map(|x| ours_rate(x) / rate(x, name))
                    .collect();
                rows.push(Row {
                    what: format!("  vs {lang}: {name}"),
                    ours: per_s(median(&ours_all)),
                    theirs: per_s(median(&theirs_all)),
                    ratio: ratio(&per_round).1,
                    target: String::new(),
                });
            }
            let is_signer =
                |name: &str| !name.contains("full per-request") && !name.contains("get_signed_url");
            let best = |round: &Round| {
                names
                    .keys()
                    .filter(|n| is_signer(n))
                    .map(|n| rate(round, n))
                    .filter(|r| r.is_finite() && *r > 0.0)
                    .fold(f64::NAN, f64::max)
            };
            let best_all: Vec<f64> = rounds.iter().map(best).collect();
            let per_round: Vec<f64> = rounds.iter().map(|x| ours_rate(x) / best(x)).collect();
            let (speedup, shown) = ratio(&per_round);
            rows.push(Row {
                what: format!("  vs the fastest official {lang} signer"),
                ours: per_s(median(&ours_all)),
                theirs: per_s(median(&best_all)),
                ratio: shown,
                target: format!("≥ {min}x: {}", verdict(speedup >= min)),
            });
        };
        signers(|x| &x.python_sign, "sign_v1", "Python", 40.0, &mut rows);
        signers(|x| &x.node_sign, "sign_v1", "Node", 8.0, &mut rows);
        let acs3 = ns("sign_acs3");
        rows.push(Row::new(
            "sign ACS3-HMAC-SHA256 (10 JobIds) vs bare SHA-256 + HMAC-SHA256",
            us(acs3),
            format!("floor {}", us(ns("acs3_floor"))),
            format!("{:.2}x floor", to_floor("sign_acs3", "acs3_floor")),
            format!("< 2 µs: {}", verdict(acs3 < 2000.0)),
        ));
        rows.push(Row::new(
            "  vs the same with the HMAC key schedule kept, as the signer keeps it",
            us(acs3),
            format!("floor {}", us(ns("acs3_floor_keyed"))),
            format!("{:.2}x floor", to_floor("sign_acs3", "acs3_floor_keyed")),
            String::new(),
        ));
        // The same targets as RPC V1, against the official ACS3 signers.
        signers(
            |x| &x.python_acs3,
            "sign_acs3",
            "Python (ACS3)",
            40.0,
            &mut rows,
        );
        signers(|x| &x.node_acs3, "sign_acs3", "Node (ACS3)", 8.0, &mut rows);

        // Encode and decode.
        let mut row = |what: &str, ours: String, theirs: String, ratio: String, target: String| {
            rows.push(Row {
                what: what.to_owned(),
                ours,
                theirs,
                ratio,
                target,
            })
        };
        row(
            "encode: typed input → signed form body (10 JobIds)",
            us(ns("encode_ids")),
            String::new(),
            String::new(),
            String::new(),
        );
        row(
            "encode: typed input → signed form body (10 UploadURLs)",
            us(ns("encode_urls")),
            String::new(),
            String::new(),
            String::new(),
        );
        let root = crate::repo_root();
        for (key, floor, file, limit) in [
            (
                "decode_json",
                "decode_json_floor",
                "get_url_upload_infos_10.json",
                10_000.0,
            ),
            (
                "decode_xml",
                "decode_xml_floor",
                "get_url_upload_infos_10.xml",
                25_000.0,
            ),
        ] {
            let t = ns(key);
            let f = ns(floor);
            let mbps = fixture_len(&root, file)
                .map(|b| b / t * 1e3)
                .unwrap_or(f64::NAN);
            row(
                &format!("{key}: 10 infos → typed output ({mbps:.0} MB/s) vs bare parse"),
                us(t),
                format!("parse floor {}", us(f)),
                format!("{:.2}x floor", to_floor(key, floor)),
                format!("< {}: {}", us(limit), verdict(t < limit)),
            );
        }

        // Round trip on loopback.
        let cores = self
            .machine
            .get("cores")
            .and_then(|c| c.parse::<f64>().ok())
            .unwrap_or(2.0);
        for (key, label) in [("rt1", "1 in flight"), ("rt16", "16 in flight")] {
            let t = ns(key);
            let target = if key == "rt16" {
                format!("≥ 20 k/s: {}", verdict(1e9 / t >= 20_000.0))
            } else {
                String::new()
            };
            row(
                &format!("round trip, loopback, {label}"),
                per_s(1e9 / t),
                format!("{} per call", us(t)),
                String::new(),
                target,
            );
        }
        let own = ns("encode_ids") + ns("decode_json");
        // The median of the rounds' shares, each from one round's figures.
        let shares: Vec<f64> = self
            .rounds
            .iter()
            .map(|x| {
                let n = |k: &str| x.ns.get(k).copied().unwrap_or(f64::NAN);
                (n("encode_ids") + n("decode_json")) / (n("rt16") * cores)
            })
            .collect();
        let share = median(&shares);
        row(
            "  client's own CPU (encode+sign+decode) / total CPU per call at 16",
            us(own),
            format!("{} × {cores} cores", us(ns("rt16"))),
            format!("{:.1}%", share * 100.0),
            format!("< 10%: {}", verdict(share < 0.10)),
        );
        if let Some(l) = self.loopback.get("16") {
            let f = |k: &str| l[k].as_f64().unwrap_or(f64::NAN);
            row(
                "  measured: client process CPU / server thread CPU per call",
                us(f("client_cpu_per_call_us") * 1e3),
                format!("server {}", us(f("server_thread_cpu_per_call_us") * 1e3)),
                format!(
                    "{:.1}% of client CPU is ours",
                    own / (f("client_cpu_per_call_us") * 1e3) * 100.0
                ),
                format!("{} at {}", per_s(f("rps")), "16 in flight"),
            );
        }

        // End to end against the emulator.
        if let Some(ours) = self.e2e.get("ours") {
            let ours_rps = ours["rps"].as_f64().unwrap_or(f64::NAN);
            let ours_cpu = ours["cpu_per_call_us"].as_f64().unwrap_or(f64::NAN);
            let ours_rss = ours["peak_rss_kib_end"].as_f64().unwrap_or(f64::NAN);
            for (mode, label) in [
                ("v1", "alibabacloud-vod20170321 (V1 signature)"),
                ("v3", "alibabacloud-vod20170321 (default, ACS3)"),
                ("old", "aliyun-python-sdk-vod (aliyunsdkcore)"),
            ] {
                let Some(t) = self.e2e.get(mode) else {
                    continue;
                };
                let rps = t["rps"].as_f64().unwrap_or(f64::NAN);
                let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
                // CPU per call without the start-up (the one-call run's CPU).
                let cpu = (f(t, "client_cpu_s") - f(&t["one_call"], "client_cpu_s")) * 1e6
                    / (f(t, "requests") - f(&t["one_call"], "requests"));
                let rss = t["peak_rss_kb_end"].as_f64().unwrap_or(f64::NAN);
                row(
                    &format!("emulator, sequential calls/s vs {label}"),
                    per_s(ours_rps),
                    per_s(rps),
                    format!("{:.1}x", ours_rps / rps),
                    String::new(),
                );
                row(
                    "  client CPU per call",
                    us(ours_cpu * 1e3),
                    us(cpu * 1e3),
                    format!("{:.1}x less", cpu / ours_cpu),
                    String::new(),
                );
                row(
                    "  client peak RSS",
                    mib(ours_rss),
                    mib(rss),
                    format!("{:.1}x less", rss / ours_rss),
                    String::new(),
                );
            }
        }

        // Memory.
        let m = &self.memory;
        let kib = |k: &str| m[k]["peak_rss_kib"].as_f64().unwrap_or(f64::NAN);
        if let Some((v, how)) = self.vod_one_call {
            let theirs = self
                .e2e
                .get("v1")
                .and_then(|t| t["peak_rss_kb_end"].as_f64());
            row(
                &format!("peak RSS: `vod` binary, one call ({how})"),
                mib(v),
                theirs
                    .map(|t| format!("official Python client {}", mib(t)))
                    .unwrap_or_default(),
                theirs
                    .map(|t| format!("{:.1}x less", t / v))
                    .unwrap_or_default(),
                String::new(),
            );
        }
        row(
            "peak RSS: library client, idle / one call",
            format!("{} / {}", mib(kib("idle")), mib(kib("one_call"))),
            String::new(),
            String::new(),
            String::new(),
        );
        let calls = m["in_flight"]["detail"]["calls"]
            .as_f64()
            .unwrap_or(10_000.0);
        row(
            "peak RSS: 10,000 calls in flight at once",
            mib(kib("in_flight")),
            format!(
                "{:.1} KiB per call",
                (kib("in_flight") - kib("idle")) / calls
            ),
            String::new(),
            String::new(),
        );
        row(
            "peak RSS: batch helper, 100,000 job IDs (10,000 calls)",
            mib(kib("batch")),
            String::new(),
            String::new(),
            String::new(),
        );

        let mut header = Vec::new();
        for (k, v) in &self.machine {
            header.push(format!("{k}: {v}"));
        }
        let loads: Vec<String> = self.loads.iter().map(|(_, l)| format!("{l:.2}")).collect();
        header.push(format!(
            "load average (1 min) at each step: {}{}",
            loads.join(", "),
            if self.noisy {
                " (some steps were NOT quiet: treat their numbers with care)"
            } else {
                ""
            }
        ));
        Report { header, rows }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::{median, Report, Results, Round};

    #[test]
    fn medians_skip_what_is_not_a_figure() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[f64::NAN, 5.0, f64::INFINITY]), 5.0);
        assert!(median(&[]).is_nan());
        assert!(median(&[f64::NAN]).is_nan());
    }

    fn target(report: &Report, what: &str) -> String {
        let row = report.rows.iter().find(|r| r.what == what);
        row.map(|r| r.target.clone())
            .unwrap_or_else(|| panic!("no row {what:?}"))
    }

    /// A signer script that printed no usable rate cannot meet a target.
    #[test]
    fn a_missing_official_rate_is_a_miss_not_a_win() {
        let round = |rate: Value| Round {
            ns: [("sign_v1", 1000.0), ("sign_acs3", 1500.0)]
                .into_iter()
                .collect(),
            python_sign: json!({"results": {"a signer": {"median_ops_per_s": rate}}}),
            ..Round::default()
        };
        let mut r = Results {
            rounds: vec![
                round(json!(10_000.0)),
                round(json!(null)),
                round(json!(20_000.0)),
            ],
            ..Results::default()
        };
        let report = r.report();
        // 100x and 50x: the median of the two rounds with a figure.
        let row = report
            .rows
            .iter()
            .find(|x| x.what == "  vs the fastest official Python signer")
            .expect("row");
        assert_eq!(row.ratio, "75.0x (50.0–100.0x)");
        assert_eq!(row.target, "≥ 40x: met");

        r.rounds = vec![round(json!(null))];
        let report = r.report();
        assert_eq!(
            target(&report, "  vs the fastest official Python signer"),
            "≥ 40x: MISSED"
        );
        // No Node figures at all: still a row, still a miss.
        assert_eq!(
            target(&report, "  vs the fastest official Node signer"),
            "≥ 8x: MISSED"
        );
    }
}
