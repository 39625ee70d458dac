//! Priors on persons on board by vessel class and length, and safe capacity.
//!
//! Every number here is either fitted to a public figure cited next to it or
//! marked **own assumption**. The figures are anecdotal (press releases, NGO
//! logs, shipwreck reports): nobody publishes a measured table of loads by
//! length, so the priors are deliberately wide and the fusion step lets counts
//! override them.
//!
//! # Functional form
//! A boat's deck area grows roughly with the square of its length (beam is a
//! roughly fixed fraction of length within a class), so migrant loads are
//! modelled as `N ≈ k · L²` with a log-normal spread on `k`. Crew-only loads
//! (fishing, leisure, merchant) grow much more slowly and are modelled as a
//! log-normal around a length-dependent crew size.
//!
//! # Sources (retrieved from stored public copies, 2026-11)
//! Rubber boats (Central Mediterranean, Libya; English Channel):
//! * Frontex news release 2015-02-11, "Frontex Executive Director Saddened by
//!   Tragic Deaths of Migrants off Libyan Coast" (frontex.europa.eu): "12-metre
//!   rubber dinghies with more than a hundred people crammed aboard"; a rubber
//!   boat with 106 people rescued.
//! * IOM Missing Migrants Project, missingmigrants.iom.int/node/5115 (2015-09-06):
//!   rubber dinghies "used to carry up to 100/110 people – are now filled with
//!   130, sometimes 140".
//! * Frontex Risk Analysis for 2017 (F. Leggeri, quoted by Euronews 2017-02-15)
//!   and Leggeri to the European Parliament 2017-07-12 (EUobserver,
//!   euobserver.com/migration/138505): ~100 per boat in 2015, ~160–170 per
//!   dinghy in 2016–17.
//! * SOS Méditerranée (sosmediterranee.org/first-approach-first-assessment):
//!   "on this type of rubber boat, we often see up to a hundred people".
//! * UK Home Office small-boat data (gov.uk "Migrants detected crossing the
//!   English Channel in small boats"), PA analysis in The Guardian, Aug 2023:
//!   average ~53 per boat (boats assumed 8–10 m: **own assumption**).
//!
//! Fit: `k ≈ 0.9 /m²` (10 m → 90, 11 m → 109, 12 m → 130, 9 m → 73), log-sd 0.45
//! so that 90 % of the prior spans ×0.48…×2.1 of the median (10 m: ~43–190),
//! covering both the ~50 Channel loads and the 160–170 Frontex averages.
//!
//! Wooden (and iron) boats:
//! * Lampedusa shipwreck 2013-10-03: ~20 m (66 ft) fishing boat, 450–500+ on
//!   board (AP/Reuters via Irish Times and Atlanta Black Star 2013-10-04;
//!   Watch The Med report 31 gives ~15 m, >500).
//! * 2015-04-18/19 shipwreck off Libya: ~20 m fishing boat, ~700–800 on board
//!   (UNHCR spokeswoman C. Sami, press reports).
//! * Pylos 2023-06-14: fishing vessel "Adriana", ~30 m, ~750 on board (RSA
//!   Aegean, rsaegean.org/en/pylos-timeline-archive; length per Kathimerini /
//!   g2media.it).
//! * Sfax (Tunisia) iron boats ~7 m with 33–45 people (agrigentonotizie.it
//!   2022-10; The Nation / AFP 2023-08-10: "about 7m … 45 people"; BBC via
//!   one-news-central 2023-04: 37 and 39 on iron-sheet boats).
//!
//! Fit: `k ≈ 1.1 /m²` (7 m → 54, 15 m → 248, 20 m → 440, 30 m → 990), log-sd 0.55.
//!
//! Sailing / motor yachts used by smugglers (Turkey → Calabria/Sicily route):
//! * AP via Euronews 2021-11-22 and italynews.online: "up to a hundred people
//!   per boat stowed away below deck"; LA Times 2017-10-31 (Col. A. Maggiore):
//!   "30 people packed in"; Europol via EUobserver (euobserver.com/migration/139449):
//!   160+ trips logged. The share of such yachts among all non-AIS yachts and
//!   `k ≈ 0.3 /m²` (12 m → 43, 15 m → 68) are **own assumptions**.
//!
//! Crew sizes of fishing boats, yachts and merchant ships are **own
//! assumptions** (no public table found within the search budget).
//!
//! Safe capacity:
//! * US Coast Guard rule of thumb for monohulls < 20 ft without a capacity
//!   plate (33 CFR Part 183; stated e.g. in the boat-ed.com study guide
//!   "Calculating Your Boat's Capacity" and legalclarity.org "U.S. Coast Guard
//!   Boat Capacity Formula and Plate Rules"): persons = L(ft) × B(ft) / 15,
//!   i.e. one person per 15 ft² = 1.39 m² of L×B, calm weather.
//! * Rubber dinghies: Salvatore Vella, chief prosecutor of Agrigento, in The
//!   Guardian ("'Good anti-sinking capacity, lifejacket optional': journey of a
//!   'refugee boat'"): "Most of the dinghies, about 11 metres long, are designed
//!   to carry safely a maximum of 15 people."
//! * ISO 14946:2021 (small craft maximum load; 75 kg per person, persons limited
//!   to assigned seats/occupancy area) and ISO 6185 (inflatable boats < 8 m)
//!   define how builders rate capacity; their tables are not public, so they are
//!   not applied numerically here.

