//! Persons-on-board (PoB) estimation for non-AIS tracks and counted vessels.
//!
//! # Model
//! A discrete Bayesian posterior over N = 0..=n_max people on board
//! (n_max = [`N_MAX`], extended when a count is large).
//!
//! * **Prior** by vessel class and length ([`prior`]; the figures and their
//!   public sources are documented in `priors.rs`): a log-normal on the load
//!   (`N ≈ k·L²` for rubber and wooden boats; crew-sized for other classes, with
//!   a small "used for smuggling" component), plus 1 % of a defensive
//!   `P(n) ∝ 1/(n+1)` component so that counts can override a wrong class label.
//!   Unknown length → typical length for the class and a wider prior.
//! * **Observation model** ([`visibility_beta`]): a look sees each of the N
//!   people independently with visibility p; p is uncertain,
//!   `p ~ Beta(α, β)` with mean `0.5 + 0.48·c` and concentration `4 + 96·c²`
//!   for counter confidence c ∈ [0, 1] (c = 1: p ≈ 0.98 ± 0.014; c = 0.5:
//!   0.74 ± 0.08; c = 0: 0.5 ± 0.22). The count is then beta-binomial
//!   `k ~ BetaBin(N, α, β)`. N < k has zero likelihood: **a count is a hard lower
//!   bound** (over-counting is not modelled; for rescue, under-estimating is the
//!   dangerous error). A low-confidence count therefore pulls the estimate
//!   above the count (people hide below deck or under each other).
//! * **Several looks** multiply their likelihoods, each with its own p: looks
//!   are treated as independent given N. That overstates certainty when the
//!   same drone pass/frame is reported twice; callers should de-duplicate looks
//!   by `Detection::detection_id` before calling [`estimate`]. Identical looks
//!   are pointed out in the evidence.
//! * **Estimate** = posterior median: the posterior is right-skewed (hidden
//!   people stretch the upper tail, the largest count cuts the lower one), and
//!   the median is robust to that tail, minimises expected absolute error and
//!   is always an integer inside the interval. The mean would be dragged by
//!   the tail and the mode sits at the count side. Plan rescue capacity
//!   (life jackets, rescue asset space) on `high`, not on `estimate`.
//! * **Interval**: 5th and 95th posterior percentiles (smallest n with
//!   CDF ≥ q), a 90 % credible interval.
//! * **Overcrowding** ([`OVERCROWDED_P`]): flagged when P(N > safe_capacity) ≥ 0.3,
//!   i.e. deliberately below even odds so that rescue does not miss an
//!   overcrowded boat. Without any look, only classes that by themselves
//!   indicate a migrant boat (rubber, wooden) are flagged from the prior alone;
//!   otherwise every unlooked non-AIS contact of unknown type would raise a
//!   distress-like alert. `p_overcrowded` is reported in every case where a
//!   capacity exists.
//!
//! Numerics: log space throughout; the likelihood of one look over the grid is
//! O(n_max) log-gamma evaluations.

use std::collections::HashMap;
use std::sync::Mutex;

use lookout_core::VesselClass;

mod priors;

/// Default upper end of the N grid (Pylos 2023: ~750 aboard one boat).
pub const N_MAX: u32 = 2000;
/// Hard ceiling of the grid when counts force it wider.
const N_CEILING: u32 = 20_000;
/// Overcrowding flag threshold on P(N > safe_capacity).
pub const OVERCROWDED_P: f64 = 0.3;

/// One look at the boat: people counted and how confident the counter (human or model) is, 0..=1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CountLook {
    pub count: u32,
    pub confidence: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PobEstimate {
    /// Posterior median (see module docs for why the median).
    pub estimate: u32,
    /// 90 % credible interval: 5th percentile.
    pub low: u32,
    /// 90 % credible interval: 95th percentile.
    pub high: u32,
    /// Persons the class/length can carry safely; None when unknown (merchant ships).
    pub safe_capacity: Option<u32>,
    /// P(N > safe_capacity) ≥ [`OVERCROWDED_P`] (prior-only: rubber/wooden boats only).
    pub overcrowded: bool,
    pub p_overcrowded: Option<f64>,
    /// Human-readable lines: prior used, each look fused, what drove the interval, capacity, flag.
    pub evidence: Vec<String>,
    /// Counts fused (drone or camera looks); 0: the estimate is the class/length prior only.
    pub looks: u32,
}

