//! Synthetic sources, deterministic from a seed, for tests, demos and anyone without a camera:
//! a specimen identity document lying on a table, filmed by a steady hand, with the
//! degradations that make a real identification fail (blur, glare, darkness, framing, sleeve).

mod mrz;
mod qr;
mod raster;
mod scene;
mod specimen;
mod voice;

pub use qr::SyntheticQrScene;
pub use scene::{Framing, SceneConfig, SyntheticFaceScene};
pub use specimen::{SpecimenIdentity, SpecimenSex};
pub use voice::{Speech, SpokenDigits, SyntheticVoice, VOICE_SAMPLE_RATE};

use crate::{CaptureError, DocumentPage, Frame, VideoSource};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use raster::Canvas;
use specimen::PX_PER_MM;
use std::str::FromStr;
use std::time::Duration;

/// One way a photo of a document goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Degradation {
    /// Out of focus: a Gaussian-like blur of about 4.5 px.
    Blur,
    /// A bright specular spot on the card that saturates the sensor.
    Glare,
    /// A fifth of the light.
    TooDark,
    /// The card slid off the right edge: about 28 % of it is outside the picture.
    OutOfFrame,
    /// The card left in a plastic sleeve: a milky veil with a sheen over it, and the sleeve's
    /// welded border around it.
    Sleeve,
}

impl Degradation {
    pub const ALL: [Degradation; 5] = [
        Self::Blur,
        Self::Glare,
        Self::TooDark,
        Self::OutOfFrame,
        Self::Sleeve,
    ];

    /// Stable identifier, as typed on a command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Blur => "blur",
            Self::Glare => "glare",
            Self::TooDark => "dark",
            Self::OutOfFrame => "out-of-frame",
            Self::Sleeve => "sleeve",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Self::Blur => 1,
            Self::Glare => 2,
            Self::TooDark => 4,
            Self::OutOfFrame => 8,
            Self::Sleeve => 16,
        }
    }
}

impl FromStr for Degradation {
    type Err = CaptureError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|d| d.name() == name)
            .ok_or_else(|| CaptureError::UnknownDegradation(name.to_owned()))
    }
}

/// A combination of degradations (none by default).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Degradations(u8);

impl std::fmt::Debug for Degradations {
    // Names, not bits, in test failures and logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter().map(Degradation::name)).finish()
    }
}

impl Degradations {
    pub const NONE: Degradations = Degradations(0);

    pub fn contains(self, degradation: Degradation) -> bool {
        self.0 & degradation.bit() != 0
    }

    pub fn with(self, degradation: Degradation) -> Self {
        Self(self.0 | degradation.bit())
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Degradation> {
        Degradation::ALL.into_iter().filter(move |d| self.contains(*d))
    }
}

impl FromIterator<Degradation> for Degradations {
    fn from_iter<I: IntoIterator<Item = Degradation>>(iter: I) -> Self {
        iter.into_iter().fold(Self::NONE, Self::with)
    }
}

impl From<Degradation> for Degradations {
    fn from(degradation: Degradation) -> Self {
        Self::NONE.with(degradation)
    }
}

/// How the synthetic camera films the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticConfig {
    pub width: u32,
    pub height: u32,
    /// Chooses the table, the pose, the face drawing, the document number's prefix and the
    /// sensor noise: the same seed gives the same frames, bit for bit.
    pub seed: u64,
    pub degradations: Degradations,
    /// Preview frames during which the hand brings the card in and settles (moving, with
    /// motion blur); afterwards the card only trembles by a fraction of a pixel. 0: steady at once.
    pub settle_frames: u32,
    /// Time between two frames' timestamps (40 ms: 25 fps).
    pub frame_interval: Duration,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        Self {
            width: 1280,
            height: 720,
            seed: 0,
            degradations: Degradations::NONE,
            settle_frames: 8,
            frame_interval: Duration::from_millis(40),
        }
    }
}

/// Where the card lies in the picture.
#[derive(Debug, Clone, Copy)]
struct Pose {
    cx: f32,
    cy: f32,
    px_per_mm: f32,
    angle: f32,
}

