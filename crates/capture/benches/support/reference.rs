//! A straightforward floating-point implementation of the guidance checks, kept as the baseline
//! the integer implementation is measured against (benches) and checked against (tests): the
//! same definitions, written the obvious way (f32 luma per pixel, f64 sums, sorting for
//! percentiles, two-pass variance), without the fast path's fusions.

use idn_capture::{CheckKind, DocumentFormat, Frame, GuidanceThresholds, Hint, Verdict};

pub struct ReferenceReport {
    /// In `CheckKind::ALL` order.
    checks: Vec<(CheckKind, f64, Verdict)>,
}

impl ReferenceReport {
    pub fn get(&self, kind: CheckKind) -> (f64, Verdict) {
        let (_, value, verdict) = self.checks.iter().find(|c| c.0 == kind).unwrap();
        (*value, *verdict)
    }
}

pub fn assess(frame: &Frame, format: DocumentFormat, t: &GuidanceThresholds) -> ReferenceReport {
    let (fw, fh) = (frame.width() as usize, frame.height() as usize);
    let px = frame.pixels();
    let luma: Vec<f32> = px
        .chunks_exact(3)
        .map(|p| 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32)
        .collect();
    let (w, h) = (fw / 2, fh / 2);
    let mut half = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let at = |dx: usize, dy: usize| luma[(2 * y + dy) * fw + 2 * x + dx];
            half[y * w + x] = (at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1)) / 4.0;
        }
    }
    let threshold = otsu(&half);
    let card = find_card(&half, w, h, threshold);
    let framing = match &card {
        None => (0.0, Verdict::Fail(Hint::NoDocument)),
        Some(card) => {
            let aspect = card.aspect_ratio();
            let verdict = if card.touches_border {
                Verdict::Fail(Hint::OutOfFrame)
            } else if (aspect / format.aspect_ratio() as f64 - 1.0).abs() > t.aspect_tolerance as f64
                || !(0.9..=1.1).contains(&card.fill_ratio())
            {
                Verdict::Fail(Hint::WrongShape)
            } else if card.area() < t.min_card_area as f64 * (w * h) as f64 {
                Verdict::Fail(Hint::TooFar)
            } else {
                Verdict::Pass
            };
            (aspect, verdict)
        }
    };
    let (x0, y0, x1, y1) = match &card {
        Some(card) => card.inner_box(w, h),
        None => clamped_box(
            w as f64 * 0.25,
            h as f64 * 0.25,
            w as f64 * 0.75,
            h as f64 * 0.75,
            w,
            h,
        ),
    };
    let mut values = Vec::new();
    let mut laplacians = Vec::new();
    for y in y0..y1 {
        for x in x0..x1 {
            let v = half[y * w + x];
            values.push(v);
            laplacians.push(
                4.0 * v as f64
                    - half[y * w + x - 1] as f64
                    - half[y * w + x + 1] as f64
                    - half[(y - 1) * w + x] as f64
                    - half[(y + 1) * w + x] as f64,
            );
        }
    }
    let n = values.len().max(1) as f64;
    let mean = values.iter().map(|&v| v as f64).sum::<f64>() / n;
    let clipped = values.iter().filter(|&&v| v >= 249.5).count() as f64 / n;
    let mut sorted = values.clone();
    sorted.sort_by(f32::total_cmp);
    let pick = |p: f64| -> f64 {
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0 * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1].round() as f64
    };
    let (low, high) = (pick(2.0), pick(98.0));
    let contrast = if low + high > 0.0 {
        (high - low) / (high + low)
    } else {
        0.0
    };
    let lap_mean = laplacians.iter().sum::<f64>() / n;
    let sharpness = laplacians.iter().map(|l| (l - lap_mean).powi(2)).sum::<f64>() / n;
    let fail_if = |failed: bool, hint| {
        if failed {
            Verdict::Fail(hint)
        } else {
            Verdict::Pass
        }
    };
    let exposure = if mean < t.min_mean_luma as f64 {
        Verdict::Fail(Hint::TooDark)
    } else if mean > t.max_mean_luma as f64 || clipped > t.max_clipped as f64 {
        Verdict::Fail(Hint::TooBright)
    } else {
        Verdict::Pass
    };
    ReferenceReport {
        checks: vec![
            (CheckKind::Framing, framing.0, framing.1),
            (CheckKind::Exposure, mean, exposure),
            (
                CheckKind::Glare,
                clipped,
                fail_if(clipped > t.max_glare as f64, Hint::Glare),
            ),
            (
                CheckKind::Sharpness,
                sharpness,
                fail_if(sharpness < t.min_sharpness as f64, Hint::Blurry),
            ),
            (
                CheckKind::Contrast,
                contrast,
                fail_if(contrast < t.min_contrast as f64, Hint::LowContrast),
            ),
        ],
    }
}

fn otsu(samples: &[f32]) -> f32 {
    let mut histogram = [0f64; 256];
    for &v in samples {
        histogram[(v.round() as usize).min(255)] += 1.0;
    }
    let total: f64 = histogram.iter().sum();
    let mean_all: f64 = histogram
        .iter()
        .enumerate()
        .map(|(i, c)| i as f64 * c)
        .sum::<f64>()
        / total;
    let (mut w0, mut sum0, mut best, mut level) = (0.0, 0.0, 0.0, 0usize);
    for (i, &c) in histogram.iter().enumerate() {
        w0 += c / total;
        sum0 += i as f64 * c / total;
        let w1 = 1.0 - w0;
        if w0 <= 0.0 || w1 <= 1e-12 {
            continue;
        }
        let (m0, m1) = (sum0 / w0, (mean_all - sum0) / w1);
        let between = w0 * w1 * (m0 - m1).powi(2);
        if between > best {
            best = between;
            level = i;
        }
    }
    // Samples strictly above the split level are bright.
    level as f32 + 0.5
}

