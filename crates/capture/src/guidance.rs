//! Guidance while photographing a document: framing, exposure, glare, contrast and sharpness,
//! measured on every preview frame with integer arithmetic on a half-resolution luma image
//! (a 2×2 average, which also halves sensor noise), each with a French hint when it fails.
//!
//! What each check measures, and nothing more:
//! - framing: the card is the bright region of the picture (Otsu threshold on luma); its rows'
//!   extents give four corners, whose side lengths give the aspect ratio, compared with ID-1 or
//!   the passport page; the region must not touch the picture's border and must be large enough;
//! - exposure: mean luma inside the card (the picture's centre when no card is found), and the
//!   share of clipped pixels there (most of the card clipped is overexposure, not a glare);
//! - glare: fraction of clipped pixels (luma ≥ 250) inside the card;
//! - sharpness: variance of the 4-neighbour Laplacian of luma inside the card;
//! - contrast: (p98 − p2) / (p98 + p2) of luma inside the card, which darkness leaves unchanged
//!   and a milky veil (a plastic sleeve) lowers. Blur lowers it too, which is why sharpness is
//!   reported first.
//!
//! Nothing here reads the text or recognises a face.

use crate::{DocumentFormat, Frame};

/// The checks, in the order their hints are shown: the first failing one is what the person
/// is told to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckKind {
    Framing,
    Exposure,
    Glare,
    Sharpness,
    Contrast,
}

impl CheckKind {
    pub const ALL: [CheckKind; 5] = [
        Self::Framing,
        Self::Exposure,
        Self::Glare,
        Self::Sharpness,
        Self::Contrast,
    ];

    /// Stable identifier for programs and JSON output.
    pub fn code(self) -> &'static str {
        match self {
            Self::Framing => "framing",
            Self::Exposure => "exposure",
            Self::Glare => "glare",
            Self::Contrast => "contrast",
            Self::Sharpness => "sharpness",
        }
    }
}

/// What the person should change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hint {
    NoDocument,
    OutOfFrame,
    TooFar,
    WrongShape,
    TooDark,
    TooBright,
    Glare,
    LowContrast,
    Blurry,
}

impl Hint {
    /// Stable identifier: screens decide on this, never on the French text.
    pub fn code(self) -> &'static str {
        match self {
            Self::NoDocument => "no_document",
            Self::OutOfFrame => "out_of_frame",
            Self::TooFar => "too_far",
            Self::WrongShape => "wrong_shape",
            Self::TooDark => "too_dark",
            Self::TooBright => "too_bright",
            Self::Glare => "glare",
            Self::LowContrast => "low_contrast",
            Self::Blurry => "blurry",
        }
    }

    /// The instruction shown over the preview ("Image floue : …").
    pub fn message_fr(self) -> &'static str {
        crate::fr::hint(self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail(Hint),
}

/// One check's measurement and verdict. `value` is, by kind: framing, the measured aspect ratio
/// (0 when no card is found); exposure, mean luma 0–255; glare, the clipped fraction 0–1;
/// contrast, 0–1; sharpness, the Laplacian variance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckOutcome {
    pub kind: CheckKind,
    pub value: f32,
    pub verdict: Verdict,
}

impl CheckOutcome {
    pub fn passed(&self) -> bool {
        self.verdict == Verdict::Pass
    }
}

/// The card's outline as found, in frame pixels: top-left, top-right, bottom-right,
/// bottom-left. For the preview's overlay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quad {
    pub corners: [(f32, f32); 4],
}

#[derive(Debug, Clone, PartialEq)]
pub struct GuidanceReport {
    checks: [CheckOutcome; 5],
    quad: Option<Quad>,
}

impl GuidanceReport {
    /// Every check, in [`CheckKind::ALL`] order.
    pub fn checks(&self) -> &[CheckOutcome; 5] {
        &self.checks
    }

    pub fn check(&self, kind: CheckKind) -> CheckOutcome {
        let index = CheckKind::ALL.iter().position(|k| *k == kind).unwrap_or_default();
        self.checks[index]
    }

