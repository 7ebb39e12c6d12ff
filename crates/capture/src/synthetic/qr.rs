//! A QR code filmed by a phone, for tests and for anyone without a camera: a sheet (or a
//! projected page) on a wall showing a QR code, seen at an angle (perspective from a
//! homography), lit unevenly, slightly out of focus, with sensor noise, the hand bringing the
//! phone closer over the first frames and then trembling. Rendering a frame is a pure function of
//! (text, size, seed, frame index), like the specimen camera's.

use super::{box_blur, hash};
use crate::{CaptureError, Frame, VideoSource};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

/// Light modules around the code, as the QR specification asks.
const QUIET_ZONE: usize = 4;
/// Frames during which the phone comes closer (the code grows from 60 % of its final size).
const APPROACH_FRAMES: u64 = 6;
/// Sensor noise, ± this many levels of 255.
const NOISE: f32 = 9.0;
const INK: [f32; 3] = [28.0, 30.0, 36.0];
const PAPER: [f32; 3] = [238.0, 236.0, 228.0];
const FRAME_INTERVAL: Duration = Duration::from_millis(40);

/// The dark modules of a code, row after row.
struct Modules {
    side: usize,
    dark: Vec<bool>,
}

/// A sheet showing a QR code (or a blank sheet) on a wall, filmed frame after frame.
pub struct SyntheticQrScene {
    width: u32,
    height: u32,
    seed: u64,
    modules: Option<Modules>,
    wall: Vec<f32>,
    /// Centre and half-size of the sheet in pixels, once the phone has settled.
    centre: (f32, f32),
    half: f32,
    /// Turn of the sheet in the picture (radians) and how much narrower its top edge looks
    /// (the page is above the phone: perspective).
    angle: f32,
    keystone: f32,
    next_index: u64,
}

impl SyntheticQrScene {
    /// A sheet showing `text` as a QR code (medium error correction, as most generators use).
    /// Refuses an empty picture or a text too long for any QR code.
    pub fn showing(text: &str, width: u32, height: u32, seed: u64) -> Result<Self, CaptureError> {
        let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
            .map_err(|_| CaptureError::QrTextTooLong(text.len()))?;
        let dark = code
            .to_colors()
            .into_iter()
            .map(|color| color == qrcode::Color::Dark)
            .collect();
        let modules = Modules {
            side: code.width(),
            dark,
        };
        Self::new(Some(modules), width, height, seed)
    }

    /// The same scene with a blank sheet: what the camera sees before the code is shown.
    pub fn without_code(width: u32, height: u32, seed: u64) -> Result<Self, CaptureError> {
        Self::new(None, width, height, seed)
    }