/// A specimen page on a table, filmed frame after frame. Rendering a frame is a pure function of
/// (page, identity, config, frame index).
pub struct SyntheticDocumentSource {
    page: DocumentPage,
    config: SyntheticConfig,
    card: Canvas,
    table: Vec<f32>,
    pose: Pose,
    light: Light,
    next_index: u64,
}

impl SyntheticDocumentSource {
    /// Draws the page and the table once; refuses a picture size of zero.
    pub fn new(
        page: DocumentPage,
        identity: &SpecimenIdentity,
        config: SyntheticConfig,
    ) -> Result<Self, CaptureError> {
        if config.width == 0 || config.height == 0 {
            return Err(CaptureError::EmptyFrame {
                width: config.width,
                height: config.height,
            });
        }
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let card = specimen::render_page(page, identity, config.seed);
        let (w, h) = (config.width as f32, config.height as f32);
        let light = Light {
            x: w * rng.gen_range(0.25..0.45),
            y: h * rng.gen_range(0.2..0.4),
            reach: (w * w + h * h),
        };
        let table = render_table(config.width, config.height, &light, &mut rng);
        let (w_mm, h_mm) = page.format().size_mm();
        let px_per_mm = (0.62 * w / w_mm).min(0.72 * h / h_mm) * rng.gen_range(0.96..1.04);
        let mut pose = Pose {
            cx: w * (0.5 + rng.gen_range(-0.03..0.03)),
            cy: h * (0.5 + rng.gen_range(-0.03..0.03)),
            px_per_mm,
            angle: rng.gen_range(-3.5f32..3.5).to_radians(),
        };
        if config.degradations.contains(Degradation::OutOfFrame) {
            pose.cx = w - 0.22 * w_mm * px_per_mm;
        }
        Ok(Self {
            page,
            config,
            card,
            table,
            pose,
            light,
            next_index: 0,
        })
    }

    pub fn page(&self) -> DocumentPage {
        self.page
    }

    /// The frame at a given index, without moving the source forward.
    pub fn frame_at(&self, index: u64) -> Frame {
        let c = &self.config;
        let (pose, motion) = self.pose_at(index);
        let mut buf = self.table.clone();
        self.composite(&mut buf, pose);
        let degraded = c.degradations;
        if degraded.contains(Degradation::Glare) {
            self.glare(&mut buf, pose);
        }
        if degraded.contains(Degradation::TooDark) {
            buf.iter_mut().for_each(|v| *v *= 0.2);
        }
        let (width, height) = (c.width as usize, c.height as usize);
        if degraded.contains(Degradation::Blur) {
            for _ in 0..3 {
                box_blur(&mut buf, width, height, 4, 4);
            }
        }
        let (mx, my) = (motion.0.abs().round() as usize, motion.1.abs().round() as usize);
        if mx > 0 || my > 0 {
            box_blur(&mut buf, width, height, mx / 2, my / 2);
        }
        let pixels = add_noise_and_quantise(&buf, c.seed, index);
        let timestamp = c.frame_interval * u32::try_from(index).unwrap_or(u32::MAX);
        Frame::new(c.width, c.height, pixels, timestamp)
            .expect("width and height are non-zero (checked in new) and the buffer is w × h × 3")
    }

    /// The pose of frame `index` and its motion in px per frame (for motion blur).
    fn pose_at(&self, index: u64) -> (Pose, (f32, f32)) {
        let c = &self.config;
        let mut pose = self.pose;
        let settle = c.settle_frames as f32;
        let i = index as f32;
        if i < settle {
            // The hand comes in from the lower left and slows down: offset ∝ (1 − t)².
            let (dx0, dy0, da0) = (-0.10 * c.width as f32, 0.06 * c.height as f32, 4f32);
            let k = (1.0 - i / settle).powi(2);
            let speed = 2.0 * (1.0 - i / settle) / settle;
            pose.cx += k * dx0;
            pose.cy += k * dy0;
            pose.angle += (k * da0).to_radians();
            return (pose, (speed * dx0, speed * dy0));
        }
        // Steady: a tremor of a fraction of a pixel, different every frame.
        let jitter = |salt: u64| (hash(c.seed, index, salt) as f32 / u32::MAX as f32) - 0.5;
        pose.cx += 0.8 * jitter(1);
        pose.cy += 0.8 * jitter(2);
        pose.angle += (0.06 * jitter(3)).to_radians();
        (pose, (0.0, 0.0))
    }