/// Prior on persons on board for a class and length: summary, source text and the pmf.
#[derive(Debug, Clone, PartialEq)]
pub struct Prior {
    pub class: VesselClass,
    /// Length the prior was evaluated at (reported, clamped, or the class's typical length).
    pub length_m: f64,
    /// True when the length was not reported (or invalid) and a typical one was assumed.
    pub length_assumed: bool,
    /// Median of the prior.
    pub median: u32,
    /// 5th percentile.
    pub low: u32,
    /// 95th percentile.
    pub high: u32,
    pub mean: f64,
    /// The distribution in words (mixture, formulas).
    pub description: String,
    /// Public sources the figures were fitted to (or "own assumption").
    pub source: &'static str,
    /// P(N = n) for n = 0..=N_MAX (sums to 1).
    pub pmf: Vec<f64>,
}

/// Prior on N over 0..=[`N_MAX`] for a vessel class and (optional) length in metres.
pub fn prior(class: VesselClass, length_m: Option<f64>) -> Prior {
    let model = priors::class_model(class, length_m);
    let logp = prior_log_pmf(&model, N_MAX as usize);
    let pmf = normalise(&logp);
    let (low, median, high) = quantiles(&pmf);
    let mean = pmf.iter().enumerate().map(|(n, p)| n as f64 * p).sum();
    let mut description = model.formula.clone();
    if let Some(note) = &model.length_note {
        description.push_str("; ");
        description.push_str(note);
    }
    Prior {
        class,
        length_m: model.length_m,
        length_assumed: model.length_assumed,
        median,
        low,
        high,
        mean,
        description,
        source: model.source,
        pmf,
    }
}

/// Persons the class/length can carry safely (calm weather), floor-rounded.
/// Unknown length → a conservative short nominal length for the class.
/// None for merchant ships.
pub fn safe_capacity(class: VesselClass, length_m: Option<f64>) -> Option<u32> {
    priors::capacity(class, length_m).map(|c| c.0)
}

/// Beta parameters (α, β) of the per-person visibility p for a look with the given
/// counter confidence (clamped to 0..=1; NaN → 0).
pub fn visibility_beta(confidence: f64) -> (f64, f64) {
    let c = if confidence.is_nan() { 0.0 } else { confidence.clamp(0.0, 1.0) };
    let mean = 0.5 + 0.48 * c;
    let kappa = 4.0 + 96.0 * c * c;
    (mean * kappa, (1.0 - mean) * kappa)
}

/// Fuse the class/length prior with the looks. None only for a merchant ship
/// with no look (nothing to go on, and no people information in the class);
/// every other contact, including an unknown dark boat with no look, gets at
/// least a prior-only estimate.
pub fn estimate(class: Option<VesselClass>, length_m: Option<f64>, looks: &[CountLook]) -> Option<PobEstimate> {
    if !looks.is_empty() {
        return estimate_uncached(class, length_m, looks);
    }
    // Prior-only: a function of the class and length alone, kept once computed.
    let key = (class, length_m.map(f64::to_bits));
    let cache = || PRIOR_ONLY.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(e) = cache().as_ref().and_then(|c| c.get(&key)) {
        return e.clone();
    }
    let e = estimate_uncached(class, length_m, looks);
    let mut c = cache();
    let c = c.get_or_insert_with(HashMap::new);
    if c.len() >= PRIOR_ONLY_CACHE_MAX {
        c.clear();
    }
    c.insert(key, e.clone());
    e
}

/// Prior-only estimates (no looks), by class and length (its bits), as computed.
/// Every new dark track gets one, and each costs a grid of [`N_MAX`] log-pmfs: under
/// a `PushDetections` flood of unknown contacts (`cargo bench --bench wire`) about
/// 80 % of the service's CPU went into recomputing the same few, under the engine's
/// write lock, so each detection batch held readers off for hundreds of ms.
static PRIOR_ONLY: Mutex<Option<HashMap<PriorKey, Option<PobEstimate>>>> = Mutex::new(None);
type PriorKey = (Option<VesselClass>, Option<u64>);
/// Entries [`PRIOR_ONLY`] holds before it starts again (lengths measured by sensors vary
/// continuously; classes and assumed lengths repeat).
const PRIOR_ONLY_CACHE_MAX: usize = 1024;