    pub fn all_passed(&self) -> bool {
        self.checks.iter().all(CheckOutcome::passed)
    }

    /// The hint to show: that of the first failing check in priority order.
    pub fn first_hint(&self) -> Option<Hint> {
        self.checks.iter().find_map(|c| match c.verdict {
            Verdict::Pass => None,
            Verdict::Fail(hint) => Some(hint),
        })
    }

    pub fn quad(&self) -> Option<Quad> {
        self.quad
    }
}

/// Limits of the checks. The defaults were set on the synthetic sources with wide margins on
/// both sides (see the tests); a real camera may call for other values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GuidanceThresholds {
    /// Relative tolerance on the aspect ratio (0.05: ±5 %).
    pub aspect_tolerance: f32,
    /// The card's share of the picture below which it is "too far".
    pub min_card_area: f32,
    pub min_mean_luma: f32,
    pub max_mean_luma: f32,
    /// Share of clipped pixels inside the card above which the whole picture is overexposed
    /// (a glare clips a spot; overexposure clips most of the card).
    pub max_clipped: f32,
    /// Share of clipped pixels inside the card above which there is glare.
    pub max_glare: f32,
    pub min_contrast: f32,
    pub min_sharpness: f32,
}

impl Default for GuidanceThresholds {
    fn default() -> Self {
        Self {
            aspect_tolerance: 0.05,
            min_card_area: 0.15,
            min_mean_luma: 70.0,
            max_mean_luma: 235.0,
            max_clipped: 0.4,
            max_glare: 0.005,
            min_contrast: 0.5,
            min_sharpness: 300.0,
        }
    }
}

/// Luma at or above which a pixel counts as clipped.
pub(crate) const CLIPPED: u8 = 250;
/// Consecutive bright pixels that start or end a card row (ignores isolated specks).
const RUN: usize = 4;

/// The checks for one expected document format, with buffers reused from frame to frame.
#[derive(Debug, Clone)]
pub struct Guidance {
    format: DocumentFormat,
    thresholds: GuidanceThresholds,
    luma: Vec<u8>,
    spans: Vec<Option<(u32, u32)>>,
}

impl Guidance {
    pub fn new(format: DocumentFormat) -> Self {
        Self::with_thresholds(format, GuidanceThresholds::default())
    }

    pub fn with_thresholds(format: DocumentFormat, thresholds: GuidanceThresholds) -> Self {
        Self {
            format,
            thresholds,
            luma: Vec::new(),
            spans: Vec::new(),
        }
    }

    pub fn format(&self) -> DocumentFormat {
        self.format
    }

    pub fn assess(&mut self, frame: &Frame) -> GuidanceReport {
        let (w, h) = half_luma(frame, &mut self.luma);
        let threshold = otsu(&sampled_histogram(&self.luma, w));
        let card = find_card(&self.luma, w, h, threshold, &mut self.spans);
        let framing = self.framing(card.as_ref(), w, h);
        let region = match &card {
            Some(card) => card.inner_box(w, h),
            None => Region::centre(w, h),
        };
        let stats = region_stats(&self.luma, w, &region);
        let t = &self.thresholds;
        let exposure = CheckOutcome {
            kind: CheckKind::Exposure,
            value: stats.mean,
            verdict: if stats.mean < t.min_mean_luma {
                Verdict::Fail(Hint::TooDark)
            } else if stats.mean > t.max_mean_luma || stats.clipped > t.max_clipped {
                Verdict::Fail(Hint::TooBright)
            } else {
                Verdict::Pass
            },
        };
        let glare = CheckOutcome {
            kind: CheckKind::Glare,
            value: stats.clipped,
            verdict: fail_if(stats.clipped > t.max_glare, Hint::Glare),
        };
        let contrast = CheckOutcome {
            kind: CheckKind::Contrast,
            value: stats.contrast,
            verdict: fail_if(stats.contrast < t.min_contrast, Hint::LowContrast),
        };
        let sharpness = CheckOutcome {
            kind: CheckKind::Sharpness,
            value: stats.laplacian_variance,
            verdict: fail_if(stats.laplacian_variance < t.min_sharpness, Hint::Blurry),
        };
        // Half-resolution coordinates back to frame pixels (each luma sample covers 2×2).
        let quad = card.map(|c| Quad {
            corners: c.corners.map(|(x, y)| (x * 2.0 + 1.0, y * 2.0 + 1.0)),
        });
        GuidanceReport {
            checks: [framing, exposure, glare, sharpness, contrast],
            quad,
        }
    }

