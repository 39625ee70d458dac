//! Persons-on-board estimator: priors, fusion, calibration (coverage) and overcrowding.

use lookout_core::VesselClass;
use lookout_track::pob::{estimate, prior, safe_capacity, visibility_beta, CountLook, N_MAX};

fn look(count: u32, confidence: f64) -> CountLook {
    CountLook { count, confidence }
}

fn width(e: &lookout_track::pob::PobEstimate) -> u32 {
    e.high - e.low
}

// ---------------------------------------------------------------------------
// Priors

#[test]
fn rubber_boat_prior_covers_published_loads() {
    let p = prior(VesselClass::RubberBoat, Some(10.0));
    // Published loads of 10-12 m dinghies: ~100-150 (IOM, Frontex); 70 at the low end.
    assert!(p.low <= 70 && p.high >= 150, "10 m rubber prior 90% {}-{}", p.low, p.high);
    assert!((70..=130).contains(&p.median), "median {}", p.median);
    assert!(!p.length_assumed && p.length_m == 10.0);
    assert!(p.source.contains("Frontex") && p.source.contains("IOM"), "{}", p.source);
    let s: f64 = p.pmf.iter().sum();
    assert!((s - 1.0).abs() < 1e-9 && p.pmf.len() == N_MAX as usize + 1);

    let e = estimate(Some(VesselClass::RubberBoat), Some(10.0), &[]).unwrap();
    assert!((70..=130).contains(&e.estimate), "prior-only estimate {}", e.estimate);
    assert!(e.low <= 70 && e.high >= 150);
    assert!(e.evidence.iter().any(|l| l.contains("prior only")), "{:?}", e.evidence);
}

#[test]
fn wooden_boat_prior_is_larger_and_grows_with_length() {
    let r = prior(VesselClass::RubberBoat, Some(10.0));
    let w = prior(VesselClass::WoodenBoat, Some(20.0));
    assert!(w.median > r.median, "wooden 20 m {} vs rubber 10 m {}", w.median, r.median);
    // Lampedusa 2013 (~20 m, ~500) and April 2015 (~20 m, ~700-800) inside the interval.
    assert!(w.low <= 450 && w.high >= 800, "wooden 20 m 90% {}-{}", w.low, w.high);
    let w7 = prior(VesselClass::WoodenBoat, Some(7.0));
    // Sfax iron boats ~7 m with 33-45.
    assert!(w7.low <= 33 && w7.high >= 45 && w7.median < w.median, "7 m {}-{}", w7.low, w7.high);
}

#[test]
fn leisure_and_crew_priors_are_small() {
    for class in [VesselClass::Sailing, VesselClass::MotorYacht] {
        let p = prior(class, Some(12.0));
        assert!(p.median <= 6, "{class:?} median {}", p.median);
        assert!(p.low >= 1, "{class:?} low {}", p.low);
    }
    let f = prior(VesselClass::Fishing, Some(12.0));
    assert!(f.median <= 8, "fishing median {}", f.median);
}

#[test]
fn unknown_length_widens_the_prior() {
    let known = prior(VesselClass::RubberBoat, Some(10.0));
    let unknown = prior(VesselClass::RubberBoat, None);
    assert!(unknown.length_assumed);
    assert!(unknown.high - unknown.low > known.high - known.low);
    // invalid length treated as unknown, absurd length clamped
    assert!(prior(VesselClass::RubberBoat, Some(f64::NAN)).length_assumed);
    assert_eq!(prior(VesselClass::RubberBoat, Some(80.0)).length_m, 16.0);
}

// ---------------------------------------------------------------------------
// Fusion

