//! AIS vessels on scripted tracks (timed waypoints, like [`super::dark::DarkBoat::scripted`])
//! whose transponder a scenario can switch off, make report someone else's identity
//! (spoofing / shared MMSI) or report positions offset from the truth (GPS jump).
//!
//! The transponder is the ordinary [`Transponder`] (ITU-R M.1371 report intervals from
//! the scripted speed, status and turn rate); its random streams are keyed
//! `EXTRA_KEY_BASE + index` so they never collide with a world vessel's.
//! A scripted vessel exists only inside its `present` window (before and after it
//! it is outside the simulated area: no truth, no radar, no AIS).

use super::ais_tx::{Transmission, Transponder};
use super::dark::{scripted_state, Waypoint};
use super::geography::{LatLon, Station};
use super::identity::Identity;
use super::world::{angle_diff, bearing_deg, destination, distance_m, nav, Vessel, VesselKind, KN_MS};

/// Stream key offset of scripted AIS vessels' transponders.
pub const EXTRA_KEY_BASE: usize = 1 << 30;

/// What the transponder does inside a [`TxWindow`].
#[derive(Debug, Clone, PartialEq)]
pub enum TxMode {
    /// Switched off: nothing transmitted.
    Off,
    /// Transmits this identity (MMSI, name, ...) instead of its own.
    Spoof(Identity),
    /// Reports positions `dist_m` away on `bearing_deg` from the truth.
    Offset { bearing_deg: f64, dist_m: f64 },
}

/// A transponder mode for `[from_ms, to_ms)`.
#[derive(Debug, Clone, PartialEq)]
pub struct TxWindow {
    pub from_ms: i64,
    pub to_ms: i64,
    pub mode: TxMode,
}

/// One scripted AIS vessel.
#[derive(Debug, Clone)]
pub struct ScriptedAis {
    /// Ground-truth id (its own MMSI as a string, like world vessels).
    pub truth_id: String,
    pub vessel: Vessel,
    pub waypoints: Vec<Waypoint>,
    /// Navigational status from each time on (sorted; the first also applies before).
    pub status: Vec<(i64, u8)>,
    pub tx_windows: Vec<TxWindow>,
    /// The vessel exists in `[present.0, present.1]`.
    pub present: (i64, i64),
    pub transponder: Transponder,
}

impl ScriptedAis {
    /// `index` keys the transponder's random streams; `stations` may hear it.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        seed: u64,
        index: usize,
        stations: &'static [Station],
        kind: VesselKind,
        identity: Identity,
        waypoints: Vec<Waypoint>,
        status: Vec<(i64, u8)>,
    ) -> ScriptedAis {
        assert!(!waypoints.is_empty());
        assert!(waypoints.windows(2).all(|w| w[0].t_ms <= w[1].t_ms), "waypoints out of time order");
        let present = (waypoints[0].t_ms, waypoints[waypoints.len() - 1].t_ms);
        let vessel = Vessel::scripted(kind, identity, 0.0);
        let transponder = Transponder::new(seed, EXTRA_KEY_BASE + index, &vessel, stations);
        let mut s = ScriptedAis {
            truth_id: vessel.identity.mmsi.to_string(),
            vessel,
            waypoints,
            status,
            tx_windows: Vec::new(),
            present,
            transponder,
        };
        s.set_time(present.0);
        s
    }

    /// True course over ground at `t_ms` (the previous course when stopped).
    fn course_at(&self, t_ms: i64) -> f64 {
        let (_, c, s) = scripted_state(&self.waypoints, t_ms);
        if s > 0.05 {
            return c;
        }
        // Stopped: the course of the last moving segment ending before t.
        let w = &self.waypoints;
        let end = w.partition_point(|p| p.t_ms < t_ms).min(w.len() - 1);
        for i in (1..=end).rev() {
            let (a, b) = (&w[i - 1], &w[i]);
            let secs = (b.t_ms - a.t_ms).max(1) as f64 / 1000.0;
            if distance_m(a.pos, b.pos) / secs / KN_MS > 0.05 {
                return bearing_deg(a.pos, b.pos);
            }
        }
        c
    }

    pub fn is_present(&self, t_ms: i64) -> bool {
        t_ms >= self.present.0 && t_ms <= self.present.1
    }

    /// Navigational status at `t_ms`.
    pub fn status_at(&self, t_ms: i64) -> u8 {
        let mut st = self.status.first().map(|s| s.1).unwrap_or(nav::UNDER_WAY_ENGINE);
        for &(from, s) in &self.status {
            if from <= t_ms {
                st = s;
            }
        }
        st
    }

    /// Sets the vessel's true state to the script at `t_ms`.
    pub fn set_time(&mut self, t_ms: i64) {
        let (pos, _, sog) = scripted_state(&self.waypoints, t_ms);
        let cog = self.course_at(t_ms);
        let before = self.course_at(t_ms - 10_000);
        let status = self.status_at(t_ms);
        let v = &mut self.vessel;
        v.pos = pos;
        v.sog_kn = sog;
        v.cog_deg = cog;
        v.heading_deg = cog;
        v.rot_deg_min = (angle_diff(before, cog) * 6.0).clamp(-720.0, 720.0);
        v.nav_status = status;
    }

    /// True position, course, speed at `t_ms`.
    pub fn state_at(&self, t_ms: i64) -> (LatLon, f64, f64) {
        let (pos, _, sog) = scripted_state(&self.waypoints, t_ms);
        (pos, self.course_at(t_ms), sog)
    }

    fn mode_at(&self, t_ms: i64) -> Option<&TxMode> {
        self.tx_windows.iter().find(|w| t_ms >= w.from_ms && t_ms < w.to_ms).map(|w| &w.mode)
    }

    /// True when the transponder is transmitting at `t_ms` (present and not off).
    pub fn transmitting(&self, t_ms: i64) -> bool {
        self.is_present(t_ms) && self.mode_at(t_ms) != Some(&TxMode::Off)
    }

    /// The vessel as its transponder describes it at `t_ms` (identity and position
    /// as transmitted), or None when silent.
    fn as_transmitted(&self, t_ms: i64) -> Option<Vessel> {
        if !self.is_present(t_ms) {
            return None;
        }
        match self.mode_at(t_ms) {
            Some(TxMode::Off) => None,
            Some(TxMode::Spoof(id)) => {
                let mut v = self.vessel.clone();
                v.identity = id.clone();
                Some(v)
            }
            Some(TxMode::Offset { bearing_deg, dist_m }) => {
                let mut v = self.vessel.clone();
                v.pos = destination(v.pos, *bearing_deg, *dist_m);
                Some(v)
            }
            None => Some(self.vessel.clone()),
        }
    }

    /// Position report at `t_ms` (None when silent) and the time of the next one.
    pub fn position_event(&mut self, t_ms: i64, loss: f64) -> (Option<Transmission>, i64) {
        self.set_time(t_ms);
        let tr = self.as_transmitted(t_ms).map(|v| self.transponder.position_report(&v, t_ms, t_ms, loss));
        let next = self.transponder.next_position_ms(&self.vessel, t_ms);
        (tr, next)
    }

    /// Static report (type 5, or 24 A/B) at `t_ms`, None when silent.
    pub fn static_event(&mut self, t_ms: i64, part_b: bool, loss: f64) -> Option<Transmission> {
        self.set_time(t_ms);
        self.as_transmitted(t_ms).map(|v| self.transponder.static_report(&v, part_b, loss))
    }
}