    fn framing(&self, card: Option<&Card>, w: usize, h: usize) -> CheckOutcome {
        let t = &self.thresholds;
        let Some(card) = card else {
            return CheckOutcome {
                kind: CheckKind::Framing,
                value: 0.0,
                verdict: Verdict::Fail(Hint::NoDocument),
            };
        };
        let aspect = card.aspect_ratio();
        let expected = self.format.aspect_ratio();
        let verdict = if card.touches_border {
            Verdict::Fail(Hint::OutOfFrame)
        } else if (aspect / expected - 1.0).abs() > t.aspect_tolerance
            || !(0.9..=1.1).contains(&card.fill_ratio())
        {
            Verdict::Fail(Hint::WrongShape)
        } else if card.area() < t.min_card_area * (w * h) as f32 {
            Verdict::Fail(Hint::TooFar)
        } else {
            Verdict::Pass
        };
        CheckOutcome {
            kind: CheckKind::Framing,
            value: aspect,
            verdict,
        }
    }
}

fn fail_if(failed: bool, hint: Hint) -> Verdict {
    if failed {
        Verdict::Fail(hint)
    } else {
        Verdict::Pass
    }
}

/// Fills `luma` with the BT.601 luma of each 2×2 block (integer weights 77/150/29 of 256) and
/// returns its size. One pass over the RGB bytes, 16 output samples at a time through
/// fixed-size arrays, which the compiler turns into vector code.
pub(crate) fn half_luma(frame: &Frame, luma: &mut Vec<u8>) -> (usize, usize) {
    const BLOCK: usize = 16;
    let (w, h) = (frame.width() as usize / 2, frame.height() as usize / 2);
    let stride = frame.width() as usize * 3;
    luma.clear();
    luma.resize(w * h, 0);
    if w == 0 || h == 0 {
        return (w, h);
    }
    let pixels = frame.pixels();
    let luma_of = |r: u32, g: u32, b: u32| ((77 * r + 150 * g + 29 * b + 512) >> 10) as u8;
    for (y, out) in luma.chunks_exact_mut(w).enumerate() {
        let top = &pixels[2 * y * stride..][..w * 6];
        let bottom = &pixels[(2 * y + 1) * stride..][..w * 6];
        let mut outs = out.chunks_exact_mut(BLOCK);
        let mut tops = top.chunks_exact(BLOCK * 6);
        let mut bottoms = bottom.chunks_exact(BLOCK * 6);
        for ((o, a), b) in (&mut outs).zip(&mut tops).zip(&mut bottoms) {
            // Vertical sums of the two rows, then horizontal pairs per channel.
            let mut column = [0u16; BLOCK * 6];
            for ((s, &a), &b) in column.iter_mut().zip(a).zip(b) {
                *s = u16::from(a) + u16::from(b);
            }
            let mut rgb = [0u32; BLOCK * 3];
            for j in 0..BLOCK {
                for c in 0..3 {
                    rgb[3 * j + c] = u32::from(column[6 * j + c] + column[6 * j + 3 + c]);
                }
            }
            for (j, o) in o.iter_mut().enumerate() {
                *o = luma_of(rgb[3 * j], rgb[3 * j + 1], rgb[3 * j + 2]);
            }
        }
        let rest = outs
            .into_remainder()
            .iter_mut()
            .zip(tops.remainder().chunks_exact(6))
            .zip(bottoms.remainder().chunks_exact(6));
        for ((o, a), b) in rest {
            let sum =
                |c: usize| u32::from(a[c]) + u32::from(a[c + 3]) + u32::from(b[c]) + u32::from(b[c + 3]);
            *o = luma_of(sum(0), sum(1), sum(2));
        }
    }
    (w, h)
}