/// Before issue 13 a count at 0.95 gave 80–92 (width ≤ 12): the stated confidence was
/// taken at its word. A confidence can be overstated (the drone under-counted by
/// 8–30 % on every look), so the interval still starts at the count and the estimate stays
/// near it, but the upper end now allows for people the counter did not see (measured: 85, 80–125).
#[test]
fn high_confidence_count_gives_an_interval_from_the_count_up() {
    let e = estimate(Some(VesselClass::RubberBoat), Some(10.0), &[look(80, 0.95)]).unwrap();
    assert!((80..=90).contains(&e.estimate), "estimate {}", e.estimate);
    assert!(e.low >= 80 && e.low <= 82, "low {}", e.low);
    assert!((100..=140).contains(&e.high), "high {}", e.high);
    assert!(width(&e) <= 60, "width {}", width(&e));
    assert!(e.evidence.iter().any(|l| l.starts_with("look 1: counted 80")), "{:?}", e.evidence);
}

/// Confidence 1.0 is still a claim: the interval starts exactly at the count (was 80–88;
/// measured now 80–123, the top allowing for an overstated confidence).
#[test]
fn exact_count_interval_contains_the_count() {
    let e = estimate(Some(VesselClass::RubberBoat), Some(10.0), &[look(80, 1.0)]).unwrap();
    assert!(e.low == 80 && e.high <= 130, "{}-{}", e.low, e.high);
}

#[test]
fn low_confidence_count_is_a_lower_bound_and_widens() {
    let hi = estimate(Some(VesselClass::RubberBoat), Some(10.0), &[look(80, 0.95)]).unwrap();
    let lo = estimate(Some(VesselClass::RubberBoat), Some(10.0), &[look(40, 0.2)]).unwrap();
    assert!(lo.estimate > 40, "estimate {}", lo.estimate);
    assert!(lo.low >= 40);
    // Was > 3×: the high-confidence interval is no longer taken at its word (45 wide now,
    // the low-confidence one 80), so the ratio is smaller; it is still clearly wider.
    assert!(2 * width(&lo) > 3 * width(&hi), "low-conf width {} vs high-conf {}", width(&lo), width(&hi));
    // Without a class, the same low-confidence count still pulls above the count.
    let u = estimate(None, None, &[look(40, 0.2)]).unwrap();
    assert!(u.estimate > 40 && u.low >= 40, "{} {}", u.estimate, u.low);
    assert!(u.evidence.iter().any(|l| l.contains("class not reported")));
}

/// Was "three looks tighten the interval": under independent looks, three looks at about
/// 155 narrowed it. Looks of one boat share its detection ratio (the same people stay
/// hidden), so repeated looks now raise the lower bound (the largest count) but do not
/// narrow the interval (measured: one look 161–345, three 169–353).
#[test]
fn three_looks_raise_the_lower_bound_but_do_not_shrink_the_interval() {
    let one = estimate(Some(VesselClass::WoodenBoat), Some(18.0), &[look(150, 0.5)]).unwrap();
    let three =
        estimate(Some(VesselClass::WoodenBoat), Some(18.0), &[look(150, 0.5), look(160, 0.5), look(155, 0.5)]).unwrap();
    assert!(width(&three) <= width(&one) + 10, "three {} vs one {}", width(&three), width(&one));
    assert!(width(&three) * 10 >= width(&one) * 8, "three {} vs one {}", width(&three), width(&one));
    assert!(three.low >= 160);
    assert!(three.evidence.iter().any(|l| l.contains("sharing one unknown detection ratio")), "{:?}", three.evidence);
    assert!(three.evidence.iter().any(|l| l.starts_with("detection ratio ρ") && l.contains("posterior ρ")));
}

/// Issue 13: five looks at about 80 gave a ±3 % interval. However many looks agree on 80,
/// how many stay hidden is no better known: the interval stays about as wide as one look's
/// (measured at confidence 0.8: one look 81–131, five 83–131, 256 looks 84–132).
#[test]
fn repeated_looks_do_not_shrink_the_interval_below_the_detection_ratio() {
    let r = Some(VesselClass::RubberBoat);
    let one = estimate(r, Some(10.0), &[look(80, 0.8)]).unwrap();
    let five =
        estimate(r, Some(10.0), &[look(78, 0.8), look(80, 0.8), look(82, 0.8), look(79, 0.8), look(81, 0.8)]).unwrap();
    let many: Vec<_> = (0..256).map(|i| look(76 + (i % 9), 0.8)).collect();
    let many = estimate(r, Some(10.0), &many).unwrap();
    for (name, e) in [("five", &five), ("256", &many)] {
        assert!(e.low >= 82 && e.high >= 120, "{name}: {}-{}", e.low, e.high);
        assert!(width(e) * 10 >= width(&one) * 8, "{name}: width {} vs one look {}", width(e), width(&one));
    }
    // 256 looks are summarised in the evidence, not listed one by one.
    assert!(many.evidence.iter().filter(|l| l.starts_with("look ") && l.contains("counted")).count() == 8);
    assert!(many.evidence.iter().any(|l| l.starts_with("looks 5-252: 248 more")), "{:?}", many.evidence);
}