    /// Draws the card's shadow, the card, and the sleeve when asked, over the table.
    fn composite(&self, buf: &mut [f32], pose: Pose) {
        let c = &self.config;
        let format = self.page.format();
        let (w_mm, h_mm) = format.size_mm();
        let radius = format.corner_radius_mm();
        let sleeve = c.degradations.contains(Degradation::Sleeve);
        const SLEEVE_MARGIN_MM: f32 = 1.5;
        const SHADOW: (f32, f32) = (7.0, 10.0);
        let ppm = pose.px_per_mm;
        let reach =
            ((w_mm / 2.0 + SLEEVE_MARGIN_MM).hypot(h_mm / 2.0 + SLEEVE_MARGIN_MM)) * ppm + SHADOW.1 + 12.0;
        let x0 = (pose.cx - reach).max(0.0) as usize;
        let x1 = ((pose.cx + reach).ceil() as usize).min(c.width as usize);
        let y0 = (pose.cy - reach).max(0.0) as usize;
        let y1 = ((pose.cy + reach).ceil() as usize).min(c.height as usize);
        let (sin, cos) = pose.angle.sin_cos();
        let to_card = |x: f32, y: f32| {
            let (dx, dy) = (x - pose.cx, y - pose.cy);
            ((dx * cos + dy * sin) / ppm, (-dx * sin + dy * cos) / ppm)
        };
        let width = c.width as usize;
        for y in y0..y1 {
            for x in x0..x1 {
                let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
                let i = (y * width + x) * 3;
                let px = &mut buf[i..i + 3];
                let (su, sv) = to_card(fx - SHADOW.0, fy - SHADOW.1);
                let shadow_d = rounded_rect_sdf(su, sv, w_mm / 2.0, h_mm / 2.0, radius) * ppm;
                let shadow = (0.5 - shadow_d / 14.0).clamp(0.0, 1.0);
                if shadow > 0.0 {
                    px.iter_mut().for_each(|v| *v *= 1.0 - 0.4 * shadow);
                }
                let (u, v) = to_card(fx, fy);
                let d = rounded_rect_sdf(u, v, w_mm / 2.0, h_mm / 2.0, radius) * ppm;
                let cover = (0.5 - d).clamp(0.0, 1.0);
                if cover > 0.0 {
                    let color = self.sample_card(u + w_mm / 2.0, v + h_mm / 2.0);
                    let light = self.light.at(fx, fy);
                    for (dst, src) in px.iter_mut().zip(color) {
                        *dst = *dst * (1.0 - cover) + src * light * cover;
                    }
                }
                if sleeve {
                    let (hw, hh) = (w_mm / 2.0 + SLEEVE_MARGIN_MM, h_mm / 2.0 + SLEEVE_MARGIN_MM);
                    let ds = rounded_rect_sdf(u, v, hw, hh, 1.0) * ppm;
                    let inside = (0.5 - ds).clamp(0.0, 1.0);
                    if inside > 0.0 {
                        // A milky veil, stronger along a diagonal band of sheen; where the
                        // sleeve overhangs the card its two layers touch and look whiter.
                        let band = (u - 0.7 * v - w_mm * 0.1) / (w_mm * 0.18);
                        let veil = 0.45 + 0.2 * (-band * band).exp();
                        let a = (veil * cover + 0.75 * (1.0 - cover)) * inside;
                        let light = self.light.at(fx, fy);
                        let sheen = [236.0, 239.0, 244.0];
                        for (dst, s) in px.iter_mut().zip(sheen) {
                            *dst = *dst * (1.0 - a) + s * light * a;
                        }
                        // The welded seam: a slightly darker line along the sleeve's edge.
                        let seam = (1.0 - (ds + 0.4 * ppm).abs() / (0.4 * ppm)).clamp(0.0, 1.0);
                        px.iter_mut().for_each(|v| *v *= 1.0 - 0.25 * seam);
                    }
                }
            }
        }
    }