/// Histogram of every other row: enough samples for Otsu's threshold at a quarter of the cost
/// of all of them; four partial histograms break the increment dependency chain.
pub(crate) fn sampled_histogram(luma: &[u8], w: usize) -> [u32; 256] {
    let mut partial = [[0u32; 256]; 4];
    for row in luma.chunks_exact(w.max(1)).step_by(2) {
        let mut quads = row.chunks_exact(4);
        for q in &mut quads {
            partial[0][usize::from(q[0])] += 1;
            partial[1][usize::from(q[1])] += 1;
            partial[2][usize::from(q[2])] += 1;
            partial[3][usize::from(q[3])] += 1;
        }
        for &v in quads.remainder() {
            partial[0][usize::from(v)] += 1;
        }
    }
    let mut histogram = [0u32; 256];
    for (i, total) in histogram.iter_mut().enumerate() {
        *total = partial.iter().map(|p| p[i]).sum();
    }
    histogram
}

/// Otsu's threshold: the level that best splits the histogram into two classes.
pub(crate) fn otsu(histogram: &[u32; 256]) -> u8 {
    let total: u64 = histogram.iter().map(|&c| u64::from(c)).sum();
    let sum_all: u64 = histogram
        .iter()
        .enumerate()
        .map(|(v, &c)| v as u64 * u64::from(c))
        .sum();
    let (mut weight_low, mut sum_low) = (0u64, 0u64);
    let (mut best, mut best_level) = (0u128, 0u8);
    for (level, &count) in histogram.iter().enumerate() {
        weight_low += u64::from(count);
        sum_low += level as u64 * u64::from(count);
        let weight_high = total - weight_low;
        if weight_low == 0 || weight_high == 0 {
            continue;
        }
        // Between-class variance × total², in integers: (μ_low − μ_high)² w_low w_high.
        let diff = (sum_low * weight_high).abs_diff((sum_all - sum_low) * weight_low);
        let score = u128::from(diff) * u128::from(diff) / (u128::from(weight_low) * u128::from(weight_high));
        if score > best {
            best = score;
            best_level = level as u8;
        }
    }
    best_level.saturating_add(1)
}

/// The bright region taken for the card, in half-resolution coordinates.
#[derive(Debug, Clone)]
pub(crate) struct Card {
    /// Top-left, top-right, bottom-right, bottom-left.
    pub corners: [(f32, f32); 4],
    /// Sum of the rows' extents: the region's area with its holes (text) filled.
    pub span_area: f32,
    pub touches_border: bool,
}

impl Card {
    fn side(&self, a: usize, b: usize) -> f32 {
        let (p, q) = (self.corners[a], self.corners[b]);
        (p.0 - q.0).hypot(p.1 - q.1)
    }

    /// Long side over short side, from the means of opposite sides.
    pub fn aspect_ratio(&self) -> f32 {
        let horizontal = (self.side(0, 1) + self.side(3, 2)) / 2.0;
        let vertical = (self.side(0, 3) + self.side(1, 2)) / 2.0;
        let (long, short) = if horizontal >= vertical {
            (horizontal, vertical)
        } else {
            (vertical, horizontal)
        };
        if short > 0.0 {
            long / short
        } else {
            0.0
        }
    }

    /// The quadrilateral's area (shoelace formula).
    pub fn area(&self) -> f32 {
        let c = &self.corners;
        let twice: f32 = (0..4)
            .map(|i| {
                let (p, q) = (c[i], c[(i + 1) % 4]);
                p.0 * q.1 - q.0 * p.1
            })
            .sum();
        twice.abs() / 2.0
    }

    /// How well the four corners describe the region: about 1 for a card, far from it for a
    /// blob, an L shape or two objects side by side.
    pub fn fill_ratio(&self) -> f32 {
        let area = self.area();
        if area > 0.0 {
            self.span_area / area
        } else {
            0.0
        }
    }