struct Card {
    corners: [(f64, f64); 4],
    span_area: f64,
    touches_border: bool,
}

impl Card {
    fn side(&self, a: usize, b: usize) -> f64 {
        let (p, q) = (self.corners[a], self.corners[b]);
        ((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2)).sqrt()
    }
    fn aspect_ratio(&self) -> f64 {
        let horizontal = (self.side(0, 1) + self.side(3, 2)) / 2.0;
        let vertical = (self.side(0, 3) + self.side(1, 2)) / 2.0;
        let (long, short) = (horizontal.max(vertical), horizontal.min(vertical));
        if short > 0.0 {
            long / short
        } else {
            0.0
        }
    }
    fn area(&self) -> f64 {
        let c = &self.corners;
        (0..4)
            .map(|i| c[i].0 * c[(i + 1) % 4].1 - c[(i + 1) % 4].0 * c[i].1)
            .sum::<f64>()
            .abs()
            / 2.0
    }
    fn fill_ratio(&self) -> f64 {
        self.span_area / self.area()
    }
    fn inner_box(&self, w: usize, h: usize) -> (usize, usize, usize, usize) {
        let [tl, tr, br, bl] = self.corners;
        let (left, right) = (tl.0.max(bl.0), tr.0.min(br.0));
        let (top, bottom) = (tl.1.max(tr.1), bl.1.min(br.1));
        let (mx, my) = ((right - left) * 0.06, (bottom - top) * 0.06);
        clamped_box(left + mx, top + my, right - mx, bottom - my, w, h)
    }
}

fn clamped_box(x0: f64, y0: f64, x1: f64, y1: f64, w: usize, h: usize) -> (usize, usize, usize, usize) {
    let clamp = |v: f64, max: usize| (v.max(1.0) as usize).min(max.saturating_sub(1));
    (
        clamp(x0.ceil(), w),
        clamp(y0.ceil(), h),
        clamp(x1.floor(), w),
        clamp(y1.floor(), h),
    )
}

fn find_card(half: &[f32], w: usize, h: usize, threshold: f32) -> Option<Card> {
    const RUN: usize = 4;
    let min_len = (w / 10).max(RUN);
    let mut spans = Vec::with_capacity(h);
    for y in 0..h {
        let row = &half[y * w..(y + 1) * w];
        let bright: Vec<bool> = row.iter().map(|&v| v >= threshold).collect();
        let start = (0..w.saturating_sub(RUN - 1)).find(|&x| bright[x..x + RUN].iter().all(|&b| b));
        let end = (0..w.saturating_sub(RUN - 1))
            .rev()
            .find(|&x| bright[x..x + RUN].iter().all(|&b| b))
            .map(|x| x + RUN - 1);
        spans.push(match (start, end) {
            (Some(s), Some(e)) if e + 1 - s >= min_len => Some((s, e)),
            _ => None,
        });
    }
    // Longest block of rows with spans, gaps of up to two rows bridged.
    let mut blocks: Vec<(usize, usize)> = Vec::new();
    let mut last_row: Option<usize> = None;
    for (y, span) in spans.iter().enumerate() {
        if span.is_none() {
            continue;
        }
        match (last_row, blocks.last_mut()) {
            (Some(prev), Some(block)) if y - prev <= 3 => block.1 = y,
            _ => blocks.push((y, y)),
        }
        last_row = Some(y);
    }
    let (top, bottom) = blocks
        .into_iter()
        .fold(None, |best: Option<(usize, usize)>, b| match best {
            Some(a) if a.1 - a.0 >= b.1 - b.0 => Some(a),
            _ => Some(b),
        })?;
    if bottom - top + 1 < h / 10 {
        return None;
    }
    // (left end, right end, row) of each row of the block.
    let rows: Vec<(f64, f64, f64)> = (top..=bottom)
        .filter_map(|y| spans[y].map(|(s, e)| (s as f64, e as f64, y as f64)))
        .collect();
    // The first row reaching the extreme of each diagonal direction.
    let mut corners = [(0.0, 0.0); 4];
    let mut extreme = [f64::MAX, f64::MIN, f64::MIN, f64::MIN];
    for &(s, e, y) in &rows {
        let candidates = [(s + y, (s, y)), (e - y, (e, y)), (e + y, (e, y)), (y - s, (s, y))];
        for (k, (score, point)) in candidates.into_iter().enumerate() {
            let better = if k == 0 {
                score < extreme[k]
            } else {
                score > extreme[k]
            };
            if better {
                extreme[k] = score;
                corners[k] = point;
            }
        }
    }
    let span_area = rows.iter().map(|r| r.1 - r.0 + 1.0).sum();
    let touches_border =
        top == 0 || bottom == h - 1 || rows.iter().any(|r| r.0 <= 1.0 || r.1 >= (w - 2) as f64);
    Some(Card {
        corners,
        span_area,
        touches_border,
    })
}