    /// Bilinear sample of the card canvas at (u, v) mm from its top-left corner.
    fn sample_card(&self, u: f32, v: f32) -> [f32; 3] {
        let card = &self.card;
        let fx = (u * PX_PER_MM - 0.5).clamp(0.0, (card.width - 1) as f32);
        let fy = (v * PX_PER_MM - 0.5).clamp(0.0, (card.height - 1) as f32);
        let (x0, y0) = (fx as u32, fy as u32);
        let (x1, y1) = ((x0 + 1).min(card.width - 1), (y0 + 1).min(card.height - 1));
        let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
        let (a, b, c, d) = (
            card.get(x0, y0),
            card.get(x1, y0),
            card.get(x0, y1),
            card.get(x1, y1),
        );
        [0, 1, 2].map(|k| {
            let top = f32::from(a[k]) * (1.0 - tx) + f32::from(b[k]) * tx;
            let bottom = f32::from(c[k]) * (1.0 - tx) + f32::from(d[k]) * tx;
            top * (1.0 - ty) + bottom * ty
        })
    }

    /// A specular highlight: a Gaussian spot on the upper right of the card, bright enough to
    /// clip the sensor over a few percent of the card.
    fn glare(&self, buf: &mut [f32], pose: Pose) {
        let (w_mm, h_mm) = self.page.format().size_mm();
        let (u, v) = (w_mm * 0.12, -h_mm * 0.14);
        let (sin, cos) = pose.angle.sin_cos();
        let ppm = pose.px_per_mm;
        let (gx, gy) = (
            pose.cx + (u * cos - v * sin) * ppm,
            pose.cy + (u * sin + v * cos) * ppm,
        );
        let sigma = 0.06 * w_mm * ppm;
        let reach = 4.0 * sigma;
        let (width, height) = (self.config.width as usize, self.config.height as usize);
        let x0 = (gx - reach).max(0.0) as usize;
        let x1 = ((gx + reach) as usize).min(width);
        let y0 = (gy - reach).max(0.0) as usize;
        let y1 = ((gy + reach) as usize).min(height);
        for y in y0..y1 {
            for x in x0..x1 {
                let r2 = (x as f32 + 0.5 - gx).powi(2) + (y as f32 + 0.5 - gy).powi(2);
                let add = 320.0 * (-r2 / (2.0 * sigma * sigma)).exp();
                let i = (y * width + x) * 3;
                buf[i..i + 3].iter_mut().for_each(|v| *v += add);
            }
        }
    }
}

impl VideoSource for SyntheticDocumentSource {
    fn next_frame(&mut self) -> Result<Frame, CaptureError> {
        let frame = self.frame_at(self.next_index);
        self.next_index += 1;
        Ok(frame)
    }
}

/// Soft room light: brightest at one point, 25 % dimmer in the far corner.
#[derive(Debug, Clone, Copy)]
struct Light {
    x: f32,
    y: f32,
    reach: f32,
}

impl Light {
    fn at(&self, x: f32, y: f32) -> f32 {
        1.0 - 0.25 * ((x - self.x).powi(2) + (y - self.y).powi(2)) / self.reach
    }
}