    /// The upright box inside the quadrilateral, shrunk by 6 % a side: where the card's own
    /// pixels are, away from its edges.
    fn inner_box(&self, w: usize, h: usize) -> Region {
        let [tl, tr, br, bl] = self.corners;
        let (left, right) = (tl.0.max(bl.0), tr.0.min(br.0));
        let (top, bottom) = (tl.1.max(tr.1), bl.1.min(br.1));
        let (mx, my) = ((right - left) * 0.06, (bottom - top) * 0.06);
        let region = Region::clamped(left + mx, top + my, right - mx, bottom - my, w, h);
        if region.is_empty() {
            Region::centre(w, h)
        } else {
            region
        }
    }
}

/// First and last row of a block of rows, inclusive.
type RowBlock = (usize, usize);

/// Finds the card as the largest block of rows holding a long bright stretch.
pub(crate) fn find_card(
    luma: &[u8],
    w: usize,
    h: usize,
    threshold: u8,
    spans: &mut Vec<Option<(u32, u32)>>,
) -> Option<Card> {
    if w < 2 * RUN || h < 8 {
        return None;
    }
    spans.clear();
    let min_len = (w / 10).max(RUN);
    for row in luma.chunks_exact(w) {
        let Some(start) = first_run_end(row.iter(), threshold).map(|i| i + 1 - RUN) else {
            spans.push(None);
            continue;
        };
        // Reverse index i is forward position w − 1 − i; the run's rightmost sample is the one
        // found RUN − 1 steps earlier.
        let end = first_run_end(row.iter().rev(), threshold).map_or(start, |i| w - 1 - (i + 1 - RUN));
        spans.push((end + 1 >= start + min_len).then_some((start as u32, end as u32)));
    }
    // The longest block of rows with a span, bridging gaps of up to two rows.
    let (mut best, mut current): (Option<RowBlock>, Option<RowBlock>) = (None, None);
    let mut gap = 0;
    for (y, span) in spans.iter().enumerate() {
        match (span, current) {
            (Some(_), Some((top, _))) => {
                current = Some((top, y));
                gap = 0;
            }
            (Some(_), None) => {
                current = Some((y, y));
                gap = 0;
            }
            (None, Some(_)) => {
                gap += 1;
                if gap > 2 {
                    best = longer(best, current);
                    current = None;
                }
            }
            (None, None) => {}
        }
    }
    let (top, bottom) = longer(best, current)?;
    if bottom - top + 1 < h / 10 {
        return None;
    }
    let mut corners = [(0.0f32, 0.0f32); 4];
    let mut extreme = [f32::MAX, f32::MIN, f32::MIN, f32::MIN];
    let mut span_area = 0.0;
    let mut touches_border = top == 0 || bottom == h - 1;
    for (y, span) in spans.iter().enumerate().take(bottom + 1).skip(top) {
        let Some((s, e)) = *span else { continue };
        let (s, e, yf) = (s as f32, e as f32, y as f32);
        span_area += e - s + 1.0;
        touches_border |= s as usize <= 1 || e as usize >= w - 2;
        // Top-left minimises x + y, top-right maximises x − y, bottom-right maximises x + y,
        // bottom-left maximises y − x: for a rectangle turned by less than 45°, its corners.
        if s + yf < extreme[0] {
            extreme[0] = s + yf;
            corners[0] = (s, yf);
        }
        if e - yf > extreme[1] {
            extreme[1] = e - yf;
            corners[1] = (e, yf);
        }
        if e + yf > extreme[2] {
            extreme[2] = e + yf;
            corners[2] = (e, yf);
        }
        if yf - s > extreme[3] {
            extreme[3] = yf - s;
            corners[3] = (s, yf);
        }
    }
    Some(Card {
        corners,
        span_area,
        touches_border,
    })
}

/// Index (in iteration order) of the last sample of the first run of `RUN` samples at or above
/// `threshold`.
fn first_run_end<'a>(samples: impl Iterator<Item = &'a u8>, threshold: u8) -> Option<usize> {
    let mut run = 0;
    for (i, &v) in samples.enumerate() {
        run = if v >= threshold { run + 1 } else { 0 };
        if run == RUN {
            return Some(i);
        }
    }
    None
}