    fn new(modules: Option<Modules>, width: u32, height: u32, seed: u64) -> Result<Self, CaptureError> {
        if width == 0 || height == 0 {
            return Err(CaptureError::EmptyFrame { width, height });
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (w, h) = (width as f32, height as f32);
        let wall = render_wall(width, height, &mut rng);
        Ok(Self {
            width,
            height,
            seed,
            modules,
            wall,
            centre: (
                w * (0.5 + rng.gen_range(-0.06..0.06)),
                h * (0.5 + rng.gen_range(-0.05..0.05)),
            ),
            half: w.min(h) * rng.gen_range(0.28..0.34),
            angle: rng.gen_range(-9.0f32..9.0).to_radians(),
            keystone: rng.gen_range(0.80..0.92),
            next_index: 0,
        })
    }

    /// The frame at a given index, without moving the source forward.
    pub fn frame_at(&self, index: u64) -> Frame {
        let (width, height) = (self.width as usize, self.height as usize);
        let quad = self.sheet_at(index);
        let to_sheet = invert(&square_to_quad(&quad));
        let mut buf = self.wall.clone();
        if let Some(to_sheet) = to_sheet {
            let (x0, x1, y0, y1) = bounds(&quad, width, height);
            // 2 × 2 samples a pixel: module edges are smooth, as through a lens.
            const SUB: [f32; 2] = [0.25, 0.75];
            for y in y0..y1 {
                for x in x0..x1 {
                    let mut sum = [0.0f32; 3];
                    let mut on_sheet = 0.0;
                    for sy in SUB {
                        for sx in SUB {
                            let (u, v) = apply(&to_sheet, x as f32 + sx, y as f32 + sy);
                            if (0.0..1.0).contains(&u) && (0.0..1.0).contains(&v) {
                                let color = self.sheet_color(u, v);
                                sum.iter_mut().zip(color).for_each(|(s, c)| *s += c);
                                on_sheet += 1.0;
                            }
                        }
                    }
                    if on_sheet > 0.0 {
                        let i = (y * width + x) * 3;
                        let coverage = on_sheet / 4.0;
                        for (dst, s) in buf[i..i + 3].iter_mut().zip(sum) {
                            *dst = *dst * (1.0 - coverage) + s / on_sheet * coverage;
                        }
                    }
                }
            }
        }
        // Uneven light: brighter towards the upper left, a third dimmer in the far corner.
        let diagonal = (width * width + height * height) as f32;
        for (p, px) in buf.chunks_exact_mut(3).enumerate() {
            let (x, y) = ((p % width) as f32, (p / width) as f32);
            let light = 1.0 - 0.33 * (x * x + y * y) / diagonal;
            px.iter_mut().for_each(|v| *v *= light);
        }
        // A phone held at arm's length is never perfectly in focus.
        box_blur(&mut buf, width, height, 1, 1);
        let mut pixels = vec![0u8; buf.len()];
        for (p, (dst, src)) in pixels.chunks_exact_mut(3).zip(buf.chunks_exact(3)).enumerate() {
            let h = hash(self.seed ^ 0x51_52, index, p as u64);
            let noise = (h & 0xffff) as f32 / 65535.0 * 2.0 * NOISE - NOISE;
            for (d, s) in dst.iter_mut().zip(src) {
                *d = (s + noise).round().clamp(0.0, 255.0) as u8;
            }
        }
        let timestamp = FRAME_INTERVAL * u32::try_from(index).unwrap_or(u32::MAX);
        Frame::new(self.width, self.height, pixels, timestamp)
            .expect("width and height are non-zero (checked in new) and the buffer is w × h × 3")
    }

    /// The sheet's corners in the picture (top left, top right, bottom right, bottom left).
    fn sheet_at(&self, index: u64) -> [(f32, f32); 4] {
        let approach = if index < APPROACH_FRAMES {
            let t = index as f32 / APPROACH_FRAMES as f32;
            0.6 + 0.4 * t * (2.0 - t)
        } else {
            1.0
        };
        let jitter = |salt: u64| (hash(self.seed, index, salt) as f32 / u32::MAX as f32) - 0.5;
        let (cx, cy) = (self.centre.0 + 2.0 * jitter(1), self.centre.1 + 2.0 * jitter(2));
        let angle = self.angle + (0.4 * jitter(3)).to_radians();
        let half = self.half * approach;
        let top = half * self.keystone;
        let corners = [(-top, -half), (top, -half), (half, half), (-half, half)];
        let (sin, cos) = angle.sin_cos();
        corners.map(|(dx, dy)| (cx + dx * cos - dy * sin, cy + dx * sin + dy * cos))
    }

    /// Paper or ink at a point of the sheet (`u`, `v` in 0..1).
    fn sheet_color(&self, u: f32, v: f32) -> [f32; 3] {
        let Some(modules) = &self.modules else {
            return PAPER;
        };
        let span = (modules.side + 2 * QUIET_ZONE) as f32;
        let (mx, my) = ((u * span) as usize, (v * span) as usize);
        let inside = |m: usize| (QUIET_ZONE..QUIET_ZONE + modules.side).contains(&m);
        if inside(mx) && inside(my) {
            let (col, row) = (mx - QUIET_ZONE, my - QUIET_ZONE);
            if modules.dark[row * modules.side + col] {
                return INK;
            }
        }
        PAPER
    }
}

impl VideoSource for SyntheticQrScene {
    fn next_frame(&mut self) -> Result<Frame, CaptureError> {
        let frame = self.frame_at(self.next_index);
        self.next_index += 1;
        Ok(frame)
    }
}

/// A painted wall with a faint mottled texture.
fn render_wall(width: u32, height: u32, rng: &mut ChaCha8Rng) -> Vec<f32> {
    const WALLS: [[f32; 3]; 3] = [
        [150.0, 146.0, 138.0],
        [120.0, 128.0, 136.0],
        [164.0, 150.0, 128.0],
    ];
    let base = WALLS[rng.gen_range(0..WALLS.len())];
    let phase: f32 = rng.gen_range(0.0..std::f32::consts::TAU);
    let mut buf = Vec::with_capacity(width as usize * height as usize * 3);
    for y in 0..height {
        for x in 0..width {
            let (fx, fy) = (x as f32, y as f32);
            let mottle = 6.0 * ((fx * 0.021 + phase).sin() * (fy * 0.017 - phase).cos());
            buf.extend(base.map(|c| c + mottle));
        }
    }
    buf
}

/// The pixel rectangle that holds the quad, clipped to the picture.
fn bounds(quad: &[(f32, f32); 4], width: usize, height: usize) -> (usize, usize, usize, usize) {
    let xs = quad.map(|(x, _)| x);
    let ys = quad.map(|(_, y)| y);
    let min = |values: [f32; 4]| values.into_iter().fold(f32::INFINITY, f32::min);
    let max = |values: [f32; 4]| values.into_iter().fold(f32::NEG_INFINITY, f32::max);
    let clip = |value: f32, limit: usize| (value.max(0.0) as usize).min(limit);
    (
        clip(min(xs).floor(), width),
        clip(max(xs).ceil() + 1.0, width),
        clip(min(ys).floor(), height),
        clip(max(ys).ceil() + 1.0, height),
    )
}

/// The homography that maps the unit square's corners (0,0), (1,0), (1,1), (0,1) onto `quad`
/// (Heckbert's closed form), as a row-major 3 × 3 matrix.
fn square_to_quad(quad: &[(f32, f32); 4]) -> [f32; 9] {
    let [(x0, y0), (x1, y1), (x2, y2), (x3, y3)] = *quad;
    let (dx1, dx2, dx3) = (x1 - x2, x3 - x2, x0 - x1 + x2 - x3);
    let (dy1, dy2, dy3) = (y1 - y2, y3 - y2, y0 - y1 + y2 - y3);
    let det = dx1 * dy2 - dx2 * dy1;
    let (g, h) = if det.abs() < f32::EPSILON {
        (0.0, 0.0)
    } else {
        ((dx3 * dy2 - dx2 * dy3) / det, (dx1 * dy3 - dx3 * dy1) / det)
    };
    [
        x1 - x0 + g * x1,
        x3 - x0 + h * x3,
        x0,
        y1 - y0 + g * y1,
        y3 - y0 + h * y3,
        y0,
        g,
        h,
        1.0,
    ]
}

fn invert(m: &[f32; 9]) -> Option<[f32; 9]> {
    let [a, b, c, d, e, f, g, h, i] = *m;
    let det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
    if det.abs() < 1e-9 {
        return None;
    }
    Some(
        [
            e * i - f * h,
            c * h - b * i,
            b * f - c * e,
            f * g - d * i,
            a * i - c * g,
            c * d - a * f,
            d * h - e * g,
            b * g - a * h,
            a * e - b * d,
        ]
        .map(|v| v / det),
    )
}

fn apply(m: &[f32; 9], x: f32, y: f32) -> (f32, f32) {
    let w = m[6] * x + m[7] * y + m[8];
    ((m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::QrReading;

    const ADDRESS: &str = "http://192.168.1.20:8787";

    #[test]
    fn the_homography_maps_the_square_onto_the_quad_and_back() {
        let quad = [(100.0, 80.0), (300.0, 95.0), (320.0, 310.0), (90.0, 290.0)];
        let forward = square_to_quad(&quad);
        for (corner, (u, v)) in quad.iter().zip([(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]) {
            let (x, y) = apply(&forward, u, v);
            assert!(
                (x - corner.0).abs() < 0.01 && (y - corner.1).abs() < 0.01,
                "corner {corner:?} → {x},{y}"
            );
        }
        let back = invert(&forward).unwrap();
        let (u, v) = apply(&back, 320.0, 310.0);
        assert!(
            (u - 1.0).abs() < 1e-3 && (v - 1.0).abs() < 1e-3,
            "back to (1,1): {u},{v}"
        );
    }

    #[test]
    fn a_world_address_is_read_from_the_filmed_code_once_the_phone_settles() {
        for seed in 0..6 {
            let scene = SyntheticQrScene::showing(ADDRESS, 640, 480, seed).unwrap();
            let settled = scene.frame_at(APPROACH_FRAMES + 3);
            assert_eq!(
                QrReading::of_frame(&settled),
                QrReading::WorldAddress(ADDRESS.into()),
                "seed {seed}: a settled, tilted, noisy code must still be read"
            );
        }
    }

    #[test]
    fn the_frames_are_not_a_clean_print_of_the_code() {
        let scene = SyntheticQrScene::showing(ADDRESS, 320, 240, 3).unwrap();
        let (a, b) = (scene.frame_at(10), scene.frame_at(11));
        assert_ne!(a, b, "noise and tremor change every frame");
        let grey_levels: std::collections::HashSet<u8> = a.pixels().iter().copied().collect();
        assert!(
            grey_levels.len() > 100,
            "lighting, blur and noise give many levels, not two"
        );
        assert_eq!(scene.frame_at(10), a, "a frame is a pure function of its index");
    }

    #[test]
    fn a_blank_sheet_gives_no_code() {
        let mut scene = SyntheticQrScene::without_code(640, 480, 1).unwrap();
        for _ in 0..3 {
            let frame = scene.next_frame().unwrap();
            assert_eq!(
                QrReading::of_frame(&frame),
                QrReading::NoCode,
                "nothing to read on a blank sheet"
            );
        }
    }

    #[test]
    fn a_code_of_something_else_is_named_in_french() {
        let text = "WIFI:T:WPA;S:salle-de-formation;P:secret;;";
        let scene = SyntheticQrScene::showing(text, 640, 480, 2).unwrap();
        let reading = QrReading::of_frame(&scene.frame_at(20));
        assert_eq!(reading, QrReading::NotAWorldAddress(text.into()));
        assert_eq!(reading.hint_code(), Some("qr_not_a_world"));
        assert!(
            reading.message_fr().contains("n'est pas celui d'une classe"),
            "the person is told why this code does not join anything: {}",
            reading.message_fr()
        );
        let page = SyntheticQrScene::showing("http://192.168.1.20:8787/application", 640, 480, 2).unwrap();
        assert!(
            matches!(
                QrReading::of_frame(&page.frame_at(20)),
                QrReading::NotAWorldAddress(_)
            ),
            "a page of the world is not the world's address"
        );
    }

    #[test]
    fn a_text_too_long_for_any_qr_code_is_refused() {
        let error = SyntheticQrScene::showing(&"x".repeat(5000), 640, 480, 0)
            .err()
            .unwrap();
        assert_eq!(error.code(), "qr_text_too_long");
    }
}