/// A wooden or slate table, darker than any card so a card stands out as it would at home.
fn render_table(width: u32, height: u32, light: &Light, rng: &mut ChaCha8Rng) -> Vec<f32> {
    const TABLES: [([f32; 3], [f32; 3]); 3] = [
        ([120.0, 86.0, 58.0], [88.0, 60.0, 40.0]),
        ([86.0, 60.0, 44.0], [62.0, 42.0, 30.0]),
        ([72.0, 76.0, 82.0], [56.0, 59.0, 65.0]),
    ];
    let (base, grain) = TABLES[rng.gen_range(0..TABLES.len())];
    let phase: f32 = rng.gen_range(0.0..std::f32::consts::TAU);
    let plank: f32 = rng.gen_range(150.0..230.0);
    let mut buf = vec![0.0; width as usize * height as usize * 3];
    for (i, px) in buf.chunks_exact_mut(3).enumerate() {
        let (x, y) = ((i % width as usize) as f32, (i / width as usize) as f32);
        let wave = y + 14.0 * (x / 230.0 + phase).sin() + 5.0 * (x / 41.0).sin();
        let t = 0.5 + 0.5 * (wave / 9.0 * std::f32::consts::TAU).sin() * (x / 310.0 + phase).cos();
        let seam = if (y % plank) < 2.0 { 0.55 } else { 1.0 };
        let light = light.at(x + 0.5, y + 0.5);
        for k in 0..3 {
            px[k] = (base[k] * (1.0 - t) + grain[k] * t) * seam * light;
        }
    }
    buf
}

/// Signed distance (mm) from (u, v), relative to the centre, to a rectangle of half-sizes
/// (hw, hh) with rounded corners: negative inside.
fn rounded_rect_sdf(u: f32, v: f32, hw: f32, hh: f32, radius: f32) -> f32 {
    let qx = u.abs() - (hw - radius);
    let qy = v.abs() - (hh - radius);
    let outside = qx.max(0.0).hypot(qy.max(0.0));
    outside + qx.max(qy).min(0.0) - radius
}

/// Running-sum box blur of radius `rx` along rows then `ry` along columns, edges clamped.
fn box_blur(buf: &mut [f32], width: usize, height: usize, rx: usize, ry: usize) {
    let mut line = Vec::new();
    if rx > 0 {
        for y in 0..height {
            let row = &mut buf[y * width * 3..(y + 1) * width * 3];
            blur_line(row, width, 3, rx, &mut line);
        }
    }
    if ry > 0 {
        let mut column = vec![0.0; height * 3];
        for x in 0..width {
            for y in 0..height {
                column[y * 3..y * 3 + 3].copy_from_slice(&buf[(y * width + x) * 3..][..3]);
            }
            blur_line(&mut column, height, 3, ry, &mut line);
            for y in 0..height {
                buf[(y * width + x) * 3..][..3].copy_from_slice(&column[y * 3..y * 3 + 3]);
            }
        }
    }
}

fn blur_line(data: &mut [f32], len: usize, channels: usize, radius: usize, scratch: &mut Vec<f32>) {
    scratch.clear();
    scratch.extend_from_slice(&data[..len * channels]);
    let at = |i: isize, k: usize| scratch[(i.clamp(0, len as isize - 1) as usize) * channels + k];
    let r = radius as isize;
    let norm = 1.0 / (2 * radius + 1) as f32;
    for k in 0..channels {
        let mut sum: f32 = (-r..=r).map(|i| at(i, k)).sum();
        for i in 0..len as isize {
            data[i as usize * channels + k] = sum * norm;
            sum += at(i + r + 1, k) - at(i - r, k);
        }
    }
}

/// Sensor noise (about 2 levels RMS, the same on the three channels of a pixel: luminance noise)
/// then rounding to 8 bits.
fn add_noise_and_quantise(buf: &[f32], seed: u64, index: u64) -> Vec<u8> {
    let mut out = vec![0; buf.len()];
    for (p, (dst, src)) in out.chunks_exact_mut(3).zip(buf.chunks_exact(3)).enumerate() {
        let h = hash(seed, index, p as u64);
        let noise = ((h & 0xffff) as f32 + (h >> 16) as f32) / 65535.0 * 5.0 - 5.0;
        for (d, s) in dst.iter_mut().zip(src) {
            *d = (s + noise).round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

/// A fast, well-mixed 32-bit hash of three numbers (SplitMix64's finaliser).
fn hash(seed: u64, index: u64, salt: u64) -> u32 {
    let mut z = seed
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(index.wrapping_mul(0xbf58_476d_1ce4_e5b9))
        .wrapping_add(salt.wrapping_mul(0x94d0_49bb_1331_11eb));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) as u32
}