fn longer(a: Option<RowBlock>, b: Option<RowBlock>) -> Option<RowBlock> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.1 - b.0 > a.1 - a.0 { b } else { a }),
        (a, None) => a,
        (None, b) => b,
    }
}

/// A box of luma samples, one sample inside the border so the Laplacian has neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Region {
    pub x0: usize,
    pub y0: usize,
    pub x1: usize,
    pub y1: usize,
}

impl Region {
    fn clamped(x0: f32, y0: f32, x1: f32, y1: f32, w: usize, h: usize) -> Self {
        let clamp = |v: f32, max: usize| (v.max(1.0) as usize).min(max.saturating_sub(1));
        Self {
            x0: clamp(x0.ceil(), w),
            y0: clamp(y0.ceil(), h),
            x1: clamp(x1.floor(), w),
            y1: clamp(y1.floor(), h),
        }
    }

    /// The middle half of the picture in each direction, when no card was found.
    pub fn centre(w: usize, h: usize) -> Self {
        Self::clamped(
            w as f32 * 0.25,
            h as f32 * 0.25,
            w as f32 * 0.75,
            h as f32 * 0.75,
            w,
            h,
        )
    }

    fn is_empty(&self) -> bool {
        self.x1 <= self.x0 || self.y1 <= self.y0
    }
}

pub(crate) struct RegionStats {
    pub mean: f32,
    pub clipped: f32,
    pub contrast: f32,
    pub laplacian_variance: f32,
}

/// Histogram and Laplacian moments over a region, in integers.
pub(crate) fn region_stats(luma: &[u8], w: usize, region: &Region) -> RegionStats {
    let mut histogram = [0u32; 256];
    let (mut sum, mut sum_sq) = (0i64, 0i64);
    if region.is_empty() {
        return RegionStats {
            mean: 0.0,
            clipped: 0.0,
            contrast: 0.0,
            laplacian_variance: 0.0,
        };
    }
    let (x0, x1) = (region.x0, region.x1);
    for y in region.y0..region.y1 {
        let up = &luma[(y - 1) * w..y * w];
        let row = &luma[y * w..(y + 1) * w];
        let down = &luma[(y + 1) * w..(y + 2) * w];
        for &v in &row[x0..x1] {
            histogram[usize::from(v)] += 1;
        }
        // |l| ≤ 1020, so l² < 2²⁰ and 4096 of them fit in a u32: sum in chunks of that, with
        // slices zipped so the compiler drops bounds checks and vectorises.
        let (mut row_sum, mut row_sq) = (0i32, 0i64);
        let mut x = x0;
        while x < x1 {
            let end = (x + 4096).min(x1);
            let centre = &row[x..end];
            let (left, right) = (&row[x - 1..end - 1], &row[x + 1..end + 1]);
            let (above, below) = (&up[x..end], &down[x..end]);
            let (mut s, mut sq) = (0i32, 0u32);
            for ((((&c, &l), &r), &a), &b) in centre.iter().zip(left).zip(right).zip(above).zip(below) {
                let lap = 4 * i32::from(c) - i32::from(l) - i32::from(r) - i32::from(a) - i32::from(b);
                s += lap;
                sq += lap.unsigned_abs() * lap.unsigned_abs();
            }
            row_sum += s;
            row_sq += i64::from(sq);
            x = end;
        }
        sum += i64::from(row_sum);
        sum_sq += row_sq;
    }
    let n = ((x1 - x0) * (region.y1 - region.y0)) as u64;
    let total: u64 = histogram.iter().map(|&c| u64::from(c)).sum();
    let luma_sum: u64 = histogram
        .iter()
        .enumerate()
        .map(|(v, &c)| v as u64 * u64::from(c))
        .sum();
    let clipped: u64 = histogram[usize::from(CLIPPED)..]
        .iter()
        .map(|&c| u64::from(c))
        .sum();
    let low = percentile(&histogram, total, 2);
    let high = percentile(&histogram, total, 98);
    let contrast = if low + high > 0 {
        (high - low) as f32 / (high + low) as f32
    } else {
        0.0
    };
    let mean_l = sum as f64 / n as f64;
    RegionStats {
        mean: (luma_sum as f64 / total as f64) as f32,
        clipped: (clipped as f64 / total as f64) as f32,
        contrast,
        laplacian_variance: (sum_sq as f64 / n as f64 - mean_l * mean_l) as f32,
    }
}

