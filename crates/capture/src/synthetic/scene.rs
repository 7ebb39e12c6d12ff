//! The synthetic scene of the spoken-digit video: a drawn person facing the camera, holding the
//! specimen document beside their face, whose lips move while the voice says the digits.
//!
//! The picture is drawn once; each frame then copies it and redraws only the mouth, the eyelids
//! and the recording clock, so a frame costs a copy (a fraction of a millisecond at 1280×720)
//! and the encoder, not the scene, sets the pace of recording.

use super::raster::{mix, Canvas, Rgb};
use super::specimen::render_page;
use super::SpecimenIdentity;
use crate::{CaptureError, DocumentPage, Frame, VideoSource};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

/// What goes wrong in the picture of the video, to reproduce a refused identification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Framing {
    /// Face and document both in view, well lit.
    #[default]
    Good,
    /// The person stands outside the picture: only the document is seen.
    FaceOutOfView,
    /// A fifth of the light.
    TooDark,
}

/// Settings of the synthetic video scene.
#[derive(Debug, Clone)]
pub struct SceneConfig {
    pub width: u32,
    pub height: u32,
    pub frame_rate: u32,
    pub seed: u64,
    pub page: DocumentPage,
    pub framing: Framing,
    /// Standard deviation of the camera's sensor noise, in 8-bit levels (a webcam in a lit room:
    /// about 2). 0 draws a perfectly clean picture.
    pub sensor_noise: f32,
}

impl Default for SceneConfig {
    fn default() -> Self {
        Self {
            width: 1280,
            height: 720,
            frame_rate: 30,
            seed: 0,
            page: DocumentPage::CniFront,
            framing: Framing::Good,
            sensor_noise: 2.0,
        }
    }
}

/// Where the mouth and eyes are, to redraw them on every frame.
#[derive(Debug, Clone, Copy)]
struct Face {
    mouth: (f32, f32),
    mouth_width: f32,
    eyes: [(f32, f32); 2],
    eye_radius: f32,
    skin: Rgb,
    lips: Rgb,
}

/// A person filmed saying the digits with the document in hand; endless, 30 fps timestamps.
pub struct SyntheticFaceScene {
    config: SceneConfig,
    base: Vec<u8>,
    face: Option<Face>,
    speaking: Vec<(Duration, Duration)>,
    next_index: u64,
    light: f32,
    /// A tile of grain shifted on every frame: camera-like noise for the price of an addition.
    /// Stored as `NOISE_TILE` rows of `(width + NOISE_TILE) × 3` bytes (the tile row repeated
    /// across the picture, the same grain on R, G and B), so a frame adds one contiguous slice per
    /// row, which the compiler vectorises.
    noise: Vec<i8>,
    noise_row: usize,
}

const NOISE_TILE: usize = 256;

impl SyntheticFaceScene {
    /// `speaking`: when the lips move (from [`super::SyntheticVoice::spoken_intervals`]).
    pub fn new(
        identity: &SpecimenIdentity,
        config: SceneConfig,
        speaking: &[(Duration, Duration)],
    ) -> Result<Self, CaptureError> {
        let (width, height) = (config.width, config.height);
        if width < 320
            || height < 240
            || !width.is_multiple_of(2)
            || !height.is_multiple_of(2)
            || config.frame_rate == 0
        {
            return Err(CaptureError::InvalidVideoSettings(format!(
                "scene {width}×{height} at {} fps",
                config.frame_rate
            )));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x0073_6365_6e65);
        let mut canvas = Canvas::new(width, height);
        let wall_top: Rgb = [
            rng.gen_range(196..226),
            rng.gen_range(200..222),
            rng.gen_range(200..230),
        ];
        let wall_bottom = mix(wall_top, [120, 118, 124], 0.45);
        canvas.fill_with(|_, y| mix(wall_top, wall_bottom, y as f32 / height as f32));
        let unit = height as f32 / 720.0;
        let face =
            (config.framing != Framing::FaceOutOfView).then(|| draw_person(&mut canvas, unit, &mut rng));
        draw_document(&mut canvas, unit, config.page, identity, config.seed);
        canvas.text(
            (16.0 * unit) as i64,
            (16.0 * unit) as i64,
            (2.0 * unit).max(1.0) as u32,
            [190, 20, 30],
            "SIMULATION",
        );
        let light = if config.framing == Framing::TooDark {
            0.2
        } else {
            1.0
        };
        // Sum of three uniforms of half-width σ: standard deviation σ, close enough to Gaussian.
        let spread = config.sensor_noise.max(0.0);
        let noise_row = (width as usize + NOISE_TILE) * 3;
        let noise = if spread > 0.0 {
            let tile: Vec<i8> = (0..NOISE_TILE * NOISE_TILE)
                .map(|_| {
                    let sum: f32 = (0..3).map(|_| rng.gen_range(-spread..=spread)).sum();
                    sum.round().clamp(-127.0, 127.0) as i8
                })
                .collect();
            tile.chunks_exact(NOISE_TILE)
                .flat_map(|row| row.iter().cycle().take(noise_row / 3).flat_map(|&g| [g, g, g]))
                .collect()
        } else {
            Vec::new()
        };
        Ok(Self {
            config,
            base: canvas.pixels,
            face,
            speaking: speaking.to_vec(),
            next_index: 0,
            light,
            noise,
            noise_row,
        })
    }

