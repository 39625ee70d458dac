//! Associators: one scan's detections against candidate tracks (non-AIS
//! tracks and AIS vessels alike).
//!
//! [`Gnn`] is global nearest neighbour as in Stone Soup's
//! `GNNWith2DAssignment` over a `DistanceHypothesiser`: detections and
//! candidates connected by gates are split into independent clusters
//! (union-find), and each cluster is solved as a rectangular assignment with
//! the Hungarian algorithm. Every detection also has a private "no
//! association" column (a dummy), so leaving a detection unassigned is a
//! priced option rather than a fallback. [`GreedyNearest`] is the first-come
//! baseline, kept for comparison in tests.

/// A gated detection–candidate pair. `cost` = d² + ln|S| (a negative log
/// likelihood up to a constant, so wide gates pay for their vagueness).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub det: usize,
    pub cand: usize,
    pub cost: f64,
}

/// One scan's association problem.
#[derive(Debug, Clone, Default)]
pub struct Problem {
    pub n_det: usize,
    pub n_cand: usize,
    /// Only gated pairs; a pair without an edge cannot be assigned.
    pub edges: Vec<Edge>,
    /// Cost of leaving each detection unassigned.
    pub miss_cost: Vec<f64>,
}

/// Assigns each detection at most one candidate, each candidate at most one detection.
pub trait Associator: Send + Sync {
    /// Returns, per detection, the index of its candidate or `None`.
    fn solve(&self, p: &Problem) -> Vec<Option<usize>>;
}

/// Global nearest neighbour (clusters + Hungarian).
#[derive(Debug, Clone, Copy, Default)]
pub struct Gnn;

/// Per detection in input order, the cheapest still-free gated candidate.
#[derive(Debug, Clone, Copy, Default)]
pub struct GreedyNearest;

impl Associator for GreedyNearest {
    fn solve(&self, p: &Problem) -> Vec<Option<usize>> {
        let mut taken = vec![false; p.n_cand];
        let mut out = vec![None; p.n_det];
        let mut by_det: Vec<Vec<&Edge>> = vec![Vec::new(); p.n_det];
        for e in &p.edges {
            by_det[e.det].push(e);
        }
        for (d, es) in by_det.iter().enumerate() {
            let best = es
                .iter()
                .filter(|e| !taken[e.cand] && e.cost < p.miss_cost[d])
                .min_by(|a, b| a.cost.total_cmp(&b.cost).then(a.cand.cmp(&b.cand)));
            if let Some(e) = best {
                taken[e.cand] = true;
                out[d] = Some(e.cand);
            }
        }
        out
    }
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Integer costs for the Hungarian solver: milli-units, and a prohibitive
/// cost for pairs without an edge (a cluster never has so many rows that
/// sums of these overflow i64).
const SCALE: f64 = 1000.0;
const FORBID: i64 = 1_000_000_000_000;

impl Associator for Gnn {
    fn solve(&self, p: &Problem) -> Vec<Option<usize>> {
        let n = p.n_det + p.n_cand;
        let mut parent: Vec<usize> = (0..n).collect();
        for e in &p.edges {
            let (a, b) = (find(&mut parent, e.det), find(&mut parent, p.n_det + e.cand));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
        // Cluster members in index order (deterministic).
        let mut clusters: std::collections::BTreeMap<usize, (Vec<usize>, Vec<usize>)> = Default::default();
        for i in 0..n {
            let r = find(&mut parent, i);
            let c = clusters.entry(r).or_default();
            if i < p.n_det {
                c.0.push(i);
            } else {
                c.1.push(i - p.n_det);
            }
        }
        let mut by_det: Vec<Vec<&Edge>> = vec![Vec::new(); p.n_det];
        for e in &p.edges {
            by_det[e.det].push(e);
        }
        let mut out = vec![None; p.n_det];
        for (dets, cands) in clusters.values() {
            if dets.is_empty() || cands.is_empty() {
                continue;
            }
            if dets.len() == 1 {
                // One detection: its cheapest gated candidate, if cheaper than missing.
                let d = dets[0];
                let best = by_det[d].iter().min_by(|a, b| a.cost.total_cmp(&b.cost).then(a.cand.cmp(&b.cand)));
                if let Some(e) = best.filter(|e| e.cost < p.miss_cost[d]) {
                    out[d] = Some(e.cand);
                }
                continue;
            }
            // Rows: detections; columns: candidates, then one dummy per detection.
            let (r, c) = (dets.len(), cands.len() + dets.len());
            let col_of: std::collections::BTreeMap<usize, usize> =
                cands.iter().enumerate().map(|(j, &c)| (c, j)).collect();
            let mut m = pathfinding::matrix::Matrix::new(r, c, FORBID);
            for (i, &d) in dets.iter().enumerate() {
                for e in &by_det[d] {
                    m[(i, col_of[&e.cand])] = (e.cost * SCALE).round() as i64;
                }
                m[(i, cands.len() + i)] = (p.miss_cost[d] * SCALE).round() as i64;
            }
            let (_total, assign) = pathfinding::kuhn_munkres::kuhn_munkres_min(&m);
            for (i, &j) in assign.iter().enumerate() {
                if j < cands.len() && m[(i, j)] < FORBID {
                    out[dets[i]] = Some(cands[j]);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gnn_beats_greedy_on_the_classic_trap() {
        // Detection 0 is slightly closer to candidate 0, but detection 1 can only
        // go to candidate 0: greedy strands detection 1, GNN assigns both.
        let p = Problem {
            n_det: 2,
            n_cand: 2,
            edges: vec![
                Edge { det: 0, cand: 0, cost: 1.0 },
                Edge { det: 0, cand: 1, cost: 2.0 },
                Edge { det: 1, cand: 0, cost: 1.5 },
            ],
            miss_cost: vec![10.0, 10.0],
        };
        assert_eq!(Gnn.solve(&p), vec![Some(1), Some(0)]);
        assert_eq!(GreedyNearest.solve(&p), vec![Some(0), None]);
    }
}