/// The smallest level with at least `percent` % of the samples at or below it.
fn percentile(histogram: &[u32; 256], total: u64, percent: u64) -> u32 {
    let target = (total * percent).div_ceil(100).max(1);
    let mut seen = 0u64;
    for (level, &count) in histogram.iter().enumerate() {
        seen += u64::from(count);
        if seen >= target {
            return level as u32;
        }
    }
    255
}

/// Reports built by hand, for the unit tests of what consumes them.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// Every check passes, except framing when `failing` is given (with that hint).
    pub fn report(failing: Option<Hint>) -> GuidanceReport {
        let checks = CheckKind::ALL.map(|kind| CheckOutcome {
            kind,
            value: 1.0,
            verdict: match (kind, failing) {
                (CheckKind::Framing, Some(hint)) => Verdict::Fail(hint),
                _ => Verdict::Pass,
            },
        });
        GuidanceReport { checks, quad: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otsu_splits_two_populations_between_them() {
        let mut histogram = [0u32; 256];
        histogram[60] = 1000;
        histogram[70] = 500;
        histogram[200] = 800;
        histogram[220] = 300;
        let t = otsu(&histogram);
        assert!((71..=200).contains(&t), "threshold {t}");
    }

    #[test]
    fn percentiles_come_from_the_cumulative_histogram() {
        let mut histogram = [0u32; 256];
        histogram[10] = 2;
        histogram[100] = 96;
        histogram[250] = 2;
        assert_eq!(percentile(&histogram, 100, 2), 10);
        assert_eq!(percentile(&histogram, 100, 3), 100);
        assert_eq!(percentile(&histogram, 100, 98), 100);
        assert_eq!(percentile(&histogram, 100, 99), 250);
    }

    #[test]
    fn half_luma_averages_2x2_blocks_with_bt601_weights() {
        // 34 × 2 pixels: two full blocks of 16 outputs plus one in the scalar tail.
        let (w, h) = (34u32, 2u32);
        let mut pixels = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let v = if (x + y) % 2 == 0 { 255 } else { 0 };
                pixels.extend_from_slice(&[v, (x * 7) as u8, 0]);
            }
        }
        let frame = Frame::new(w, h, pixels, std::time::Duration::ZERO).unwrap();
        let mut luma = Vec::new();
        assert_eq!(half_luma(&frame, &mut luma), (17, 1));
        for (j, &v) in luma.iter().enumerate() {
            let red = 127.5;
            let green = ((2 * j * 7) as f64 + ((2 * j + 1) * 7) as f64) / 2.0;
            let expected = (0.299 * red + 0.587 * green).round() as i32;
            assert!(
                (i32::from(v) - expected).abs() <= 1,
                "sample {j}: {v} vs {expected}"
            );
        }
    }

    #[test]
    fn the_laplacian_of_a_flat_region_is_zero_and_of_a_checkerboard_is_large() {
        let (w, h) = (20, 20);
        let flat = vec![128u8; w * h];
        let region = Region {
            x0: 1,
            y0: 1,
            x1: w - 1,
            y1: h - 1,
        };
        let stats = region_stats(&flat, w, &region);
        assert_eq!(stats.laplacian_variance, 0.0);
        assert_eq!(stats.contrast, 0.0);
        let board: Vec<u8> = (0..w * h)
            .map(|i| if (i % w + i / w) % 2 == 0 { 50 } else { 200 })
            .collect();
        let stats = region_stats(&board, w, &region);
        // |L| = 4 × 150 = 600 everywhere with alternating sign: variance 360 000.
        assert!((stats.laplacian_variance - 360_000.0).abs() < 1.0);
        assert!((stats.contrast - 150.0 / 250.0).abs() < 1e-6);
    }
}