    /// Frame `index` (0 at the start of recording); a pure function of the config and the index.
    pub fn frame_at(&self, index: u64) -> Frame {
        // Exact nanoseconds: frame 60 at 30 fps is 2 s, not 1.99999998 s.
        let at = Duration::from_nanos(index * 1_000_000_000 / u64::from(self.config.frame_rate));
        let mut canvas = Canvas {
            width: self.config.width,
            height: self.config.height,
            pixels: self.base.clone(),
        };
        let unit = self.config.height as f32 / 720.0;
        if let Some(face) = self.face {
            let opening = self.mouth_opening(at);
            let (mx, my) = face.mouth;
            canvas.fill_ellipse(
                mx,
                my,
                face.mouth_width,
                3.0 * unit + opening * 16.0 * unit,
                face.lips,
                1.0,
            );
            if opening > 0.05 {
                canvas.fill_ellipse(
                    mx,
                    my,
                    face.mouth_width * 0.7,
                    opening * 12.0 * unit,
                    [70, 20, 30],
                    1.0,
                );
            }
            // A blink every 3.2 s, for 130 ms.
            if at.as_millis() % 3200 < 130 {
                for (ex, ey) in face.eyes {
                    canvas.fill_ellipse(
                        ex,
                        ey,
                        face.eye_radius * 1.5,
                        face.eye_radius * 1.2,
                        face.skin,
                        1.0,
                    );
                }
            }
        }
        let seconds = at.as_secs();
        canvas.fill_rect(
            (self.config.width as f32 - 190.0 * unit) as i64,
            (14.0 * unit) as i64,
            (176.0 * unit) as i64,
            (26.0 * unit) as i64,
            [30, 30, 30],
            1.0,
        );
        canvas.fill_ellipse(
            self.config.width as f32 - 176.0 * unit,
            27.0 * unit,
            7.0 * unit,
            7.0 * unit,
            [220, 30, 40],
            1.0,
        );
        canvas.text(
            (self.config.width as f32 - 160.0 * unit) as i64,
            (19.0 * unit) as i64,
            (2.0 * unit).max(1.0) as u32,
            [240, 240, 240],
            &format!("REC {:02}:{:02}", seconds / 60, seconds % 60),
        );
        let mut pixels = canvas.pixels;
        if self.light < 1.0 {
            for value in &mut pixels {
                *value = (f32::from(*value) * self.light) as u8;
            }
        }
        self.add_noise(&mut pixels, index);
        Frame::new(self.config.width, self.config.height, pixels, at).expect("scene size checked at creation")
    }

    fn add_noise(&self, pixels: &mut [u8], index: u64) {
        if self.noise.is_empty() {
            return;
        }
        let shift = index.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        let (dx, dy) = (shift as usize % NOISE_TILE, (shift >> 16) as usize % NOISE_TILE);
        let row_bytes = self.config.width as usize * 3;
        for (y, row) in pixels.chunks_exact_mut(row_bytes).enumerate() {
            let start = ((y + dy) % NOISE_TILE) * self.noise_row + dx * 3;
            let grain = &self.noise[start..start + row_bytes];
            for (value, &g) in row.iter_mut().zip(grain) {
                *value = value.saturating_add_signed(g);
            }
        }
    }

    /// 0 (closed) to 1 (wide open): syllables at about 6 Hz while a digit is being said.
    fn mouth_opening(&self, at: Duration) -> f32 {
        self.speaking
            .iter()
            .find(|(start, end)| *start <= at && at < *end)
            .map_or(0.0, |(start, _)| {
                let t = (at - *start).as_secs_f32();
                (t * std::f32::consts::TAU * 6.0).sin().abs()
            })
    }
}