#[test]
fn a_count_never_lowers_the_estimate_below_the_count() {
    let classes = [
        Some(VesselClass::RubberBoat),
        Some(VesselClass::WoodenBoat),
        Some(VesselClass::Fishing),
        Some(VesselClass::Sailing),
        Some(VesselClass::MotorYacht),
        Some(VesselClass::Merchant),
        Some(VesselClass::Unknown),
        None,
    ];
    for class in classes {
        for count in [0, 1, 3, 12, 45, 120, 600, 1900] {
            for conf in [0.0, 0.3, 0.7, 1.0] {
                let e = estimate(class, Some(12.0), &[look(count, conf)]).unwrap();
                assert!(
                    e.low >= count && e.estimate >= count && e.high >= e.estimate,
                    "{class:?} count {count} conf {conf}: {}-{}-{}",
                    e.low,
                    e.estimate,
                    e.high
                );
            }
        }
    }
}

#[test]
fn counts_override_a_wrong_class_and_extend_the_grid() {
    // "Sailing" prior is tiny, but 70 people were counted with confidence.
    let e = estimate(Some(VesselClass::Sailing), Some(14.0), &[look(70, 0.9)]).unwrap();
    assert!((70..=85).contains(&e.estimate), "{}", e.estimate);
    assert!(e.overcrowded);
    // A count beyond N_MAX still gives an estimate at or above it.
    let big = estimate(Some(VesselClass::WoodenBoat), Some(30.0), &[look(N_MAX + 500, 0.3)]).unwrap();
    assert!(big.low >= N_MAX + 500 && big.high > big.low);
}

#[test]
fn bad_confidence_is_handled() {
    let e = estimate(Some(VesselClass::RubberBoat), Some(10.0), &[look(50, f64::NAN)]).unwrap();
    assert!(e.low >= 50);
    assert!(e.evidence.iter().any(|l| l.contains("NaN")));
    assert_eq!(visibility_beta(7.0), visibility_beta(1.0));
    let dup = estimate(Some(VesselClass::RubberBoat), Some(10.0), &[look(50, 0.5), look(50, 0.5)]).unwrap();
    assert!(dup.evidence.iter().any(|l| l.contains("de-duplicate")));
}

#[test]
fn merchant_without_looks_has_nothing_to_go_on() {
    assert!(estimate(Some(VesselClass::Merchant), Some(180.0), &[]).is_none());
    let m = estimate(Some(VesselClass::Merchant), Some(180.0), &[look(22, 0.8)]).unwrap();
    assert!(m.safe_capacity.is_none() && !m.overcrowded && m.p_overcrowded.is_none());
    // Every other non-AIS contact gets at least a prior-only estimate.
    for class in [None, Some(VesselClass::Unknown), Some(VesselClass::Fishing), Some(VesselClass::Sailing)] {
        assert!(estimate(class, None, &[]).is_some(), "{class:?}");
    }
}

// ---------------------------------------------------------------------------
// Capacity and overcrowding