fn estimate_uncached(class: Option<VesselClass>, length_m: Option<f64>, looks: &[CountLook]) -> Option<PobEstimate> {
    let class_given = class.is_some();
    let class = class.unwrap_or(VesselClass::Unknown);
    if class == VesselClass::Merchant && looks.is_empty() {
        return None;
    }
    let mut evidence = Vec::new();

    // Grid: wide enough that the largest count at the lowest visibility fits.
    let max_count = looks.iter().map(|l| l.count).max().unwrap_or(0);
    let n_max = N_MAX.max(max_count.saturating_mul(5).saturating_add(50)).min(N_CEILING.max(max_count)) as usize;

    // Prior.
    let model = priors::class_model(class, length_m);
    let log_prior = prior_log_pmf(&model, n_max);
    let prior_pmf = normalise(&log_prior);
    let (p_lo, p_med, p_hi) = quantiles(&prior_pmf);
    let length_txt = if model.length_assumed {
        format!("length unknown, {:.0} m assumed", model.length_m)
    } else {
        format!("length {:.1} m", model.length_m)
    };
    evidence.push(format!(
        "prior: {class:?}{} ({length_txt}): {}; prior median {p_med}, 90% {p_lo}-{p_hi}; source: {}",
        if class_given { "" } else { " (class not reported)" },
        model.formula,
        model.source
    ));
    if let Some(note) = &model.length_note {
        evidence.push(format!("prior: {note}"));
    }
    let tail = prior_tail_beyond(&model, n_max);
    if tail > 0.005 {
        evidence
            .push(format!("prior: {:.1}% of prior mass lies above the {n_max}-person grid and was cut", 100.0 * tail));
    }

    // Looks.
    let lgf = ln_factorials(n_max);
    let mut log_post = log_prior.clone();
    let mut narrowest: Option<(usize, u32)> = None;
    for (i, look) in looks.iter().enumerate() {
        let (a, b) = visibility_beta(look.confidence);
        let c_note = if look.confidence.is_nan() {
            " (confidence NaN, treated as 0)"
        } else if !(0.0..=1.0).contains(&look.confidence) {
            " (confidence clamped to 0..=1)"
        } else {
            ""
        };
        let ll = beta_binomial_loglik(look.count, a, b, n_max, &lgf);
        for (lp, l) in log_post.iter_mut().zip(&ll) {
            *lp += l;
        }
        // What this look alone (flat prior on the grid) says about N.
        let alone = normalise(&ll);
        let (lo, _, hi) = quantiles(&alone);
        let mean = a / (a + b);
        let sd = (a * b / ((a + b).powi(2) * (a + b + 1.0))).sqrt();
        evidence.push(format!(
            "look {}: counted {} at confidence {:.2}{c_note}: visibility p ~ Beta({a:.1}, {b:.1}) = {mean:.2} ± {sd:.2}; \
             this look alone implies N in {lo}-{hi}",
            i + 1,
            look.count,
            look.confidence
        ));
        if narrowest.is_none_or(|(_, w)| hi - lo < w) {
            narrowest = Some((i, hi - lo));
        }
        if looks[..i].iter().any(|o| o == look) {
            evidence.push(format!(
                "look {}: identical to an earlier look; if both are the same pass reported twice, de-duplicate by \
                 detection id (independent looks are assumed, which would overstate certainty)",
                i + 1
            ));
        }
    }

    let post = normalise(&log_post);
    let (low, med, high) = quantiles(&post);

    // What drove the interval.
    if looks.is_empty() {
        evidence.push(format!("interval: no count available; prior only, 90% {low}-{high} (median {med})"));
    } else {
        evidence.push(format!(
            "fused {} look(s) as independent given N: N >= {max_count} (largest count is a hard lower bound); \
             posterior median {med}, 90% {low}-{high} (prior 90% {p_lo}-{p_hi})",
            looks.len()
        ));
        let (i, w) = narrowest.expect("looks is non-empty");
        let driver = if w >= p_hi - p_lo {
            "the prior (every look alone is less informative than the class/length prior)".to_string()
        } else if looks.len() > 1 && high - low < w {
            format!("the combination of looks (narrower than the best single look, look {})", i + 1)
        } else {
            format!("look {} (most informative single look, confidence {:.2})", i + 1, looks[i].confidence)
        };
        evidence.push(format!("interval driven by {driver}"));
        if looks.iter().all(|l| l.confidence < 0.5) {
            evidence.push(
                "interval: all counts are low-confidence, so they act mostly as lower bounds; the upper end comes \
                 from the prior and the visibility model"
                    .to_string(),
            );
        }
    }

    // Capacity and overcrowding.
    let cap = priors::capacity(class, length_m);
    let (safe_capacity, p_over, overcrowded) = match &cap {
        None => {
            evidence.push(format!("safe capacity: unknown for {class:?}; overcrowding not assessed"));
            (None, None, false)
        }
        Some((c, l, assumed, how)) => {
            let p: f64 = post.iter().skip(*c as usize + 1).sum();
            let p = p.clamp(0.0, 1.0);
            let migrant_class = matches!(class, VesselClass::RubberBoat | VesselClass::WoodenBoat);
            let flag = p >= OVERCROWDED_P && (!looks.is_empty() || migrant_class);
            evidence.push(format!(
                "safe capacity: {c} persons at {}{l:.1} m by {how}",
                if *assumed { "conservative nominal length " } else { "" }
            ));
            let rule = if flag {
                "OVERCROWDED".to_string()
            } else if p >= OVERCROWDED_P {
                format!("not flagged: prior only for {class:?} (no look); a count is needed")
            } else {
                "not overcrowded".to_string()
            };
            evidence.push(format!("overcrowding: P(N > {c}) = {p:.3}, threshold {OVERCROWDED_P} → {rule}"));
            (Some(*c), Some(p), flag)
        }
    };

    Some(PobEstimate {
        estimate: med,
        low,
        high,
        safe_capacity,
        overcrowded,
        p_overcrowded: p_over,
        evidence,
        looks: looks.len() as u32,
    })
}