impl VideoSource for SyntheticFaceScene {
    fn next_frame(&mut self) -> Result<Frame, CaptureError> {
        let frame = self.frame_at(self.next_index);
        self.next_index += 1;
        Ok(frame)
    }
}

fn draw_person(canvas: &mut Canvas, unit: f32, rng: &mut ChaCha8Rng) -> Face {
    const SKINS: [Rgb; 4] = [[236, 196, 170], [204, 150, 112], [150, 100, 70], [98, 66, 48]];
    const HAIRS: [Rgb; 4] = [[40, 30, 24], [92, 60, 36], [170, 130, 80], [120, 120, 120]];
    let skin = SKINS[rng.gen_range(0..SKINS.len())];
    let hair = HAIRS[rng.gen_range(0..HAIRS.len())];
    let sweater: Rgb = [
        rng.gen_range(30..90),
        rng.gen_range(50..110),
        rng.gen_range(90..150),
    ];
    let (cx, cy) = (canvas.width as f32 * 0.36, 300.0 * unit);
    let u = unit;
    canvas.fill_ellipse(cx, cy + 420.0 * u, 260.0 * u, 190.0 * u, sweater, 1.0);
    canvas.fill_rect(
        (cx - 42.0 * u) as i64,
        (cy + 120.0 * u) as i64,
        (84.0 * u) as i64,
        (120.0 * u) as i64,
        mix(skin, [0, 0, 0], 0.12),
        1.0,
    );
    canvas.fill_ellipse(cx, cy - 40.0 * u, 150.0 * u, 165.0 * u, hair, 1.0);
    canvas.fill_ellipse(cx, cy, 122.0 * u, 158.0 * u, skin, 1.0);
    canvas.fill_ellipse(cx - 122.0 * u, cy + 10.0 * u, 16.0 * u, 30.0 * u, skin, 1.0);
    canvas.fill_ellipse(cx + 122.0 * u, cy + 10.0 * u, 16.0 * u, 30.0 * u, skin, 1.0);
    canvas.fill_ellipse(cx, cy - 120.0 * u, 118.0 * u, 52.0 * u, hair, 1.0);
    let eye_radius = 11.0 * u;
    let eyes = [(cx - 45.0 * u, cy - 20.0 * u), (cx + 45.0 * u, cy - 20.0 * u)];
    for (ex, ey) in eyes {
        canvas.fill_ellipse(ex, ey, 22.0 * u, 12.0 * u, [245, 245, 245], 1.0);
        canvas.fill_ellipse(ex, ey, eye_radius, eye_radius, [60, 80, 70], 1.0);
        canvas.fill_ellipse(ex, ey, 5.0 * u, 5.0 * u, [10, 10, 10], 1.0);
        canvas.fill_rect(
            (ex - 24.0 * u) as i64,
            (ey - 30.0 * u) as i64,
            (48.0 * u) as i64,
            (6.0 * u) as i64,
            hair,
            1.0,
        );
    }
    let shade = mix(skin, [0, 0, 0], 0.25);
    canvas.plot_curve((cx - 6.0 * u) as i64, (cx + 14.0 * u) as i64, shade, 1.0, |x| {
        cy + 45.0 * u - (x - cx).abs() * 0.6
    });
    Face {
        mouth: (cx, cy + 88.0 * u),
        mouth_width: 38.0 * u,
        eyes,
        eye_radius,
        skin,
        lips: [176, 84, 88],
    }
}

/// The document held up beside the face, about 40 % of the picture's width, readable.
fn draw_document(canvas: &mut Canvas, unit: f32, page: DocumentPage, identity: &SpecimenIdentity, seed: u64) {
    let card = render_page(page, identity, seed);
    let width = (canvas.width as f32 * 0.40).round();
    let height = (width * card.height as f32 / card.width as f32).round();
    let (left, top) = (canvas.width as f32 * 0.56, 300.0 * unit);
    let (sx, sy) = (card.width as f32 / width, card.height as f32 / height);
    for y in 0..height as u32 {
        for x in 0..width as u32 {
            let (u, v) = ((x as f32 + 0.5) * sx - 0.5, (y as f32 + 0.5) * sy - 0.5);
            canvas.blend(
                left as i64 + i64::from(x),
                top as i64 + i64::from(y),
                bilinear(&card, u, v),
                1.0,
            );
        }
    }
    // The thumb holding the card's lower edge.
    let skin = [214, 170, 140];
    canvas.fill_ellipse(
        left + width * 0.22,
        top + height + 8.0 * unit,
        34.0 * unit,
        24.0 * unit,
        skin,
        1.0,
    );
}