use lookout_core::VesselClass;

/// Weight of the "anything, 0..=N_MAX" component in every prior: P(n) ∝ 1/(n+1).
/// It keeps every N possible so that counts can override a wrong class label,
/// and gives an empty (abandoned) boat some prior mass. **Own assumption.**
pub(super) const DEFENSIVE_WEIGHT: f64 = 0.01;

pub(super) const RUBBER_K: f64 = 0.9;
pub(super) const RUBBER_SIGMA: f64 = 0.45;
pub(super) const WOODEN_K: f64 = 1.1;
pub(super) const WOODEN_SIGMA: f64 = 0.55;
pub(super) const YACHT_MIGRANT_K: f64 = 0.3;

pub(super) const SRC_RUBBER: &str = "Frontex 2015-02-11 release (12 m dinghies, >100 aboard); IOM Missing Migrants \
     Project node/5115 (100-110, now 130-140 per dinghy); Frontex Risk Analysis 2017 / Leggeri to EP \
     2017-07-12 (~100 per boat in 2015, 160-170 in 2016-17); UK Home Office Channel data via PA 2023 (~53 per boat)";
pub(super) const SRC_WOODEN: &str =
    "Lampedusa 2013-10-03 (~20 m, 450-500+); off Libya 2015-04-18 (~20 m, 700-800, UNHCR); \
     Pylos 2023-06-14 'Adriana' (~30 m, ~750, RSA Aegean); Sfax iron boats (~7 m, 33-45, AFP 2023-08-10)";
pub(super) const SRC_YACHT: &str = "crew size: own assumption; smuggling yachts on the Turkey-Calabria route carry 30 to \
     ~100 below deck (AP via Euronews 2021-11-22, LA Times 2017-10-31, Europol via EUobserver): share and k are own assumptions";
pub(super) const SRC_FISHING: &str =
    "crew size: own assumption; 9 % share of fishing boats loaded like migrant wooden boats \
     (the 2013 Lampedusa, 2015 and Pylos 2023 boats were fishing boats) is an own assumption";
pub(super) const SRC_MERCHANT: &str = "merchant crew ~8-30 scaling with length: own assumption";
pub(super) const SRC_UNKNOWN: &str = "25 % migrant-loaded (k = 0.9/m^2, rubber-like, widened) vs 74 % crew-only: own \
     assumption for a non-AIS contact of unknown type";

/// One mixture component of a prior.
#[derive(Debug, Clone, Copy)]
pub(super) enum Shape {
    /// Discretised log-normal: ln N ~ Normal(ln median, sigma²).
    LogNormal { median: f64, sigma: f64 },
    /// P(n) ∝ 1/(n+1) over the whole grid.
    Defensive,
}

#[derive(Debug, Clone)]
pub(super) struct Component {
    pub weight: f64,
    pub shape: Shape,
}