#[test]
fn safe_capacity_values() {
    // Vella/Guardian: an 11 m dinghy is designed for 15.
    assert_eq!(safe_capacity(VesselClass::RubberBoat, Some(11.0)), Some(15));
    assert_eq!(safe_capacity(VesselClass::RubberBoat, Some(9.0)), Some(10));
    // USCG: 18 ft × 6 ft / 15 = 7 persons; 18 ft = 5.486 m, B = L/3.3 ≈ 5.5 ft → 6.
    let c = safe_capacity(VesselClass::MotorYacht, Some(5.486)).unwrap();
    assert!((6..=7).contains(&c), "{c}");
    assert!(safe_capacity(VesselClass::Merchant, Some(200.0)).is_none());
    // Unknown length: conservative short nominal length.
    assert!(safe_capacity(VesselClass::RubberBoat, None).unwrap() <= 10);
    assert!(
        safe_capacity(VesselClass::WoodenBoat, Some(20.0)).unwrap()
            > safe_capacity(VesselClass::WoodenBoat, Some(10.0)).unwrap()
    );
}

#[test]
fn nine_metre_rubber_boat_with_sixty_is_overcrowded() {
    let e = estimate(Some(VesselClass::RubberBoat), Some(9.0), &[look(60, 0.9)]).unwrap();
    assert_eq!(e.safe_capacity, Some(10));
    assert!(e.overcrowded);
    assert!(e.p_overcrowded.unwrap() > 0.99);
    assert!(e.evidence.iter().any(|l| l.contains("OVERCROWDED")));
}

#[test]
fn twelve_metre_fishing_boat_with_six_is_not() {
    let e = estimate(Some(VesselClass::Fishing), Some(12.0), &[look(6, 0.9)]).unwrap();
    assert!(!e.overcrowded, "{:?}", e.evidence);
    assert!(e.p_overcrowded.unwrap() < 0.05);
    assert!((6..=8).contains(&e.estimate));
    // Low-confidence look of 6 on the same boat: still not overcrowded.
    let e = estimate(Some(VesselClass::Fishing), Some(12.0), &[look(6, 0.2)]).unwrap();
    assert!(!e.overcrowded, "{:?}", e.evidence);
}

#[test]
fn prior_only_flagging_is_limited_to_migrant_classes() {
    // A rubber boat with no count is overcrowded on the published loads alone.
    let r = estimate(Some(VesselClass::RubberBoat), None, &[]).unwrap();
    assert!(r.overcrowded && r.p_overcrowded.unwrap() > 0.9);
    // An unknown dark boat with no look is not flagged (would flood rescue), but has p.
    let u = estimate(None, Some(10.0), &[]).unwrap();
    assert!(!u.overcrowded && u.p_overcrowded.is_some());
    // One count above capacity flips it.
    let u = estimate(None, Some(10.0), &[look(25, 0.6)]).unwrap();
    assert!(u.overcrowded, "{:?}", u.evidence);
}

#[test]
fn low_confidence_count_just_under_capacity_leans_to_flagging() {
    // 9 m rubber boat (capacity 10), 9 people seen at low confidence: more are likely hidden.
    let e = estimate(Some(VesselClass::RubberBoat), Some(9.0), &[look(9, 0.2)]).unwrap();
    assert!(e.overcrowded, "{:?}", e.evidence);
}

// ---------------------------------------------------------------------------
// Calibration: simulate boats from the prior and looks from the observation model.

/// SplitMix64: small, seeded, std-only.
struct Rng(u64);
impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
    /// Marsaglia–Tsang, shape ≥ 1.
    fn gamma(&mut self, shape: f64) -> f64 {
        assert!(shape >= 1.0);
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.uniform();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }
    fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a);
        let y = self.gamma(b);
        x / (x + y)
    }
    fn binomial(&mut self, n: u32, p: f64) -> u32 {
        (0..n).filter(|_| self.uniform() < p).count() as u32
    }
    fn sample_pmf(&mut self, pmf: &[f64]) -> u32 {
        let u = self.uniform();
        let mut c = 0.0;
        for (n, p) in pmf.iter().enumerate() {
            c += p;
            if u <= c {
                return n as u32;
            }
        }
        (pmf.len() - 1) as u32
    }
}