// ---------------------------------------------------------------------------
// Prior pmf

fn prior_log_pmf(model: &priors::ClassModel, n_max: usize) -> Vec<f64> {
    let mut out = vec![f64::NEG_INFINITY; n_max + 1];
    for comp in &model.components {
        if comp.weight <= 0.0 {
            continue;
        }
        let lw = comp.weight.ln();
        let lp = component_log_pmf(comp.shape, n_max);
        for (o, l) in out.iter_mut().zip(lp) {
            *o = log_add(*o, lw + l);
        }
    }
    out
}

/// Log pmf of one component on 0..=n_max, normalised over the grid.
fn component_log_pmf(shape: priors::Shape, n_max: usize) -> Vec<f64> {
    let raw: Vec<f64> = match shape {
        priors::Shape::Defensive => (0..=n_max).map(|n| -((n + 1) as f64).ln()).collect(),
        priors::Shape::LogNormal { median, sigma } => {
            let mu = median.max(1e-9).ln();
            let z = |x: f64| (x.ln() - mu) / sigma;
            (0..=n_max)
                .map(|n| {
                    let hi = z(n as f64 + 0.5);
                    if n == 0 {
                        ln_phi(hi)
                    } else {
                        ln_normal_interval(z(n as f64 - 0.5), hi)
                    }
                })
                .collect()
        }
    };
    let total = raw.iter().fold(f64::NEG_INFINITY, |a, &b| log_add(a, b));
    raw.into_iter().map(|l| l - total).collect()
}

/// Probability mass the log-normal components put above the grid.
fn prior_tail_beyond(model: &priors::ClassModel, n_max: usize) -> f64 {
    model
        .components
        .iter()
        .map(|c| match c.shape {
            priors::Shape::LogNormal { median, sigma } => {
                let z = ((n_max as f64 + 0.5).ln() - median.max(1e-9).ln()) / sigma;
                c.weight * ln_q(z).exp()
            }
            priors::Shape::Defensive => 0.0,
        })
        .sum()
}

// ---------------------------------------------------------------------------
// Likelihood

fn ln_factorials(n_max: usize) -> Vec<f64> {
    let mut v = Vec::with_capacity(n_max + 1);
    let mut acc = 0.0;
    v.push(0.0);
    for n in 1..=n_max {
        acc += (n as f64).ln();
        v.push(acc);
    }
    v
}