/// Class model: the mixture, plus how the length was used and where it came from.
#[derive(Debug, Clone)]
pub(super) struct ClassModel {
    pub components: Vec<Component>,
    pub length_m: f64,
    pub length_assumed: bool,
    pub length_note: Option<String>,
    pub formula: String,
    pub source: &'static str,
}

/// (typical length when unknown, log-sd of that length, plausible min, plausible max)
fn length_table(class: VesselClass) -> (f64, f64, f64, f64) {
    match class {
        VesselClass::RubberBoat => (10.0, 0.15, 4.0, 16.0),
        VesselClass::WoodenBoat => (15.0, 0.30, 4.0, 40.0),
        VesselClass::Fishing => (12.0, 0.40, 3.0, 120.0),
        VesselClass::Sailing => (12.0, 0.30, 3.0, 80.0),
        VesselClass::MotorYacht => (12.0, 0.35, 3.0, 100.0),
        VesselClass::Merchant => (100.0, 0.60, 10.0, 450.0),
        VesselClass::Unknown => (10.0, 0.35, 2.0, 60.0),
    }
}

/// Length actually used: the reported one clamped to a plausible range for the
/// class, or the class's typical length when absent/invalid. Returns
/// (length, assumed, log-sd of the length, note).
pub(super) fn resolve_length(class: VesselClass, length_m: Option<f64>) -> (f64, bool, f64, Option<String>) {
    let (typ, sd, lo, hi) = length_table(class);
    match length_m {
        Some(l) if l.is_finite() && l > 0.0 => {
            if l < lo || l > hi {
                let c = l.clamp(lo, hi);
                (
                    c,
                    false,
                    0.0,
                    Some(format!("reported length {l:.1} m outside {lo}-{hi} m for {class:?}; clamped to {c:.1} m")),
                )
            } else {
                (l, false, 0.0, None)
            }
        }
        Some(l) => (typ, true, sd, Some(format!("reported length {l} m is invalid; typical {typ} m assumed"))),
        None => {
            (typ, true, sd, Some(format!("length unknown; typical {typ} m assumed (log-sd {sd}) and prior widened")))
        }
    }
}

fn clamp(x: f64, lo: f64, hi: f64) -> f64 {
    x.clamp(lo, hi)
}

/// Migrant-load component N ≈ k L²: an uncertain length adds 2·σ_L to the log-sd.
fn load(weight: f64, k: f64, sigma: f64, l: f64, sd_l: f64) -> Component {
    let sigma = (sigma * sigma + 4.0 * sd_l * sd_l).sqrt();
    Component { weight, shape: Shape::LogNormal { median: k * l * l, sigma } }
}

/// Crew-only component: median = clamp(c·L, lo, hi), an uncertain length adds σ_L.
#[allow(clippy::too_many_arguments)]
fn crew(weight: f64, per_m: f64, lo: f64, hi: f64, sigma: f64, l: f64, sd_l: f64) -> Component {
    let sigma = (sigma * sigma + sd_l * sd_l).sqrt();
    Component { weight, shape: Shape::LogNormal { median: clamp(per_m * l, lo, hi), sigma } }
}