fn bilinear(canvas: &Canvas, u: f32, v: f32) -> Rgb {
    let (max_x, max_y) = ((canvas.width - 1) as f32, (canvas.height - 1) as f32);
    let (u, v) = (u.clamp(0.0, max_x), v.clamp(0.0, max_y));
    let (x0, y0) = (u.floor() as u32, v.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(canvas.width - 1), (y0 + 1).min(canvas.height - 1));
    let (fx, fy) = (u - x0 as f32, v - y0 as f32);
    let top = mix(canvas.get(x0, y0), canvas.get(x1, y0), fx);
    let bottom = mix(canvas.get(x0, y1), canvas.get(x1, y1), fx);
    mix(top, bottom, fy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scene(framing: Framing, speaking: &[(Duration, Duration)]) -> SyntheticFaceScene {
        let config = SceneConfig {
            framing,
            seed: 2,
            sensor_noise: 0.0,
            ..SceneConfig::default()
        };
        SyntheticFaceScene::new(&SpecimenIdentity::example(), config, speaking).unwrap()
    }

    fn mean_luma(frame: &Frame) -> f64 {
        let sum: u64 = frame.pixels().iter().map(|&v| u64::from(v)).sum();
        sum as f64 / frame.pixels().len() as f64
    }

    #[test]
    fn frames_come_at_30_fps_and_the_lips_move_only_while_speaking() {
        let speaking = [(Duration::from_millis(1000), Duration::from_millis(1500))];
        let mut source = scene(Framing::Good, &speaking);
        let first = source.next_frame().unwrap();
        let second = source.next_frame().unwrap();
        assert_eq!((first.width(), first.height()), (1280, 720));
        assert_eq!(
            second.timestamp() - first.timestamp(),
            Duration::from_secs(1) / 30
        );
        let mouth_region = |frame: &Frame| -> Vec<u8> {
            let face = source.face.unwrap();
            let (mx, my) = (face.mouth.0 as usize, face.mouth.1 as usize);
            (my - 20..my + 20)
                .flat_map(|y| frame.pixels()[(y * 1280 + mx - 40) * 3..(y * 1280 + mx + 40) * 3].to_vec())
                .collect()
        };
        let quiet = [source.frame_at(3), source.frame_at(20)];
        assert_eq!(
            mouth_region(&quiet[0]),
            mouth_region(&quiet[1]),
            "closed mouth does not move"
        );
        let talking = source.frame_at(34); // 1.133 s: mid-syllable
        assert_ne!(
            mouth_region(&talking),
            mouth_region(&quiet[0]),
            "the lips move with the voice"
        );
    }

    #[test]
    fn sensor_noise_varies_from_frame_to_frame_around_the_picture() {
        let config = SceneConfig {
            seed: 2,
            ..SceneConfig::default()
        };
        let noisy = SyntheticFaceScene::new(&SpecimenIdentity::example(), config, &[]).unwrap();
        let clean = scene(Framing::Good, &[]).frame_at(4);
        let (a, b) = (noisy.frame_at(4), noisy.frame_at(5));
        let psnr = a.psnr(&clean).unwrap();
        assert!((35.0..50.0).contains(&psnr), "about 2 levels of grain: {psnr} dB");
        assert!(a.pixels() != b.pixels(), "the grain moves between frames");
        assert!(noisy.frame_at(4) == a, "and is still reproducible");
    }

    #[test]
    fn the_same_seed_gives_the_same_frames() {
        let a = scene(Framing::Good, &[]).frame_at(7);
        let b = scene(Framing::Good, &[]).frame_at(7);
        assert_eq!(a, b);
    }

    #[test]
    fn degraded_framings_change_the_picture_as_named() {
        let good = scene(Framing::Good, &[]).frame_at(0);
        let dark = scene(Framing::TooDark, &[]).frame_at(0);
        assert!(mean_luma(&dark) < mean_luma(&good) * 0.3);
        let away = scene(Framing::FaceOutOfView, &[]);
        assert!(away.face.is_none());
        assert_ne!(away.frame_at(0), good);
    }

    #[test]
    fn odd_or_tiny_sizes_are_refused() {
        for (width, height) in [(1281, 720), (100, 100)] {
            let config = SceneConfig {
                width,
                height,
                ..SceneConfig::default()
            };
            let error = SyntheticFaceScene::new(&SpecimenIdentity::example(), config, &[])
                .err()
                .unwrap();
            assert_eq!(error.code(), "invalid_video_settings");
        }
    }
}