/// How the simulated looks are made (issue 13: the intervals must hold under each).
#[derive(Debug, Clone, Copy, PartialEq)]
enum CountModel {
    /// (a) Each look sees each person with its own p ~ `visibility_beta(c)`, c ~ U(0, 1), independent
    /// across looks: the stated confidence is right and looks are independent given N.
    Calibrated,
    /// (b) One systematic under-count u ~ U(0.6, 0.95) per boat (the same people stay hidden),
    /// every look `Binomial(N, u)`; the stated confidence is U(0, 1), unrelated to u.
    SharedUndercount,
    /// (c) Confidence overstated: per boat a stated c ~ U(0, 1) (± 0.05 per look), the visibility it
    /// implies p_s ~ `visibility_beta(c)`, and a true visibility p = p_s·f, f ~ U(0.7, 0.92), shared
    /// by all looks: every look counts 8–30 % fewer than the confidence says (issue 13's drone).
    Overstated,
    /// (d) Confidence understated: as (c), but p = 1 − (1 − p_s)·g, g ~ U(0.3, 0.7): 30–70 % fewer
    /// people stay hidden than the confidence says.
    Understated,
}

struct Coverage {
    covered: usize,
    /// Misses with N above the interval (hidden people not allowed for) and below it.
    above: usize,
    below: usize,
    boats: usize,
    /// Mean over boats of (high − low) / max(N, 1).
    mean_rel_width: f64,
    detail: Vec<String>,
}

impl Coverage {
    fn rate(&self) -> f64 {
        self.covered as f64 / self.boats as f64
    }
}

/// Boats drawn from the class/length priors, looked at 1–6 times under `model`.
/// The settings are weighted to rubber and wooden boats with many aboard (the
/// rescue case, where the width matters), plus a crew boat and an unknown one.
fn simulate(seed: u64, boats: usize, model: CountModel) -> Coverage {
    let mut rng = Rng(seed);
    let settings: [(Option<VesselClass>, Option<f64>); 8] = [
        (Some(VesselClass::RubberBoat), Some(10.0)),
        (Some(VesselClass::RubberBoat), Some(12.0)),
        (Some(VesselClass::RubberBoat), None),
        (Some(VesselClass::WoodenBoat), Some(18.0)),
        (Some(VesselClass::WoodenBoat), Some(12.0)),
        (Some(VesselClass::WoodenBoat), None),
        (Some(VesselClass::Fishing), Some(12.0)),
        (None, Some(9.0)),
    ];
    let priors: Vec<_> = settings.iter().map(|(c, l)| prior(c.unwrap_or(VesselClass::Unknown), *l)).collect();
    let mut per = vec![(0usize, 0usize, 0.0f64); settings.len()];
    let (mut above, mut below) = (0, 0);
    for i in 0..boats {
        let s = i % settings.len();
        let (class, len) = settings[s];
        let truth = rng.sample_pmf(&priors[s].pmf);
        let n_looks = 1 + (rng.next_u64() % 6) as usize; // 1..=6 looks
        let looks: Vec<CountLook> = match model {
            CountModel::Calibrated => (0..n_looks)
                .map(|_| {
                    let confidence = rng.uniform();
                    let (a, b) = visibility_beta(confidence);
                    let p = rng.beta(a, b);
                    CountLook { count: rng.binomial(truth, p), confidence }
                })
                .collect(),
            CountModel::SharedUndercount => {
                let u = 0.6 + 0.35 * rng.uniform();
                (0..n_looks).map(|_| CountLook { count: rng.binomial(truth, u), confidence: rng.uniform() }).collect()
            }
            CountModel::Overstated | CountModel::Understated => {
                // The visibility the stated confidence implies for this boat, then misstated.
                let c = rng.uniform();
                let (a, b) = visibility_beta(c);
                let stated_p = rng.beta(a, b);
                let p = if model == CountModel::Overstated {
                    stated_p * (0.7 + 0.22 * rng.uniform())
                } else {
                    1.0 - (1.0 - stated_p) * (0.3 + 0.4 * rng.uniform())
                };
                (0..n_looks)
                    .map(|_| {
                        let confidence = (c + 0.1 * (rng.uniform() - 0.5)).clamp(0.0, 1.0);
                        CountLook { count: rng.binomial(truth, p), confidence }
                    })
                    .collect()
            }
        };
        let e = estimate(class, len, &looks).unwrap();
        let ok = e.low <= truth && truth <= e.high;
        above += (truth > e.high) as usize;
        below += (truth < e.low) as usize;
        per[s].0 += ok as usize;
        per[s].1 += 1;
        per[s].2 += f64::from(e.high - e.low) / f64::from(truth.max(1));
    }
    let covered = per.iter().map(|p| p.0).sum();
    let mean_rel_width = per.iter().map(|p| p.2).sum::<f64>() / boats as f64;
    let detail = settings
        .iter()
        .zip(&per)
        .map(|((c, l), (k, n, w))| format!("{c:?} {l:?}: {:.0}% w {:.2}", 100.0 * *k as f64 / *n as f64, w / *n as f64))
        .collect();
    Coverage { covered, above, below, boats, mean_rel_width, detail }
}