/// ln P(count = k | N = n) for n = 0..=n_max under BetaBin(n, a, b); −∞ for n < k.
fn beta_binomial_loglik(k: u32, a: f64, b: f64, n_max: usize, lgf: &[f64]) -> Vec<f64> {
    let k = k as usize;
    let ln_b_ab = ln_beta(a, b);
    let lg_ka = ln_gamma(k as f64 + a);
    (0..=n_max)
        .map(|n| {
            if n < k {
                return f64::NEG_INFINITY;
            }
            let ln_choose = lgf[n] - lgf[k] - lgf[n - k];
            let ln_b = lg_ka + ln_gamma((n - k) as f64 + b) - ln_gamma(n as f64 + a + b);
            ln_choose + ln_b - ln_b_ab
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Distribution helpers

fn normalise(logp: &[f64]) -> Vec<f64> {
    let m = logp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        // Cannot happen with the defensive prior component; fall back to flat.
        return vec![1.0 / logp.len() as f64; logp.len()];
    }
    let w: Vec<f64> = logp.iter().map(|l| (l - m).exp()).collect();
    let s: f64 = w.iter().sum();
    w.into_iter().map(|x| x / s).collect()
}

/// (5th percentile, median, 95th percentile): smallest n with CDF ≥ q.
fn quantiles(pmf: &[f64]) -> (u32, u32, u32) {
    let qs = [0.05, 0.5, 0.95];
    let mut out = [pmf.len() as u32 - 1; 3];
    let mut j = 0;
    let mut cdf = 0.0;
    for (n, p) in pmf.iter().enumerate() {
        cdf += p;
        while j < 3 && cdf >= qs[j] - 1e-12 {
            out[j] = n as u32;
            j += 1;
        }
        if j == 3 {
            break;
        }
    }
    (out[0], out[1], out[2])
}

fn log_add(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

/// ln(1 − e^x) for x ≤ 0.
fn ln_1m_exp(x: f64) -> f64 {
    if x > -std::f64::consts::LN_2 {
        (-x.exp_m1()).ln()
    } else {
        (-x.exp()).ln_1p()
    }
}

/// ln erfc(x) for x ≥ 0 (Numerical Recipes `erfcc`, fractional error < 1.2e-7 everywhere).
fn ln_erfc_pos(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.5 * x);
    let poly = -x * x - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    t.ln() + poly
}

/// ln Q(z) = ln P(Z > z), Z standard normal.
fn ln_q(z: f64) -> f64 {
    if z == f64::INFINITY {
        return f64::NEG_INFINITY;
    }
    if z >= 0.0 {
        ln_erfc_pos(z / std::f64::consts::SQRT_2) - std::f64::consts::LN_2
    } else {
        ln_1m_exp(ln_q(-z))
    }
}

/// ln Φ(z) = ln P(Z ≤ z).
fn ln_phi(z: f64) -> f64 {
    ln_q(-z)
}

/// ln P(a < Z ≤ b), a < b, accurate in both tails.
fn ln_normal_interval(a: f64, b: f64) -> f64 {
    if a >= 0.0 {
        let (qa, qb) = (ln_q(a), ln_q(b));
        qa + ln_1m_exp((qb - qa).min(0.0))
    } else if b <= 0.0 {
        let (pa, pb) = (ln_phi(a), ln_phi(b));
        pb + ln_1m_exp((pa - pb).min(0.0))
    } else {
        // 1 − Q(b) − Φ(a)
        (1.0 - ln_q(b).exp() - ln_phi(a).exp()).max(f64::MIN_POSITIVE).ln()
    }
}

/// ln Γ(x), Lanczos (g = 7, n = 9), reflection for x < 0.5.
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin().abs()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn prior_only_estimates_from_the_cache_are_the_computed_ones() {
        let cases = [
            (None, None),
            (Some(VesselClass::Unknown), None),
            (Some(VesselClass::RubberBoat), Some(10.0)),
            (Some(VesselClass::WoodenBoat), Some(18.5)),
            (Some(VesselClass::Merchant), None),
        ];
        for (class, length) in cases {
            let fresh = estimate_uncached(class, length, &[]);
            assert_eq!(estimate(class, length, &[]), fresh, "{class:?} {length:?} first");
            assert_eq!(estimate(class, length, &[]), fresh, "{class:?} {length:?} cached");
        }
        // Looks are never answered from the cache.
        let look = [CountLook { count: 70, confidence: 0.8 }];
        let with = estimate(Some(VesselClass::RubberBoat), Some(10.0), &look);
        assert_eq!(with, estimate_uncached(Some(VesselClass::RubberBoat), Some(10.0), &look));
        assert_ne!(with, estimate(Some(VesselClass::RubberBoat), Some(10.0), &[]));
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        for n in 1..30u32 {
            let f: f64 = (1..n).map(|k| (k as f64).ln()).sum();
            assert!((ln_gamma(n as f64) - f).abs() < 1e-9 * f.max(1.0), "n={n}");
        }
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
    }

    #[test]
    fn normal_tails() {
        assert!((ln_q(0.0).exp() - 0.5).abs() < 1e-7);
        assert!((ln_phi(1.644_853_6).exp() - 0.95).abs() < 1e-6);
        // Q(10) = 7.62e-24
        assert!((ln_q(10.0) - 7.619_853e-24_f64.ln()).abs() < 1e-5);
        let p = ln_normal_interval(-1.0, 1.0).exp();
        assert!((p - 0.682_689_49).abs() < 1e-6);
    }

    #[test]
    fn beta_binomial_sums_to_one() {
        let lgf = ln_factorials(200);
        let (a, b) = visibility_beta(0.4);
        let n = 150usize;
        let s: f64 = (0..=n as u32).map(|k| beta_binomial_loglik(k, a, b, 200, &lgf)[n].exp()).sum();
        assert!((s - 1.0).abs() < 1e-9, "sum {s}");
    }
}