pub(super) fn class_model(class: VesselClass, length_m: Option<f64>) -> ClassModel {
    let (l, assumed, sd, note) = resolve_length(class, length_m);
    let main = 1.0 - DEFENSIVE_WEIGHT;
    let (mut components, formula, source) = match class {
        VesselClass::RubberBoat => (
            vec![load(main, RUBBER_K, RUBBER_SIGMA, l, sd)],
            format!("N ~ LogNormal(median {RUBBER_K}·L², log-sd {RUBBER_SIGMA})"),
            SRC_RUBBER,
        ),
        VesselClass::WoodenBoat => (
            vec![load(main, WOODEN_K, WOODEN_SIGMA, l, sd)],
            format!("N ~ LogNormal(median {WOODEN_K}·L², log-sd {WOODEN_SIGMA})"),
            SRC_WOODEN,
        ),
        VesselClass::Fishing => (
            vec![crew(0.90, 0.35, 2.0, 40.0, 0.5, l, sd), load(main - 0.90, WOODEN_K, WOODEN_SIGMA, l, sd)],
            "90 % crew LogNormal(median clamp(0.35·L, 2, 40), 0.5) + 9 % migrant load LogNormal(1.1·L², 0.55)"
                .to_string(),
            SRC_FISHING,
        ),
        VesselClass::Sailing | VesselClass::MotorYacht => {
            let hi = if class == VesselClass::Sailing { 15.0 } else { 20.0 };
            (
                vec![
                    crew(0.94, 0.3, 2.0, hi, 0.5, l, sd),
                    load(main - 0.94, YACHT_MIGRANT_K, 0.6, l, sd),
                ],
                format!("94 % crew LogNormal(median clamp(0.3·L, 2, {hi}), 0.5) + 5 % smuggling load LogNormal(0.3·L², 0.6)"),
                SRC_YACHT,
            )
        }
        VesselClass::Merchant => (
            vec![crew(main, 0.2, 8.0, 30.0, 0.4, l, sd)],
            "N ~ LogNormal(median clamp(0.2·L, 8, 30), 0.4)".to_string(),
            SRC_MERCHANT,
        ),
        VesselClass::Unknown => (
            vec![load(0.25, RUBBER_K, 0.6, l, sd), crew(main - 0.25, 0.35, 2.0, 40.0, 0.6, l, sd)],
            "25 % migrant load LogNormal(0.9·L², 0.6) + 74 % crew LogNormal(clamp(0.35·L, 2, 40), 0.6)".to_string(),
            SRC_UNKNOWN,
        ),
    };
    components.push(Component { weight: DEFENSIVE_WEIGHT, shape: Shape::Defensive });
    ClassModel { components, length_m: l, length_assumed: assumed, length_note: note, formula, source }
}

/// 15 ft² per person (USCG) in m²: 15 × 0.3048² = 1.3935 m².
const M2_PER_PERSON: f64 = 15.0 * 0.3048 * 0.3048;

/// Conservative nominal length used for safe capacity when the length is unknown:
/// a short boat of the class, so that capacity is low and overcrowding is
/// flagged rather than missed. **Own assumption.**
fn nominal_capacity_length(class: VesselClass) -> f64 {
    match class {
        VesselClass::Unknown => 6.0,
        _ => 8.0,
    }
}

/// Safe capacity formula, and the length it was evaluated at. None for merchant
/// ships (capacity depends on certificates and lifeboats, not on length).
pub(super) fn capacity(class: VesselClass, length_m: Option<f64>) -> Option<(u32, f64, bool, String)> {
    if class == VesselClass::Merchant {
        return None;
    }
    let (lo, hi) = {
        let (_, _, lo, hi) = length_table(class);
        (lo, hi)
    };
    let (l, assumed) = match length_m {
        Some(l) if l.is_finite() && l > 0.0 => (l.clamp(lo, hi), false),
        _ => (nominal_capacity_length(class), true),
    };
    let (persons, how) = match class {
        // Rubber: Vella/Guardian: an 11 m dinghy is designed for 15; scaled with
        // deck area (∝ L²). Also used for Unknown: the most conservative rule.
        VesselClass::RubberBoat | VesselClass::Unknown => (
            15.0 * (l / 11.0).powi(2),
            "15·(L/11 m)²: 11 m migrant dinghies are designed for 15 (S. Vella, Agrigento prosecutor, The Guardian); \
             scaled with deck area"
                .to_string(),
        ),
        // Monohulls: USCG L×B/15 ft² with class-typical beam B = L/r. r is an own
        // assumption; the USCG rule is for boats < 20 ft, so beyond 6 m this is an
        // extrapolation (calm-weather, not open-sea, capacity).
        _ => {
            let r = match class {
                VesselClass::WoodenBoat | VesselClass::Fishing => 3.5,
                _ => 3.3,
            };
            (
                l * (l / r) / M2_PER_PERSON,
                format!(
                    "USCG rule of thumb L×B/15 ft² (33 CFR 183, boats < 20 ft; extrapolated) with beam B = L/{r} (own assumption)"
                ),
            )
        }
    };
    Some(((persons.floor() as u32).max(1), l, assumed, how))
}