fn report(name: &str, c: &Coverage) {
    println!(
        "{name}: 90% interval covered N for {}/{} = {:.1}% (N above: {}, below: {}), mean relative width {:.2} ({})",
        c.covered,
        c.boats,
        100.0 * c.rate(),
        c.above,
        c.below,
        c.mean_rel_width,
        c.detail.join("; ")
    );
}

/// Boats per count-model test: 400 gives a binomial sd of 1.5 points at 90 %
/// coverage, enough to tell 0.90 from the ~0.95 the model aims at; each test
/// runs in well under 2 s in the debug profile.
const BOATS: usize = 400;

#[test]
fn coverage_independent_binomial_with_calibrated_confidence() {
    let c = simulate(0x5eed_1e55, BOATS, CountModel::Calibrated);
    report("(a) independent, calibrated", &c);
    assert!(c.rate() >= 0.90, "coverage {}", c.rate());
    assert!(c.mean_rel_width <= WIDTH_MAX, "mean relative width {}", c.mean_rel_width);
}

#[test]
fn coverage_boat_level_systematic_undercount() {
    let c = simulate(0x0b0a_7001, BOATS, CountModel::SharedUndercount);
    report("(b) shared under-count U(0.6, 0.95)", &c);
    assert!(c.rate() >= 0.90, "coverage {}", c.rate());
    assert!(c.mean_rel_width <= WIDTH_MAX, "mean relative width {}", c.mean_rel_width);
}

#[test]
fn coverage_overstated_confidence() {
    let c = simulate(0x0e5_7a7e, BOATS, CountModel::Overstated);
    report("(c) confidence overstated: p = stated p × U(0.7, 0.92)", &c);
    assert!(c.rate() >= 0.90, "coverage {}", c.rate());
    assert!(c.mean_rel_width <= WIDTH_MAX, "mean relative width {}", c.mean_rel_width);
}

#[test]
fn coverage_understated_confidence() {
    let c = simulate(0x0de5_7a7e, BOATS, CountModel::Understated);
    report("(d) confidence understated: hidden = stated hidden × U(0.3, 0.7)", &c);
    assert!(c.rate() >= 0.90, "coverage {}", c.rate());
    assert!(c.mean_rel_width <= WIDTH_MAX, "mean relative width {}", c.mean_rel_width);
}

/// Bound on the mean of (high − low) / N, so that no test passes by making the interval huge.
/// Measured (issue 13 model): (a) 0.79, (b) 0.84, (c) 0.76, (d) 0.94; the model before it had
/// 0.24–0.44 and covered N for 44–57 % of the boats under (b)–(d). For scale, the prior alone
/// for a 10 m rubber boat is 42–191, 1.7 times its median.
const WIDTH_MAX: f64 = 1.05;

/// Issue 18: an estimate says what it rests on, so a prior is never read as a count.
#[test]
fn an_estimate_says_whether_anyone_counted() {
    let prior_only = estimate(Some(VesselClass::RubberBoat), Some(10.0), &[]).unwrap();
    assert_eq!(prior_only.looks, 0);
    let counted = estimate(Some(VesselClass::RubberBoat), Some(10.0), &[look(70, 0.8), look(72, 0.7)]).unwrap();
    assert_eq!(counted.looks, 2);
}
